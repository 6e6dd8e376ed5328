import { forwardRef } from "react";
import { Link } from "react-router";
import { useMembers, useObjectMeta } from "@/api/records";
import { isEditable, isRecordLink, recordTitle } from "@/lib/fields";
import type { FieldMeta, ObjectMeta, RecordData, RecordLink } from "@/lib/types";
import { Avatar } from "@/ui/Avatar";
import { cx } from "@/ui/cx";
import { Icon } from "@/ui/Icon";
import { FieldValue } from "@/features/records/FieldValue";
import { InlineEdit } from "@/features/records/InlineEdit";
import { formatDue, isLate } from "./dates";
import { taskPermissions, useToggleTask } from "./taskApi";

export type EditableField = "subject" | "due_at";

/** The round tick of a task. A button (not an <input>) so j/k/x keep working while it has focus. */
export function TaskCheckbox({
  task,
  title,
  late,
  onToggle,
  size = 18,
  disabled,
}: {
  task: RecordData;
  title: string;
  late?: boolean;
  onToggle: () => void;
  size?: number;
  disabled?: boolean;
}) {
  const done = task.done === true;
  return (
    <button
      type="button"
      role="checkbox"
      aria-checked={done}
      aria-label={`Done: ${title}`}
      title={disabled ? "Your role cannot change tasks" : done ? "Mark as not done" : "Mark as done"}
      disabled={disabled}
      onClick={(event) => {
        event.stopPropagation();
        onToggle();
      }}
      style={{ width: size, height: size }}
      className={cx(
        "flex shrink-0 items-center justify-center rounded-full border-[1.5px] transition-colors disabled:cursor-not-allowed disabled:opacity-60",
        done ? "border-success bg-success text-white" : late ? "border-danger hover:bg-danger-soft" : "border-line-strong hover:border-accent hover:bg-accent-soft",
      )}
    >
      {done ? <Icon name="check" size={size - 6} /> : null}
    </button>
  );
}

function Assignee({ id }: { id: unknown }) {
  const members = useMembers();
  if (typeof id !== "string" || !id) return <span className="h-5 w-5 shrink-0" aria-hidden="true" />;
  const member = members.data?.find((m) => m.user_id === id);
  const name = member ? member.full_name || member.email : members.isLoading ? "" : "Former member";
  return (
    <span className="inline-flex shrink-0" title={name ? `Assigned to ${name}` : undefined}>
      {name ? <Avatar name={name} size={20} /> : <span className="k-skeleton h-5 w-5 rounded-full" aria-hidden="true" />}
      <span className="sr-only">Assigned to {name}</span>
    </span>
  );
}

const MAX_LINKS = 3;

function Links({ field, value }: { field: FieldMeta | undefined; value: unknown }) {
  const links = Array.isArray(value) ? value.filter(isRecordLink) : [];
  if (!field || links.length === 0) return null;
  const shown: RecordLink[] = links.slice(0, MAX_LINKS);
  return (
    <span className="flex min-w-0 items-center gap-1" aria-label="Linked records">
      <FieldValue field={field} value={shown} />
      {links.length > MAX_LINKS ? <span className="shrink-0 text-xs text-faint">+{links.length - MAX_LINKS}</span> : null}
    </span>
  );
}

export interface TaskRowProps {
  task: RecordData;
  meta: ObjectMeta;
  now: Date;
  /** The role may change activities (tick, rename, re-date). */
  canUpdate: boolean;
  selected: boolean;
  editing: EditableField | null;
  onEdit: (field: EditableField | null) => void;
  onToggle: () => void;
  onSelect: () => void;
  error?: string | undefined;
  onDismissError?: () => void;
}

/**
 * One task: tick, subject (click or `e` to rename), linked records, due date (click to change; red once late),
 * assignee. Focusing anything in the row selects it, so the keyboard and the mouse share one cursor.
 */
