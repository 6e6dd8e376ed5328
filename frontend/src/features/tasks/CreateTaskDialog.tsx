import { useEffect, useId, useRef, useState } from "react";
import { ApiError, errorMessage } from "@/api/problem";
import { useCreateRecord, useMembers, useObjectMeta } from "@/api/records";
import { useMe } from "@/auth/AuthProvider";
import { isEditable } from "@/lib/fields";
import type { RecordData, RecordLink } from "@/lib/types";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { FormError } from "@/ui/Field";
import { useToast } from "@/ui/Toast";
import { fromLocalParts } from "./dates";
import { LinkPicker } from "./LinkPicker";

/** The form's fields, named as the API names them, so `ApiError.byField()` lands each message beside its input. */
const FIELDS = ["subject", "due_at", "assignee_id", "links", "body"] as const;

export interface TaskDraft {
  subject: string;
  date: string;
  time: string;
  assigneeId: string;
  links: RecordLink[];
  body: string;
}

/** The POST body of a draft: only what was filled in, the due moment as ISO 8601 UTC from local date + time. */
export function taskBody(draft: TaskDraft, canAssign: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { kind: "task", subject: draft.subject.trim() };
  const due = fromLocalParts(draft.date, draft.time);
  if (due) body.due_at = due;
  if (canAssign && draft.assigneeId) body.assignee_id = draft.assigneeId;
  if (draft.links.length) body.links = draft.links;
  if (draft.body.trim()) body.body = draft.body;
  return body;
}

/** What the form checks before asking the server (which checks everything again). */
export function draftErrors(draft: TaskDraft): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!draft.subject.trim()) errors.subject = "Give the task a subject.";
  if (draft.time && !draft.date) errors.due_at = "Pick a day for this time.";
  return errors;
}

function Message({ id, error, hint }: { id: string; error?: string | undefined; hint?: string }) {
  if (error) {
    return (
      <p id={id} role="alert" className="mt-1 text-xs text-danger">
        {error}
      </p>
    );
  }
  return hint ? <p id={id} className="mt-1 text-xs text-muted">{hint}</p> : null;
}

/**
 * Create a task from anywhere: subject (required), due day and optional time (local), assignee (you by
 * default), linked records (pre-filled from the record page it was opened on), notes. The API's validation
 * messages appear beside the fields they are about; anything else above the form.
 */
