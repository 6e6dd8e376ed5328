import { useState } from "react";
import { ApiError, errorMessage } from "@/api/problem";
import { useBatch } from "@/api/records";
import { useMe } from "@/auth/AuthProvider";
import { can, forWriting, isEditable } from "@/lib/fields";
import type { ObjectMeta, RecordData } from "@/lib/types";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { FormError } from "@/ui/Field";
import { useToast } from "@/ui/Toast";
import { FieldEditor, fromDraft, toDraft, type Draft } from "./FieldEditor";

/** Selected rows: set one field on all of them, or delete them (POST /{object}/batch, all or nothing). */
export function BulkBar({ meta, selected, onClear }: { meta: ObjectMeta; selected: RecordData[]; onClear: () => void }) {
  const me = useMe();
  const batch = useBatch(meta.name);
  const toast = useToast();
  // What the caller's role allows (the server refuses the rest anyway): no button that can only fail.
  const editable = can(meta, "update") ? meta.fields.filter(isEditable) : [];
  const canDelete = can(meta, "delete");
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [fieldName, setFieldName] = useState(editable[0]?.name ?? "");
  const field = editable.find((f) => f.name === fieldName);
  const [draft, setDraft] = useState<Draft>(() => (field ? toDraft(field, null) : ""));
  const [error, setError] = useState<string | null>(null);
  const count = selected.length;
  const noun = count === 1 ? meta.singular : meta.label_plural.toLowerCase();

  const explain = (e: unknown) => {
    if (e instanceof ApiError && Array.isArray(e.problem?.records)) {
      const first = (e.problem.records as { index: number; errors?: { message: string }[]; detail?: string }[])[0];
      return `${e.message} First failure (row ${(first?.index ?? 0) + 1}): ${first?.errors?.[0]?.message ?? first?.detail ?? ""}`;
    }
    return errorMessage(e);
  };

  const applyEdit = async () => {
    if (!field) return;
    setError(null);
    const value = fromDraft(field, draft, me.workspace.default_currency);
    try {
      await batch.mutateAsync({
        operation: "update",
        records: selected.map((r) => ({ id: r.id, version: r.version, [field.name]: value })),
      });
      toast({ kind: "success", message: `Updated ${count} ${noun}` });
      setEditing(false);
      onClear();
    } catch (e) {
      setError(explain(e));
    }
  };

  const applyDelete = async () => {
    setError(null);
    try {
      await batch.mutateAsync({ operation: "delete", records: selected.map((r) => ({ id: r.id, version: r.version })) });
      toast({ kind: "success", message: `Deleted ${count} ${noun}` });
      setConfirming(false);
      onClear();
    } catch (e) {
      setError(explain(e));
    }
  };

  return (
    <div role="toolbar" aria-label="Selected records" className="flex items-center gap-2 border-b border-line bg-accent-soft px-3 py-1.5 text-sm">
      <span className="font-medium text-accent-text">{count} selected</span>
      {editable.length ? (
        <Button size="sm" icon="edit" onClick={() => setEditing(true)}>
          Edit field
        </Button>
      ) : null}
      {canDelete ? (
        <Button size="sm" icon="trash" onClick={() => setConfirming(true)}>
          Delete
        </Button>
      ) : null}
      <Button size="sm" variant="ghost" onClick={onClear}>
        Clear
      </Button>
      <Dialog
        open={editing}
        onClose={() => setEditing(false)}
        title={`Edit ${count} ${noun}`}
        width="max-w-sm"
        footer={
          <>
            <Button variant="ghost" onClick={() => setEditing(false)}>Cancel</Button>
            <Button variant="primary" loading={batch.isPending} onClick={() => void applyEdit()}>Apply to {count}</Button>
          </>
        }
      >
        <div className="space-y-3">
          <FormError message={error} />
          <div>
            <label className="k-label" htmlFor="bulk-field">Field</label>
            <select
              id="bulk-field"
              className="k-input"
              value={fieldName}
              onChange={(e) => {
                const next = editable.find((f) => f.name === e.target.value);
                setFieldName(e.target.value);
                if (next) setDraft(toDraft(next, null));
              }}
            >
              {editable.map((f) => (
                <option key={f.name} value={f.name}>{f.label}</option>
              ))}
            </select>
          </div>
          {field ? (
            <div>
              <span className="k-label">New value</span>
              <FieldEditor field={forWriting(field)} draft={draft} onChange={setDraft} />
            </div>
          ) : null}
        </div>
      </Dialog>
      <Dialog
        open={confirming}
        onClose={() => setConfirming(false)}
        title={`Delete ${count} ${noun}?`}
        width="max-w-sm"
        footer={
          <>
            <Button variant="ghost" onClick={() => setConfirming(false)}>Cancel</Button>
            <Button variant="danger" loading={batch.isPending} onClick={() => void applyDelete()}>Delete</Button>
          </>
        }
      >
        <FormError message={error} className="mb-3" />
        <p className="text-sm text-muted">They leave lists but keep their history, and can be restored.</p>
      </Dialog>
    </div>
  );
}