export const TaskRow = forwardRef<HTMLLIElement, TaskRowProps>(function TaskRow(
  { task, meta, now, canUpdate, selected, editing, onEdit, onToggle, onSelect, error, onDismissError },
  ref,
) {
  const field = (name: string) => meta.fields.find((f) => f.name === name);
  const subjectField = field("subject");
  const dueField = field("due_at");
  const title = recordTitle(meta, task);
  const done = task.done === true;
  const late = isLate(task, now);
  const due = formatDue(task.due_at, now);
  const canEdit = (f: FieldMeta | undefined): f is FieldMeta => Boolean(canUpdate && f && isEditable(f));

  return (
    <li
      ref={ref}
      tabIndex={-1}
      data-task-id={task.id}
      aria-current={selected || undefined}
      aria-label={title}
      onFocus={onSelect}
      onClick={onSelect}
      onKeyDown={(event) => {
        // Space on the row itself ticks it; on a control inside, it is that control's.
        if (event.key === " " && event.target === event.currentTarget && canUpdate) {
          event.preventDefault();
          onToggle();
        }
      }}
      className={cx(
        "group relative flex min-h-11 flex-wrap items-center gap-x-3 gap-y-1 border-b border-line px-3 py-2 outline-none sm:flex-nowrap sm:px-4",
        selected ? "bg-accent-soft/60" : "hover:bg-hover/50",
      )}
    >
      {selected ? <span aria-hidden="true" className="absolute inset-y-0 left-0 w-0.5 bg-accent" /> : null}
      <TaskCheckbox task={task} title={title} late={late} onToggle={onToggle} disabled={!canUpdate} />
      <div className="min-w-0 flex-1 basis-[calc(100%-3rem)] sm:basis-auto">
        {editing === "subject" && subjectField ? (
          <InlineEdit object="activities" record={task} field={subjectField} onDone={() => onEdit(null)} compact />
        ) : canEdit(subjectField) ? (
          <button
            type="button"
            onClick={() => onEdit("subject")}
            title="Rename (e)"
            className={cx("block max-w-full truncate rounded px-1 text-left text-sm hover:bg-hover", done && "text-muted line-through")}
          >
            {title}
          </button>
        ) : (
          <span className={cx("block truncate px-1 text-sm", done && "text-muted line-through")}>{title}</span>
        )}
      </div>
      {/* On phones a second line under the subject; beside it from sm up. */}
      <div className="flex w-full min-w-0 items-center gap-2 pl-[30px] sm:w-auto sm:max-w-[55%] sm:pl-0">
        <span className="flex min-w-0 flex-1 sm:justify-end">
          <Links field={field("links")} value={task.links} />
        </span>
        {editing === "due_at" && dueField ? (
          <div className="w-52">
            <InlineEdit object="activities" record={task} field={dueField} onDone={() => onEdit(null)} compact />
          </div>
        ) : (
          <button
            type="button"
            disabled={!canEdit(dueField)}
            onClick={() => onEdit("due_at")}
            aria-label={due ? `Due ${due}${late ? " (late)" : ""}: change` : "No due date: set one"}
            className={cx(
              "inline-flex h-7 items-center gap-1 rounded px-1.5 text-xs tabular-nums hover:bg-hover disabled:hover:bg-transparent",
              late ? "font-medium text-danger" : due ? "text-muted" : "text-faint",
            )}
            data-testid="task-due"
          >
            <Icon name="calendar" size={13} />
            {due || "No date"}
          </button>
        )}
        <Assignee id={task.assignee_id} />
        <Link
          to={`/activities/${task.id}`}
          aria-label={`Open ${title}`}
          title="Open (Enter)"
          className="rounded p-1 text-faint hover:bg-hover hover:text-fg"
        >
          <Icon name="chevronRight" size={14} />
        </Link>
      </div>
      {error ? (
        <p role="alert" className="flex w-full items-center gap-2 rounded bg-danger-soft px-2 py-1 text-xs text-danger sm:ml-[30px]">
          <Icon name="alert" size={13} className="shrink-0" />
          <span className="min-w-0 flex-1">{error}</span>
          {onDismissError ? (
            <button type="button" className="shrink-0 font-medium hover:underline" onClick={onDismissError}>
              Dismiss
            </button>
          ) : null}
        </p>
      ) : null}
    </li>
  );
});

/** A row's placeholder, the same height as a row. */
export function TaskRowSkeleton() {
  return (
    <li className="flex min-h-11 items-center gap-3 border-b border-line px-3 py-2 sm:px-4" aria-hidden="true">
      <span className="k-skeleton h-[18px] w-[18px] shrink-0 rounded-full" />
      <span className="k-skeleton block h-3 w-48 max-w-[50%]" />
      <span className="ml-auto k-skeleton block h-3 w-16" />
      <span className="k-skeleton block h-5 w-5 rounded-full" />
    </li>
  );
}

/**
 * A task's tick where tasks appear outside this screen (a record's timeline): the same optimistic toggle,
 * and the reason beside the tick when the API refuses it.
 */
export function TaskToggle({ task, title }: { task: RecordData; title: string }) {
  const { toggle, errors, dismiss } = useToggleTask();
  const { meta } = useObjectMeta("activities");
  const error = errors[task.id];
  return (
    <span className="relative inline-flex">
      <TaskCheckbox task={task} title={title} size={16} late={isLate(task, new Date())} onToggle={() => void toggle(task)} disabled={!taskPermissions(meta).update} />
      {error ? (
        <span role="alert" className="absolute top-full left-0 z-20 mt-1 flex w-max max-w-72 items-start gap-1.5 rounded bg-danger-soft px-2 py-1 text-xs text-danger shadow-pop">
          <span>{error}</span>
          <button type="button" aria-label="Dismiss" className="shrink-0 rounded hover:bg-hover" onClick={() => dismiss(task.id)}>
            <Icon name="x" size={12} />
          </button>
        </span>
      ) : null}
    </span>
  );
}

/** "Due Today 14:00" for a task shown outside this screen; red once late, nothing without a date. */
export function TaskDueLabel({ task }: { task: RecordData }) {
  const now = new Date();
  const due = formatDue(task.due_at, now);
  if (!due || task.done === true) return null;
  return <span className={cx("shrink-0 text-xs", isLate(task, now) ? "font-medium text-danger" : "text-muted")}>Due {due}</span>;
}
