/**
 * Editing one field, by type. A draft is what the input holds (text, ids, a money pair); `fromDraft` turns it
 * into the API's canonical JSON value. Validation is the server's: its messages are shown as they come.
 */
import { useState } from "react";
import { fetchPage, useMembers, useObjectMeta } from "@/api/records";
import { useQuery } from "@tanstack/react-query";
import { fractionDigits, isListField, isMoney, recordTitle, relationTarget, titleFields } from "@/lib/fields";
import type { FieldMeta } from "@/lib/types";
import { cx } from "@/ui/cx";
import { Icon } from "@/ui/Icon";
import { FieldValue } from "./FieldValue";

export type Draft = unknown;

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function toDraft(field: FieldMeta, value: unknown): Draft {
  const list = isListField(field, value);
  if (field.type === "currency") {
    if (!isMoney(value)) return { amount: "", currency: "" };
    return { amount: String(value.amount_minor / 10 ** fractionDigits(value.currency)), currency: value.currency };
  }
  if (field.type === "boolean") return Boolean(value);
  if (field.type === "multi_select" || (list && (field.type === "relation" || field.type === "user"))) {
    return Array.isArray(value) ? value.map(String) : [];
  }
  if (list) return Array.isArray(value) ? value.join(", ") : "";
  if (value === null || value === undefined) return "";
  if (field.type === "datetime") return toLocalInput(String(value));
  return String(value);
}

export function fromDraft(field: FieldMeta, draft: Draft, defaultCurrency = "USD"): unknown {
  if (field.type === "currency") {
    const { amount, currency } = draft as { amount: string; currency: string };
    if (amount.trim() === "") return null;
    const code = (currency || defaultCurrency).toUpperCase();
    const number = Number(amount.replace(/[\s,]/g, ""));
    if (Number.isNaN(number)) return amount; // let the server say what is wrong
    return { amount_minor: Math.round(number * 10 ** fractionDigits(code)), currency: code };
  }
  if (field.type === "boolean") return Boolean(draft);
  if (Array.isArray(draft)) return draft;
  const text = String(draft ?? "");
  if (isListField(field)) {
    return text
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  }
  if (text.trim() === "") return null;
  switch (field.type) {
    case "number":
    case "percent":
    case "rating":
    case "decimal": {
      const number = Number(text);
      return Number.isNaN(number) ? text : number;
    }
    case "datetime": {
      const d = new Date(text);
      return Number.isNaN(d.getTime()) ? text : d.toISOString();
    }
    default:
      return field.type === "text" || field.type === "long_text" ? text : text.trim();
  }
}

interface EditorProps {
  field: FieldMeta;
  draft: Draft;
  onChange: (draft: Draft) => void;
  /** Enter (or a pick) in inline mode. */
  onCommit?: (draft?: Draft) => void;
  onCancel?: () => void;
  invalid?: boolean;
  autoFocus?: boolean;
  id?: string;
  compact?: boolean;
}