export function CreateTaskDialog({
  open,
  onClose,
  onCreated,
  links = [],
}: {
  open: boolean;
  onClose: () => void;
  onCreated?: (task: RecordData) => void;
  links?: RecordLink[];
}) {
  const me = useMe();
  const members = useMembers();
  const { meta } = useObjectMeta("activities");
  const create = useCreateRecord("activities");
  const toast = useToast();
  const formId = useId();
  const subjectRef = useRef<HTMLInputElement>(null);
  const [draft, setDraft] = useState<TaskDraft>(() => ({ subject: "", date: "", time: "", assigneeId: me.user.id, links, body: "" }));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  // The native dialog focuses its first control (Close) when it opens, after React's autoFocus: take it back.
  // (Children's effects run first, so the dialog is open by the time this runs.)
  useEffect(() => {
    if (open) subjectRef.current?.focus();
  }, [open]);
  const assigneeField = meta?.fields.find((f) => f.name === "assignee_id");
  // Without write access to the assignee the server assigns the task to its creator.
  const canAssign = assigneeField ? isEditable(assigneeField) : true;

  const set = <K extends keyof TaskDraft>(key: K, value: TaskDraft[K], field: string) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setErrors(({ [field]: _, ...rest }) => rest);
  };

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setFormError(null);
    const local = draftErrors(draft);
    setErrors(local);
    if (Object.keys(local).length) {
      if (local.subject) subjectRef.current?.focus();
      return;
    }
    try {
      const task = await create.mutateAsync(taskBody(draft, canAssign));
      toast({ kind: "success", message: "Task created", detail: draft.subject.trim() });
      onCreated?.(task);
      onClose();
    } catch (error) {
      if (error instanceof ApiError) {
        setErrors(error.byField());
        setFormError(error.formMessage(FIELDS));
      } else setFormError(errorMessage(error));
    }
  };

  const ids = Object.fromEntries(FIELDS.map((f) => [f, `${formId}-${f}`])) as Record<(typeof FIELDS)[number], string>;
  const describe = (field: string) => `${formId}-${field}-message`;
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="New task"
      footer={
        <>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
          <Button variant="primary" type="submit" form={formId} loading={create.isPending}>
            Create task
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} className="space-y-3.5" noValidate>
        <FormError message={formError} />
        <div>
          <label htmlFor={ids.subject} className="k-label">
            Subject<span className="text-danger"> *</span>
          </label>
          <input
            ref={subjectRef}
            id={ids.subject}
            className="k-input h-9"
            autoFocus
            placeholder="Call back about the renewal"
            value={draft.subject}
            aria-invalid={errors.subject ? true : undefined}
            aria-describedby={errors.subject ? describe("subject") : undefined}
            onChange={(e) => set("subject", e.target.value, "subject")}
          />
          <Message id={describe("subject")} error={errors.subject} />
        </div>
        <fieldset>
          <legend className="k-label">Due</legend>
          <div className="flex gap-2">
            <input
              id={ids.due_at}
              type="date"
              aria-label="Due date"
              className="k-input h-9 min-w-0 flex-1"
              value={draft.date}
              aria-invalid={errors.due_at ? true : undefined}
              aria-describedby={describe("due_at")}
              onChange={(e) => set("date", e.target.value, "due_at")}
            />
            <input
              type="time"
              aria-label="Due time"
              className="k-input h-9 w-32"
              value={draft.time}
              aria-invalid={errors.due_at ? true : undefined}
              aria-describedby={describe("due_at")}
              onChange={(e) => set("time", e.target.value, "due_at")}
            />
          </div>
          <div className="mt-1 flex gap-1.5">
            {[
              ["Today", 0],
              ["Tomorrow", 1],
              ["In a week", 7],
            ].map(([label, days]) => (
              <button
                key={label}
                type="button"
                className="rounded border border-line px-1.5 py-0.5 text-xs text-muted hover:bg-hover hover:text-fg"
                onClick={() => {
                  const day = new Date();
                  day.setDate(day.getDate() + Number(days));
                  const pad = (n: number) => String(n).padStart(2, "0");
                  set("date", `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`, "due_at");
                }}
              >
                {label}
              </button>
            ))}
          </div>
          <Message id={describe("due_at")} error={errors.due_at} hint="Without a time, the task is due any time that day." />
        </fieldset>
        <div>
          <label htmlFor={ids.assignee_id} className="k-label">
            Assignee
          </label>
          <select
            id={ids.assignee_id}
            className="k-input h-9"
            value={draft.assigneeId}
            disabled={!canAssign}
            aria-invalid={errors.assignee_id ? true : undefined}
            aria-describedby={describe("assignee_id")}
            onChange={(e) => set("assigneeId", e.target.value, "assignee_id")}
          >
            {(members.data ?? []).some((m) => m.user_id === me.user.id) ? null : <option value={me.user.id}>{me.user.full_name || me.user.email} (you)</option>}
            {(members.data ?? []).map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.full_name || m.email}
                {m.user_id === me.user.id ? " (you)" : ""}
              </option>
            ))}
          </select>
          <Message id={describe("assignee_id")} error={errors.assignee_id} hint={canAssign ? undefined : "Your role assigns tasks you create to you."} />
        </div>
        <div>
          <label htmlFor={ids.links} className="k-label">
            Linked records
          </label>
          <LinkPicker
            id={ids.links}
            value={draft.links}
            onChange={(next) => set("links", next, "links")}
            invalid={Boolean(errors.links)}
            describedBy={describe("links")}
          />
          <Message id={describe("links")} error={errors.links} />
        </div>
        <div>
          <label htmlFor={ids.body} className="k-label">
            Notes
          </label>
          <textarea
            id={ids.body}
            className="k-input h-20 py-1.5"
            value={draft.body}
            aria-invalid={errors.body ? true : undefined}
            aria-describedby={describe("body")}
            onChange={(e) => set("body", e.target.value, "body")}
          />
          <Message id={describe("body")} error={errors.body} />
        </div>
      </form>
    </Dialog>
  );
}
