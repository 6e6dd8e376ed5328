/**
 * Create a custom field, or edit one: label, API name (new fields only), type and its settings, help text,
 * required and unique. The API's messages are shown beside the input they are about; what names no input of
 * the form is shown above it.
 */
import { useId, useState } from "react";
import { ApiError, errorMessage } from "@/api/problem";
import { useMe } from "@/auth/AuthProvider";
import type { FieldMeta, ObjectMeta } from "@/lib/types";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { FormError, TextField } from "@/ui/Field";
import { useToast } from "@/ui/Toast";
import { useAddField, useUpdateField } from "./api";
import { FieldTypeSettings } from "./FieldTypeSettings";
import {
  createBody,
  draftFromField,
  emptyDraft,
  errorsByKey,
  FIELD_TYPES,
  SELECT_TYPES,
  typeLabel,
  UNIQUE_TYPES,
  updateBody,
  withLabel,
  type CustomFieldType,
  type FieldDraft,
} from "./fieldTypes";

const PLACED = ["label", "api_name", "type", "options", "help_text", "required", "unique"];

function placed(key: string): boolean {
  return PLACED.includes(key) || key.startsWith("options.") || key.startsWith("settings.");
}

export function FieldDialog({
  meta,
  field,
  objects,
  onClose,
}: {
  meta: ObjectMeta;
  /** The field to edit; none to create one. */
  field?: FieldMeta;
  objects: ObjectMeta[];
  onClose: () => void;
}) {
  const me = useMe();
  const toast = useToast();
  const formId = useId();
  const add = useAddField(meta.name);
  const update = useUpdateField(meta.name);
  const editing = Boolean(field);
  const [draft, setDraft] = useState<FieldDraft>(() => (field ? draftFromField(field) : emptyDraft()));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const pending = add.isPending || update.isPending;

  const changeType = (type: CustomFieldType) =>
    setDraft((d) => ({ ...d, type, unique: UNIQUE_TYPES.has(type) && d.unique, options: SELECT_TYPES.has(type) ? d.options : [] }));

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setErrors({});
    setFormError(null);
    try {
      if (field) {
        const body = updateBody(field, draft);
        if (Object.keys(body).length === 0) {
          onClose();
          return;
        }
        await update.mutateAsync({ name: field.name, body });
        toast({ kind: "success", message: `Saved “${draft.label.trim()}”` });
      } else {
        await add.mutateAsync(createBody(draft));
        toast({ kind: "success", message: `Added “${draft.label.trim()}” to ${meta.label_plural.toLowerCase()}` });
      }
      onClose();
    } catch (error) {
      if (error instanceof ApiError) {
        const byKey = errorsByKey(error.errors);
        setErrors(byKey);
        const unplaced = error.errors.length === 0 || Object.keys(byKey).some((key) => !placed(key));
        setFormError(unplaced ? error.message : null);
      } else setFormError(errorMessage(error));
    }
  };

  const targets = objects.filter((o) => !o.archived);
  return (
    <Dialog
      open
      onClose={onClose}
      title={field ? `Edit “${field.label}”` : `New field on ${meta.label_plural.toLowerCase()}`}
      footer={
        <>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
          <Button variant="primary" type="submit" form={formId} loading={pending}>
            {field ? "Save field" : "Create field"}
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} className="space-y-4" noValidate aria-label={field ? "Edit field" : "New field"}>
        <FormError message={formError} />
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField
            label="Label"
            value={draft.label}
            onChange={(e) => setDraft((d) => withLabel(d, e.target.value))}
            error={errors.label}
            maxLength={200}
            required
            autoFocus
          />
          {editing ? (
            <div>
              <span className="k-label">API name</span>
              <p className="flex h-9 items-center font-mono text-xs text-muted">{draft.apiName}</p>
            </div>
          ) : (
            <TextField
              label="API name"
              value={draft.apiName}
              onChange={(e) => setDraft((d) => ({ ...d, apiName: e.target.value, apiNameEdited: true }))}
              error={errors.api_name}
              maxLength={63}
              spellCheck={false}
              autoCapitalize="off"
              hint="For the API and imports; lower_snake_case. It cannot change later."
            />
          )}
        </div>
        {editing ? (
          <div>
            <span className="k-label">Type</span>
            <p className="text-sm">
              {typeLabel(draft.type)} <span className="text-muted">— a field keeps its type, so its values stay valid.</span>
            </p>
          </div>
        ) : (
          <div>
            <label htmlFor={`${formId}-type`} className="k-label">
              Type
            </label>
            <select
              id={`${formId}-type`}
              className="k-input h-9"
              value={draft.type}
              aria-invalid={errors.type ? true : undefined}
              onChange={(e) => changeType(e.target.value as CustomFieldType)}
            >
              {FIELD_TYPES.map((t) => (
                <option key={t.type} value={t.type}>
                  {t.label}
                </option>
              ))}
            </select>
            <p className={errors.type ? "mt-1 text-xs text-danger" : "mt-1 text-xs text-muted"} role={errors.type ? "alert" : undefined}>
              {errors.type ?? FIELD_TYPES.find((t) => t.type === draft.type)?.hint}
            </p>
          </div>
        )}
        <FieldTypeSettings
          draft={draft}
          onChange={setDraft}
          errors={errors}
          objects={targets}
          editing={editing}
          workspaceCurrency={me.workspace.default_currency}
        />
        <div>
          <label htmlFor={`${formId}-help`} className="k-label">
            Help text
          </label>
          <textarea
            id={`${formId}-help`}
            className="k-input min-h-16 py-1.5"
            value={draft.helpText}
            maxLength={2000}
            aria-invalid={errors.help_text ? true : undefined}
            onChange={(e) => setDraft((d) => ({ ...d, helpText: e.target.value }))}
            placeholder="Shown under the field in forms"
          />
          {errors.help_text ? (
            <p role="alert" className="mt-1 text-xs text-danger">
              {errors.help_text}
            </p>
          ) : null}
        </div>
        <fieldset className="space-y-2">
          <legend className="k-label">Rules</legend>
          <label className="flex items-start gap-2 text-sm">
            <input type="checkbox" className="mt-0.5" checked={draft.required} onChange={(e) => setDraft((d) => ({ ...d, required: e.target.checked }))} />
            <span>
              Required
              <span className="block text-xs text-muted">
                {editing ? "Records without a value keep loading; their next save asks for one." : "Every record must have a value."}
              </span>
            </span>
          </label>
          {errors.required ? <p role="alert" className="text-xs text-danger">{errors.required}</p> : null}
          {UNIQUE_TYPES.has(draft.type) ? (
            <label className="flex items-start gap-2 text-sm">
              <input
                type="checkbox"
                className="mt-0.5"
                checked={draft.unique}
                onChange={(e) => setDraft((d) => ({ ...d, unique: e.target.checked }))}
              />
              <span>
                Unique
                <span className="block text-xs text-muted">
                  {editing && !field?.unique
                    ? "No two records may have the same value; records that already share one are listed, and nothing changes until they are fixed."
                    : "No two records may have the same value."}
                </span>
              </span>
            </label>
          ) : null}
          {errors.unique ? <p role="alert" className="text-xs text-danger">{errors.unique}</p> : null}
        </fieldset>
      </form>
    </Dialog>
  );
}
