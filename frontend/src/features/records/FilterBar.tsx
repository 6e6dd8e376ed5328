import { useState } from "react";
import { filterFieldGroups, isListField, operatorsFor } from "@/lib/fields";
import type { FieldMeta, ObjectMeta } from "@/lib/types";
import { Button } from "@/ui/Button";
import { Icon } from "@/ui/Icon";
import { Popover } from "@/ui/Popover";
import { FieldEditor, fromDraft, toDraft, type Draft } from "./FieldEditor";
import { FieldValue } from "./FieldValue";
import type { Chip } from "./listState";

function ChipEditor({ meta, chip, onSave, onCancel }: { meta: ObjectMeta; chip: Chip | null; onSave: (c: Chip) => void; onCancel: () => void }) {
  const groups = filterFieldGroups(meta);
  const fields = [...groups.own, ...groups.system];
  const [fieldName, setFieldName] = useState(chip?.field ?? fields[0]?.name ?? "");
  const field = fields.find((f) => f.name === fieldName) as FieldMeta | undefined;
  const ops = field ? operatorsFor(field) : [];
  const [op, setOp] = useState(chip?.op ?? ops[0]?.op ?? "eq");
  const scalar = field ? { ...field, type: field.type === "multi_select" ? ("select" as const) : field.type } : undefined;
  const [draft, setDraft] = useState<Draft>(() => (scalar ? toDraft(scalar, chip?.value ?? null) : ""));
  const needsValue = op !== "is_null" && op !== "not_null";

  const save = (next?: Draft) => {
    if (!field || !scalar) return;
    const current = next === undefined ? draft : next;
    let value: unknown = needsValue ? fromDraft(isListField(field) ? { ...scalar, type: "text" } : scalar, current) : undefined;
    if (op === "in" && typeof value === "string") value = value.split(",").map((s) => s.trim());
    if (isListField(field) && Array.isArray(value)) value = value[0];
    onSave({ field: field.name, op, value });
  };

  return (
    <div className="w-72 space-y-2 p-2">
      <select
        aria-label="Field"
        className="k-input"
        value={fieldName}
        onChange={(e) => {
          const next = fields.find((f) => f.name === e.target.value);
          setFieldName(e.target.value);
          if (next) {
            setOp(operatorsFor(next)[0]?.op ?? "eq");
            setDraft(toDraft({ ...next, type: next.type === "multi_select" ? "select" : next.type }, null));
          }
        }}
      >
        {groups.own.map((f) => (
          <option key={f.name} value={f.name}>
            {f.label}
          </option>
        ))}
        {groups.system.length ? (
          <optgroup label="System">
            {groups.system.map((f) => (
              <option key={f.name} value={f.name}>
                {f.label}
              </option>
            ))}
          </optgroup>
        ) : null}
      </select>
      <select aria-label="Operator" className="k-input" value={op} onChange={(e) => setOp(e.target.value)}>
        {ops.map((o) => (
          <option key={o.op} value={o.op}>
            {o.label}
          </option>
        ))}
      </select>
      {needsValue && scalar ? (
        <FieldEditor field={isListField(scalar) && scalar.type !== "relation" ? { ...scalar, type: "text", name: `${scalar.name}_one` } : scalar} draft={draft} onChange={setDraft} onCommit={(next) => save(next)} />
      ) : null}
      <div className="flex justify-end gap-2 pt-1">
        <Button size="sm" variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
        <Button size="sm" variant="primary" onClick={() => save()}>
          Apply
        </Button>
      </div>
    </div>
  );
}

function chipText(field: FieldMeta | undefined, chip: Chip) {
  const op = field ? operatorsFor(field).find((o) => o.op === chip.op)?.label ?? chip.op : chip.op;
  return { label: field?.label ?? chip.field, op };
}

/** Filter chips (AND-ed) with an editor per chip; any field, operators by type. */
export function FilterBar({ meta, chips, onChange }: { meta: ObjectMeta; chips: Chip[]; onChange: (chips: Chip[]) => void }) {
  return (
    <div className="flex flex-wrap items-center gap-1.5">
      {chips.map((chip, index) => {
        const field = meta.fields.find((f) => f.name === chip.field);
        const text = chipText(field, chip);
        return (
          <Popover
            key={`${chip.field}-${index}`}
            label="Edit filter"
            trigger={({ toggle }) => (
              <span className="inline-flex h-7 items-center rounded-md border border-accent/30 bg-accent-soft text-xs text-accent-text">
                <button type="button" onClick={toggle} className="flex h-full max-w-72 items-center gap-1 truncate pl-2">
                  <span className="font-medium">{text.label}</span>
                  <span className="opacity-75">{text.op}</span>
                  {chip.value !== undefined && field ? (
                    <span className="truncate font-medium">
                      {typeof chip.value === "string" && !["select", "relation", "user"].includes(field.type) ? (
                        chip.value
                      ) : (
                        <FieldValue field={{ ...field, type: field.type === "multi_select" ? "select" : field.type }} value={chip.value} />
                      )}
                    </span>
                  ) : null}
                </button>
                <button
                  type="button"
                  aria-label={`Remove filter ${text.label}`}
                  onClick={() => onChange(chips.filter((_, i) => i !== index))}
                  className="flex h-full items-center px-1.5 hover:opacity-70"
                >
                  <Icon name="x" size={12} />
                </button>
              </span>
            )}
          >
            {(close) => (
              <ChipEditor
                meta={meta}
                chip={chip}
                onCancel={close}
                onSave={(next) => {
                  onChange(chips.map((c, i) => (i === index ? next : c)));
                  close();
                }}
              />
            )}
          </Popover>
        );
      })}
      <Popover
        label="Add filter"
        trigger={({ toggle }) => (
          <Button size="sm" variant="ghost" icon="filter" onClick={toggle}>
            Filter
          </Button>
        )}
      >
        {(close) => (
          <ChipEditor
            meta={meta}
            chip={null}
            onCancel={close}
            onSave={(chip) => {
              onChange([...chips, chip]);
              close();
            }}
          />
        )}
      </Popover>
    </div>
  );
}