export function FieldEditor(props: EditorProps) {
  const { field, draft, onChange, onCommit, onCancel, invalid, autoFocus, id, compact } = props;
  const keys = (event: React.KeyboardEvent) => {
    if (event.key === "Escape" && onCancel) {
      event.preventDefault();
      event.stopPropagation();
      onCancel();
    }
    if (event.key === "Enter" && onCommit && !(event.target instanceof HTMLTextAreaElement && !event.metaKey && !event.ctrlKey)) {
      event.preventDefault();
      onCommit();
    }
  };
  const common = {
    id,
    autoFocus,
    onKeyDown: keys,
    "aria-invalid": invalid || undefined,
    "aria-label": field.label,
    className: cx("k-input", compact && "h-7"),
  };
  const target = relationTarget(field);

  if (field.type === "relation" && target) {
    return <RelationPicker {...props} target={target} />;
  }
  switch (field.type) {
    case "long_text":
      return <textarea {...common} className={cx(common.className, "h-24 py-1.5")} value={String(draft)} onChange={(e) => onChange(e.target.value)} />;
    case "boolean":
      return (
        <label className="inline-flex h-8 items-center gap-2">
          <input
            type="checkbox"
            id={id}
            autoFocus={autoFocus}
            aria-label={field.label}
            checked={Boolean(draft)}
            onKeyDown={keys}
            onChange={(e) => {
              onChange(e.target.checked);
              onCommit?.(e.target.checked);
            }}
            className="h-4 w-4 accent-[var(--k-accent)]"
          />
          <span className="text-sm text-muted">{draft ? "Yes" : "No"}</span>
        </label>
      );
    case "select":
      return (
        <select
          {...common}
          value={String(draft)}
          onChange={(e) => {
            onChange(e.target.value);
            onCommit?.(e.target.value);
          }}
        >
          <option value="">—</option>
          {field.options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      );
    case "multi_select": {
      const selected = new Set(draft as string[]);
      return (
        <div className="flex flex-wrap gap-1" onKeyDown={keys}>
          {field.options.map((o) => (
            <button
              type="button"
              key={o.value}
              aria-pressed={selected.has(o.value)}
              onClick={() => {
                const next = new Set(selected);
                if (next.has(o.value)) next.delete(o.value);
                else next.add(o.value);
                onChange([...next]);
              }}
              className={cx(
                "rounded border px-1.5 py-0.5 text-xs",
                selected.has(o.value) ? "border-accent bg-accent-soft text-accent-text" : "border-line text-muted hover:bg-hover",
              )}
            >
              {o.label}
            </button>
          ))}
        </div>
      );
    }
    case "user":
      return <UserSelect {...props} common={common} />;
    case "currency": {
      // The draft can still be another field's for one render while the editor moves between cells.
      const money = (
        draft !== null && typeof draft === "object" && "amount" in draft ? draft : { amount: "", currency: "" }
      ) as { amount: string; currency: string };
      return (
        <div className="flex gap-1" onKeyDown={keys}>
          <input
            {...common}
            onKeyDown={undefined}
            inputMode="decimal"
            placeholder="0.00"
            value={money.amount}
            onChange={(e) => onChange({ ...money, amount: e.target.value })}
          />
          <input
            aria-label={`${field.label} currency`}
            className={cx("k-input w-16 uppercase", compact && "h-7")}
            maxLength={3}
            placeholder="USD"
            value={money.currency}
            onChange={(e) => onChange({ ...money, currency: e.target.value.toUpperCase() })}
          />
        </div>
      );
    }
    case "date":
      return <input {...common} type="date" value={String(draft)} onChange={(e) => onChange(e.target.value)} />;
    case "datetime":
      return <input {...common} type="datetime-local" value={String(draft)} onChange={(e) => onChange(e.target.value)} />;
    case "number":
    case "decimal":
    case "percent":
    case "rating":
      return <input {...common} inputMode="decimal" value={String(draft)} onChange={(e) => onChange(e.target.value)} />;
    default:
      return (
        <input
          {...common}
          type={field.type === "email" && !isListField(field) ? "email" : "text"}
          placeholder={isListField(field) ? "Separate several with commas" : undefined}
          value={String(draft)}
          onChange={(e) => onChange(e.target.value)}
        />
      );
  }
}

function UserSelect({ field, draft, onChange, onCommit, common }: EditorProps & { common: Record<string, unknown> }) {
  const members = useMembers();
  return (
    <select
      {...common}
      value={String(draft)}
      onChange={(e) => {
        onChange(e.target.value);
        onCommit?.(e.target.value);
      }}
    >
      <option value="">—</option>
      {(members.data ?? []).map((m) => (
        <option key={m.user_id} value={m.user_id}>
          {m.full_name || m.email}
        </option>
      ))}
      {field && draft && !members.data?.some((m) => m.user_id === draft) ? <option value={String(draft)}>Former member</option> : null}
    </select>
  );
}

/** Search the related object by its title; single relations take one id, list relations several. */
function RelationPicker({ field, draft, onChange, onCommit, onCancel, autoFocus, id, target, compact }: EditorProps & { target: string }) {
  const { meta } = useObjectMeta(target);
  const [query, setQuery] = useState("");
  const [open, setOpen] = useState(Boolean(autoFocus));
  const many = Array.isArray(draft);
  const ids = many ? (draft as string[]) : draft ? [String(draft)] : [];
  const results = useQuery({
    queryKey: ["records", target, "search", query],
    queryFn: () =>
      fetchPage(target, {
        filter: query ? { field: meta!.title_field, op: "contains", value: query } : null,
        fields: titleFields(meta!),
        limit: 8,
      }),
    enabled: Boolean(meta) && open,
  });
  const pick = (recordId: string) => {
    const next = many ? [...new Set([...ids, recordId])] : recordId;
    onChange(next);
    setQuery("");
    if (!many) onCommit?.(next);
  };
  return (
    <div className="w-full min-w-48">
      {ids.length ? (
        <div className="mb-1 flex flex-wrap gap-1">
          {ids.map((value) => (
            <span key={value} className="inline-flex items-center gap-1">
              <FieldValue field={{ ...field, type: "relation" }} value={value} />
              <button
                type="button"
                aria-label="Remove"
                className="rounded p-0.5 text-faint hover:bg-hover hover:text-fg"
                onClick={() => onChange(many ? ids.filter((x) => x !== value) : "")}
              >
                <Icon name="x" size={12} />
              </button>
            </span>
          ))}
        </div>
      ) : null}
      <div className="relative">
        <input
          id={id}
          autoFocus={autoFocus}
          className={cx("k-input", compact && "h-7")}
          aria-label={`Search ${meta?.label_plural ?? target}`}
          placeholder={`Search ${meta?.label_plural.toLowerCase() ?? target}…`}
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setOpen(true);
          }}
          onFocus={() => setOpen(true)}
          onBlur={() => setOpen(false)}
          onKeyDown={(e) => {
            if (e.key === "Escape" && onCancel) {
              e.preventDefault();
              e.stopPropagation();
              onCancel();
            }
            if (e.key === "Enter") {
              e.preventDefault();
              const first = results.data?.items[0];
              if (query && first) pick(first.id);
              else onCommit?.();
            }
          }}
        />
        {open ? (
          <ul role="listbox" className="absolute z-30 mt-1 max-h-56 w-full overflow-y-auto rounded-md border border-line bg-raised p-1 shadow-pop">
            {(results.data?.items ?? []).map((record) => (
              <li key={record.id}>
                <button
                  type="button"
                  role="option"
                  aria-selected={ids.includes(record.id)}
                  onMouseDown={(e) => e.preventDefault()}
                  onClick={() => pick(record.id)}
                  className="w-full truncate rounded px-2 py-1 text-left text-sm hover:bg-hover"
                >
                  {recordTitle(meta, record)}
                </button>
              </li>
            ))}
            {results.data && results.data.items.length === 0 ? <li className="px-2 py-1 text-sm text-muted">No match</li> : null}
          </ul>
        ) : null}
      </div>
    </div>
  );
}
