import { useId, useState } from "react";
import { ApiError, errorMessage } from "@/api/problem";
import { useCreateRecord } from "@/api/records";
import { useMe } from "@/auth/AuthProvider";
import { forWriting, isEditable } from "@/lib/fields";
import type { FieldMeta, ObjectMeta, RecordData } from "@/lib/types";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { FormError } from "@/ui/Field";
import { FieldEditor, fromDraft, toDraft, type Draft } from "./FieldEditor";

function isEmpty(value: unknown): boolean {
  return value === null || value === "" || (Array.isArray(value) && value.length === 0);
}

/** Create a record of any object: its writable fields (required first), the API's messages beside them. */
export function CreateRecordDialog({
  meta,
  open,
  onClose,
  onCreated,
  initial,
}: {
  meta: ObjectMeta;
  open: boolean;
  onClose: () => void;
  onCreated: (record: RecordData) => void;
  initial?: Record<string, unknown>;
}) {
  const me = useMe();
  const create = useCreateRecord(meta.name);
  const formId = useId();
  const fields = meta.fields
    .filter((f) => isEditable(f) && f.name !== "owner_id")
    .sort((a, b) => Number(b.required) - Number(a.required));
  const [drafts, setDrafts] = useState<Record<string, Draft>>(() =>
    Object.fromEntries(fields.map((f) => [f.name, toDraft(f, initial?.[f.name] ?? f.default ?? null)])),
  );
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setErrors({});
    setFormError(null);
    const body: Record<string, unknown> = {};
    for (const field of fields) {
      const value = fromDraft(field, drafts[field.name], me.workspace.default_currency);
      if (!isEmpty(value)) body[field.name] = value;
    }
    try {
      const record = await create.mutateAsync(body);
      onCreated(record);
    } catch (error) {
      if (error instanceof ApiError) {
        setErrors(error.byField());
        setFormError(error.formMessage(fields.map((f) => f.name)));
      } else setFormError(errorMessage(error));
    }
  };

  const row = (field: FieldMeta, index: number) => {
    const id = `${formId}-${field.name}`;
    return (
      <div key={field.name}>
        <label htmlFor={id} className="k-label">
          {field.label}
          {field.required ? <span className="text-danger"> *</span> : null}
        </label>
        <FieldEditor
          id={id}
          field={forWriting(field)}
          draft={drafts[field.name]}
          onChange={(next) => setDrafts((d) => ({ ...d, [field.name]: next }))}
          invalid={Boolean(errors[field.name])}
          autoFocus={index === 0}
        />
        {errors[field.name] ? (
          <p role="alert" className="mt-1 text-xs text-danger">
            {errors[field.name]}
          </p>
        ) : field.help_text ? (
          <p className="mt-1 text-xs text-muted">{field.help_text}</p>
        ) : null}
      </div>
    );
  };

  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={`New ${meta.singular}`}
      footer={
        <>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
          <Button variant="primary" type="submit" form={formId} loading={create.isPending}>
            Create {meta.singular}
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} className="space-y-3.5" noValidate>
        <FormError message={formError} />
        {fields.map(row)}
      </form>
    </Dialog>
  );
}
