/**
 * What the field form knows about custom field types: their names, the settings each takes, and how a draft
 * (what the inputs hold, all strings) becomes the API's body. Pure functions, so they are tested on their own.
 * The server checks everything again (kronos/kit/records/metadata.py); these only shape the request.
 */
import type { Schemas } from "@/api/client";
import type { FieldMeta } from "@/lib/types";
import type { IconName } from "@/ui/Icon";

export type CustomFieldType = Exclude<Schemas["FieldCreate"]["type"], "id" | "record_link">;
export type OptionColor = NonNullable<Schemas["OptionIn"]["color"]>;
type Settings = Schemas["FieldSettings"];

export interface FieldTypeInfo {
  type: CustomFieldType;
  label: string;
  hint: string;
  icon: IconName;
}

export const FIELD_TYPES: FieldTypeInfo[] = [
  { type: "text", label: "Text", hint: "One line, up to 255 characters", icon: "note" },
  { type: "long_text", label: "Long text", hint: "Paragraphs: notes, descriptions", icon: "note" },
  { type: "number", label: "Number", hint: "A whole or decimal number", icon: "grid" },
  { type: "decimal", label: "Decimal", hint: "Exact, with a fixed number of decimal places", icon: "grid" },
  { type: "currency", label: "Currency", hint: "An amount of money in a currency", icon: "deal" },
  { type: "percent", label: "Percent", hint: "A percentage, e.g. 12.5 %", icon: "grid" },
  { type: "date", label: "Date", hint: "A calendar day", icon: "calendar" },
  { type: "datetime", label: "Date and time", hint: "An instant, shown in each person's time zone", icon: "clock" },
  { type: "boolean", label: "Yes / no", hint: "A checkbox", icon: "check" },
  { type: "select", label: "Select", hint: "One option from a list", icon: "chevronDown" },
  { type: "multi_select", label: "Multi-select", hint: "Any number of options from a list", icon: "columns" },
  { type: "email", label: "E-mail", hint: "An e-mail address", icon: "mail" },
  { type: "phone", label: "Phone", hint: "A phone number", icon: "phone" },
  { type: "url", label: "URL", hint: "A web address", icon: "external" },
  { type: "user", label: "User", hint: "A member of this workspace", icon: "user" },
  { type: "relation", label: "Relation", hint: "A record of another object", icon: "box" },
  { type: "rating", label: "Rating", hint: "Stars, from 1 up to 10", icon: "lead" },
];

export function typeLabel(type: string): string {
  return FIELD_TYPES.find((t) => t.type === type)?.label ?? type;
}

export const OPTION_COLORS: OptionColor[] = ["gray", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink"];

/** Types whose values the server can keep unique (metadata.py `_UNIQUE_TYPES`). */
export const UNIQUE_TYPES = new Set<CustomFieldType>(["text", "number", "decimal", "email", "phone", "url"]);
export const SELECT_TYPES = new Set<string>(["select", "multi_select"]);
const MAX_LENGTH_TYPES = new Set<string>(["text", "long_text", "email", "phone", "url"]);
const MIN_MAX_TYPES = new Set<string>(["number", "percent"]);

export interface OptionDraft {
  /** Stable while the list is edited and reordered (React keys, drag ids). */
  key: string;
  value: string;
  label: string;
  color: OptionColor | null;
  /** Saved already: its value is in records, so it cannot change. */
  saved: boolean;
}

export interface FieldDraft {
  label: string;
  apiName: string;
  /** The user typed the API name: it no longer follows the label. */
  apiNameEdited: boolean;
  type: CustomFieldType;
  required: boolean;
  unique: boolean;
  helpText: string;
  options: OptionDraft[];
  target: string;
  currency: string;
  ratingMax: string;
  min: string;
  max: string;
  scale: string;
  maxLength: string;
}

let optionCounter = 0;
export function optionKey(): string {
  optionCounter += 1;
  return `option-${optionCounter}`;
}

export function emptyDraft(type: CustomFieldType = "text"): FieldDraft {
  return {
    label: "",
    apiName: "",
    apiNameEdited: false,
    type,
    required: false,
    unique: false,
    helpText: "",
    options: [],
    target: "",
    currency: "",
    ratingMax: "5",
    min: "",
    max: "",
    scale: "2",
    maxLength: "",
  };
}

/** A label as an API name: lower_snake_case ASCII starting with a letter ("Renewal date" -> renewal_date). */
export function apiNameFrom(label: string): string {
  const slug = label
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/ß/g, "ss")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  const named = /^[0-9]/.test(slug) ? `field_${slug}` : slug;
  return named.slice(0, 63).replace(/_+$/, "");
}

