import type { ObjectMeta } from "@/lib/types";
import { Button } from "@/ui/Button";
import { Icon } from "@/ui/Icon";
import { Popover } from "@/ui/Popover";

/** Which fields are columns, and in what order. */
export function ColumnChooser({ meta, columns, onChange }: { meta: ObjectMeta; columns: string[]; onChange: (c: string[]) => void }) {
  const hidden = meta.fields.filter((f) => !columns.includes(f.name) && f.name !== "version");
  const label = (name: string) => meta.fields.find((f) => f.name === name)?.label ?? name;
  const move = (index: number, by: number) => {
    const next = [...columns];
    const [item] = next.splice(index, 1);
    if (item === undefined) return;
    next.splice(Math.max(0, Math.min(next.length, index + by)), 0, item);
    onChange(next);
  };
  return (
    <Popover
      label="Columns"
      align="end"
      trigger={({ toggle }) => (
        <Button size="sm" variant="ghost" icon="columns" onClick={toggle}>
          <span className="sr-only sm:not-sr-only">Columns</span>
        </Button>
      )}
      className="w-64"
    >
      {() => (
        <div className="max-h-96 overflow-y-auto text-sm">
          <p className="px-2 pt-1 pb-1 text-xs font-medium text-faint">Shown</p>
          {columns.map((name, index) => (
            <div key={name} className="group flex items-center gap-1 rounded-md px-1 py-0.5 hover:bg-hover">
              <label className="flex min-w-0 flex-1 items-center gap-2 px-1 py-0.5">
                <input
                  type="checkbox"
                  checked
                  disabled={columns.length === 1}
                  onChange={() => onChange(columns.filter((c) => c !== name))}
                  className="accent-[var(--k-accent)]"
                />
                <span className="truncate">{label(name)}</span>
              </label>
              <button type="button" aria-label={`Move ${label(name)} up`} className="rounded p-0.5 text-faint hover:text-fg disabled:opacity-30" disabled={index === 0} onClick={() => move(index, -1)}>
                <Icon name="arrowUp" size={12} />
              </button>
              <button type="button" aria-label={`Move ${label(name)} down`} className="rounded p-0.5 text-faint hover:text-fg disabled:opacity-30" disabled={index === columns.length - 1} onClick={() => move(index, 1)}>
                <Icon name="arrowDown" size={12} />
              </button>
            </div>
          ))}
          {hidden.length ? <p className="px-2 pt-2 pb-1 text-xs font-medium text-faint">Hidden</p> : null}
          {hidden.map((field) => (
            <label key={field.name} className="flex items-center gap-2 rounded-md px-2 py-1 hover:bg-hover">
              <input type="checkbox" checked={false} onChange={() => onChange([...columns, field.name])} className="accent-[var(--k-accent)]" />
              <span className="truncate">{field.label}</span>
            </label>
          ))}
        </div>
      )}
    </Popover>
  );
}
