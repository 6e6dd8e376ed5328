/**
 * The settings a field's type takes, beside the common ones (label, help text, required): options for
 * selects, the related object for relations, a default currency, a rating's top score, number bounds,
 * decimal places, a text's maximum length. API errors for a setting are shown under it.
 */
import { useId } from "react";
import type { ObjectMeta } from "@/lib/types";
import { TextField } from "@/ui/Field";
import type { FieldDraft } from "./fieldTypes";
import { OptionsEditor } from "./OptionsEditor";

export const COMMON_CURRENCIES = ["USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "CNY", "INR", "BRL", "SEK", "NOK", "DKK", "PLN", "MXN", "ZAR"];

function Select({
  label,
  value,
  onChange,
  children,
  error,
  hint,
  disabled,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  children: React.ReactNode;
  error?: string | undefined;
  hint?: string;
  disabled?: boolean;
}) {
  const id = useId();
  return (
    <div>
      <label htmlFor={id} className="k-label">
        {label}
      </label>
      <select
        id={id}
        className="k-input h-9"
        value={value}
        disabled={disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={error || hint ? `${id}-note` : undefined}
        onChange={(e) => onChange(e.target.value)}
      >
        {children}
      </select>
      {error ? (
        <p id={`${id}-note`} role="alert" className="mt-1 text-xs text-danger">
          {error}
        </p>
      ) : hint ? (
        <p id={`${id}-note`} className="mt-1 text-xs text-muted">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

export function FieldTypeSettings({
  draft,
  onChange,
  errors,
  objects,
  editing,
  workspaceCurrency,
}: {
  draft: FieldDraft;
  onChange: (draft: FieldDraft) => void;
  errors: Record<string, string>;
  /** Objects a relation may point at. */
  objects: Pick<ObjectMeta, "name" | "label" | "label_plural">[];
  /** Editing a saved field: what records depend on (a relation's target) cannot change. */
  editing: boolean;
  workspaceCurrency: string;
}) {
  const set = (change: Partial<FieldDraft>) => onChange({ ...draft, ...change });
  switch (draft.type) {
    case "select":
    case "multi_select":
      return <OptionsEditor options={draft.options} onChange={(options) => set({ options })} errors={errors} />;
    case "relation":
      return (
        <Select
          label="Related object"
          value={draft.target}
          onChange={(target) => set({ target })}
          error={errors["settings.target"]}
          disabled={editing}
          hint={editing ? "A relation keeps the object it points at: its values are that object's records." : "Each value is one record of this object."}
        >
          <option value="">Choose an object…</option>
          {objects.map((o) => (
            <option key={o.name} value={o.name}>
              {o.label_plural}
            </option>
          ))}
        </Select>
      );
    case "currency": {
      const codes = Array.from(new Set([...COMMON_CURRENCIES, draft.currency.toUpperCase()].filter(Boolean)));
      return (
        <Select
          label="Default currency"
          value={draft.currency.toUpperCase()}
          onChange={(currency) => set({ currency })}
          error={errors["settings.currency"]}
          hint="The currency a new amount is in unless someone picks another."
        >
          <option value="">Workspace default ({workspaceCurrency})</option>
          {codes.map((code) => (
            <option key={code} value={code}>
              {code}
            </option>
          ))}
        </Select>
      );
    }
    case "rating":
      return (
        <Select label="Highest rating" value={draft.ratingMax} onChange={(ratingMax) => set({ ratingMax })} error={errors["settings.max"]}>
          {Array.from({ length: 10 }, (_, i) => String(i + 1)).map((n) => (
            <option key={n} value={n}>
              {n} {n === "1" ? "star" : "stars"}
            </option>
          ))}
        </Select>
      );
    case "decimal":
      return (
        <TextField
          label="Decimal places"
          type="number"
          min={0}
          max={12}
          inputMode="numeric"
          value={draft.scale}
          onChange={(e) => set({ scale: e.target.value })}
          error={errors["settings.scale"]}
          hint="Values with more places are refused, never rounded."
        />
      );
    case "number":
    case "percent":
      return (
        <div className="grid grid-cols-2 gap-3">
          <TextField label="Minimum" inputMode="decimal" value={draft.min} onChange={(e) => set({ min: e.target.value })} error={errors["settings.min"]} hint="Optional" />
          <TextField label="Maximum" inputMode="decimal" value={draft.max} onChange={(e) => set({ max: e.target.value })} error={errors["settings.max"]} hint="Optional" />
        </div>
      );
    case "text":
    case "long_text":
    case "email":
    case "phone":
    case "url":
      return (
        <TextField
          label="Maximum length"
          type="number"
          min={1}
          inputMode="numeric"
          value={draft.maxLength}
          onChange={(e) => set({ maxLength: e.target.value })}
          error={errors["settings.max_length"]}
          hint="Optional: characters a value may have."
        />
      );
    default:
      return <p className="text-sm text-muted">This type has no settings of its own.</p>;
  }
}
