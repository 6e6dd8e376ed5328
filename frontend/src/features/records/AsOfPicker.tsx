import { useState } from "react";
import { Button } from "@/ui/Button";
import { Popover } from "@/ui/Popover";

function pad(n: number) {
  return String(n).padStart(2, "0");
}

function toLocal(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** Pick an instant to see the whole record as it was then (?as_of=). */
export function AsOfPicker({ value, onChange, createdAt }: { value: string | null; onChange: (iso: string | null) => void; createdAt?: string }) {
  const [text, setText] = useState(() => toLocal(value ? new Date(value) : new Date()));
  const presets: [string, number][] = [
    ["1 hour ago", 3600e3],
    ["Yesterday", 86400e3],
    ["Last week", 7 * 86400e3],
    ["Last month", 30 * 86400e3],
  ];
  return (
    <Popover
      label="View as of"
      align="end"
      trigger={({ toggle }) => (
        <Button size="sm" icon="clock" onClick={toggle} variant={value ? "primary" : "secondary"}>
          <span className="sr-only sm:not-sr-only">View as of…</span>
        </Button>
      )}
      className="w-72"
    >
      {(close) => (
        <form
          className="space-y-2 p-2"
          onSubmit={(e) => {
            e.preventDefault();
            const date = new Date(text);
            if (!Number.isNaN(date.getTime())) onChange(date.toISOString());
            close();
          }}
        >
          <label className="k-label" htmlFor="as-of-input">
            Show the record as it was on
          </label>
          <input id="as-of-input" type="datetime-local" step={1} className="k-input" value={text} max={toLocal(new Date())} min={createdAt ? toLocal(new Date(createdAt)) : undefined} onChange={(e) => setText(e.target.value)} />
          <div className="flex flex-wrap gap-1">
            {presets.map(([label, ago]) => (
              <button
                key={label}
                type="button"
                className="rounded border border-line px-1.5 py-0.5 text-xs text-muted hover:bg-hover"
                onClick={() => {
                  onChange(new Date(Date.now() - ago).toISOString());
                  close();
                }}
              >
                {label}
              </button>
            ))}
          </div>
          <div className="flex justify-end gap-2 pt-1">
            {value ? (
              <Button size="sm" variant="ghost" onClick={() => { onChange(null); close(); }}>
                Back to now
              </Button>
            ) : null}
            <Button size="sm" variant="primary" type="submit">
              Show
            </Button>
          </div>
        </form>
      )}
    </Popover>
  );
}
