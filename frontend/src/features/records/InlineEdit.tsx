import { useState } from "react";
import { ApiError, errorMessage } from "@/api/problem";
import { useUpdateRecord } from "@/api/records";
import { useMe } from "@/auth/AuthProvider";
import { forWriting } from "@/lib/fields";
import type { FieldMeta, RecordData } from "@/lib/types";
import { cx } from "@/ui/cx";
import { FieldEditor, fromDraft, toDraft, type Draft } from "./FieldEditor";

/**
 * One field being edited in place: Enter or leaving the field saves (PATCH with If-Match), Escape cancels.
 * A 422 keeps the editor open with the API's message for this field.
 */
export function InlineEdit({
  object,
  record,
  field,
  onDone,
  compact,
}: {
  object: string;
  record: RecordData;
  field: FieldMeta;
  onDone: () => void;
  compact?: boolean;
}) {
  const me = useMe();
  const update = useUpdateRecord(object);
  const [draft, setDraft] = useState<Draft>(() => toDraft(field, record[field.name]));
  const [error, setError] = useState<string | null>(null);

  const commit = async (override?: Draft) => {
    const value = fromDraft(field, override === undefined ? draft : override, me.workspace.default_currency);
    const before = JSON.stringify(record[field.name] ?? null);
    if (JSON.stringify(value ?? null) === before) {
      onDone();
      return;
    }
    try {
      await update.mutateAsync({ id: record.id, version: record.version, values: { [field.name]: value } });
      onDone();
    } catch (e) {
      if (e instanceof ApiError) {
        const mine = e.byField()[field.name];
        setError(
          e.status === 412
            ? "Someone else changed this record meanwhile: its latest values are loaded. Try again."
            : mine ?? e.message,
        );
      } else setError(errorMessage(e));
    }
  };

  return (
    <div
      className="relative w-full"
      onBlur={(event) => {
        // Leaving the editor (not moving between its own inputs) saves, like a spreadsheet.
        if (!event.currentTarget.contains(event.relatedTarget as Node | null) && !update.isPending && field.type !== "relation") {
          void commit();
        }
      }}
      onClick={(e) => e.stopPropagation()}
    >
      <FieldEditor
        field={forWriting(field, record[field.name])}
        draft={draft}
        onChange={(next) => {
          setDraft(next);
          setError(null);
        }}
        onCommit={(next) => void commit(next)}
        onCancel={onDone}
        invalid={Boolean(error)}
        autoFocus
        compact={compact}
      />
      {error ? (
        <p role="alert" className={cx("mt-1 rounded bg-danger-soft px-1.5 py-0.5 text-xs text-danger", compact && "absolute top-full left-0 z-30 w-max max-w-72 shadow-pop")}>
          {error}
        </p>
      ) : null}
    </div>
  );
}