/** A new option's value from its label, unique among `taken` (values are what records store). */
export function optionValueFrom(label: string, taken: Iterable<string>): string {
  const base = (apiNameFrom(label) || "option").slice(0, 56);
  const used = new Set(taken);
  if (!used.has(base)) return base;
  for (let n = 2; ; n++) if (!used.has(`${base}_${n}`)) return `${base}_${n}`;
}

export function withLabel(draft: FieldDraft, label: string): FieldDraft {
  return { ...draft, label, apiName: draft.apiNameEdited ? draft.apiName : apiNameFrom(label) };
}

function text(value: unknown): string {
  return value === null || value === undefined ? "" : String(value);
}

/** The draft for editing a saved field. */
export function draftFromField(field: FieldMeta): FieldDraft {
  const settings = field.settings as Record<string, unknown>;
  return {
    ...emptyDraft(field.type as CustomFieldType),
    label: field.label,
    apiName: field.name,
    apiNameEdited: true,
    required: field.required,
    unique: field.unique,
    helpText: field.help_text ?? "",
    options: field.options.map((o) => ({ key: optionKey(), value: o.value, label: o.label, color: o.color ?? null, saved: true })),
    target: text(settings.target),
    currency: text(settings.currency),
    ratingMax: text(settings.max ?? (field.type === "rating" ? 5 : "")),
    min: text(settings.min),
    max: text(settings.max),
    scale: text(settings.scale ?? (field.type === "decimal" ? 6 : "")),
    maxLength: text(settings.max_length),
  };
}

/** A number the user typed, or the text itself when it is not one (the server then says what is wrong). */
function numberOr(value: string): number | undefined {
  const trimmed = value.trim();
  if (!trimmed) return undefined;
  const number = Number(trimmed.replace(",", "."));
  return Number.isNaN(number) ? (trimmed as unknown as number) : number;
}

/** The settings the draft's type takes, blanks left out (the server's defaults apply). */
export function settingsOf(draft: FieldDraft): Settings {
  const out: Settings = {};
  if (draft.type === "relation" && draft.target) out.target = draft.target;
  if (draft.type === "currency" && draft.currency.trim()) out.currency = draft.currency.trim().toUpperCase();
  if (draft.type === "rating") out.max = numberOr(draft.ratingMax) ?? null;
  if (draft.type === "decimal") out.scale = numberOr(draft.scale) ?? null;
  if (MIN_MAX_TYPES.has(draft.type)) {
    out.min = numberOr(draft.min) ?? null;
    out.max = numberOr(draft.max) ?? null;
  }
  if (MAX_LENGTH_TYPES.has(draft.type)) out.max_length = numberOr(draft.maxLength) ?? null;
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== null && v !== undefined)) as Settings;
}

function optionsOf(draft: FieldDraft): Schemas["OptionIn"][] {
  if (!SELECT_TYPES.has(draft.type)) return [];
  return draft.options.map((o) => ({ value: o.value, label: o.label.trim(), ...(o.color ? { color: o.color } : {}) }));
}

export function createBody(draft: FieldDraft): Schemas["FieldCreate"] {
  const body: Schemas["FieldCreate"] = {
    api_name: draft.apiName,
    label: draft.label.trim(),
    type: draft.type,
    required: draft.required,
    unique: UNIQUE_TYPES.has(draft.type) && draft.unique,
    settings: settingsOf(draft),
  };
  if (draft.helpText.trim()) body.help_text = draft.helpText.trim();
  if (SELECT_TYPES.has(draft.type)) body.options = optionsOf(draft);
  return body;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Only what changed, so a save never overwrites what someone else changed in the meantime. */
export function updateBody(field: FieldMeta, draft: FieldDraft): Schemas["FieldUpdate"] {
  const before = draftFromField(field);
  const body: Schemas["FieldUpdate"] = {};
  if (draft.label.trim() !== field.label) body.label = draft.label.trim();
  if (draft.helpText.trim() !== (field.help_text ?? "")) body.help_text = draft.helpText.trim() || null;
  if (draft.required !== field.required) body.required = draft.required;
  if (UNIQUE_TYPES.has(draft.type) && draft.unique !== field.unique) body.unique = draft.unique;
  if (!same(optionsOf(draft), optionsOf(before))) body.options = optionsOf(draft);
  if (!same(settingsOf(draft), settingsOf(before))) body.settings = settingsOf(draft);
  return body;
}

/** Where an API error belongs in the form: `body.settings.target` -> "settings.target", `body.options.2.label`
 * -> "options.2", `body.label` -> "label". */
export function errorKey(path: string): string {
  const parts = path.split(".");
  const rest = parts[0] === "body" ? parts.slice(1) : parts;
  if (rest[0] === "settings" || rest[0] === "options") return rest.slice(0, 2).join(".");
  return rest[0] ?? "";
}

export function errorsByKey(errors: { path: string; message: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const error of errors) {
    const key = errorKey(error.path);
    if (key && !(key in out)) out[key] = error.message;
  }
  return out;
}
