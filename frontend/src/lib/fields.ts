/** What the UI needs to know about a field beyond its metadata: list-ness, operators, display text. */
import type { FieldMeta, FieldType, Money, ObjectMeta, RecordData, RecordLink } from "./types";

/** Fields the API sets itself and that the UI never offers to edit or show as columns by default. */
const BOOKKEEPING = new Set(["id", "version"]);

/**
 * Whether a field holds a list: metadata's `many` flag. A select or text field is never one, whatever it says:
 * callers ask for a list field's one-value form (a filter on one e-mail, one tag) by changing its type.
 * Servers without the flag: multi-selects do, and so do fields whose values come back as arrays (e-mails,
 * phones, contact_ids); a name ending in _ids is a list of relations.
 */
export function isListField(field: FieldMeta, sample?: unknown): boolean {
  if (field.type === "multi_select") return true;
  if (typeof field.many === "boolean") return field.many && field.type !== "select" && field.type !== "text";
  if (field.type === "record_link") return true;
  if (Array.isArray(sample)) return true;
  if ((field.settings as Record<string, unknown>)?.many === true) return true;
  if (field.type === "relation" && field.name.endsWith("_ids")) return true;
  return (field.type === "email" || field.type === "phone" || field.type === "url") && field.name.endsWith("s");
}

export function isEditable(field: FieldMeta): boolean {
  return field.access === "write" && !field.system && field.type !== "id" && field.type !== "record_link";
}

export type ObjectAction = "read" | "create" | "update" | "delete" | "export";

/**
 * Whether the caller's role lets them `action` the object's records (metadata's `permissions`, which mirror
 * what the server enforces). Servers without it: any writable field is taken to mean "may write".
 */
export function can(meta: ObjectMeta, action: ObjectAction): boolean {
  if (meta.permissions) return meta.permissions[action] === true;
  return action === "read" || meta.fields.some(isEditable);
}

/**
 * Whether the caller may update or delete this record: the object's action, and the record within their role's
 * edit visibility (metadata's `permissions.edit_visibility`). "own" is decided here from the record's owner;
 * "team" needs the caller's teams, which the client does not hold, so there the server decides (403
 * record_read_only) and the screen offers the change.
 */
export function canChange(meta: ObjectMeta, record: RecordData, action: "update" | "delete", userId: string): boolean {
  if (!can(meta, action)) return false;
  if (meta.permissions?.edit_visibility !== "own") return true;
  const owner = record.owner_id;
  return owner === undefined || owner === userId;
}

export function isBookkeeping(field: FieldMeta): boolean {
  return BOOKKEEPING.has(field.name);
}

export function relationTarget(field: FieldMeta): string | null {
  const target = (field.settings as Record<string, unknown>)?.target;
  return typeof target === "string" ? target : null;
}

/** Operators the API accepts per type (kronos/kit/records/query.py), in the order a menu shows them. */
export function operatorsFor(field: FieldMeta): { op: string; label: string }[] {
  const label: Record<string, string> = {
    contains: "contains",
    starts_with: "starts with",
    eq: "is",
    neq: "is not",
    gt: "greater than",
    gte: "at least",
    lt: "less than",
    lte: "at most",
    in: "is any of",
    is_null: "is empty",
    not_null: "is not empty",
  };
  const ops = (names: string[]) => names.map((op) => ({ op, label: label[op] ?? op }));
  if (isListField(field)) return ops(["contains", "is_null", "not_null"]);
  switch (field.type) {
    case "text":
    case "long_text":
    case "email":
    case "phone":
    case "url":
      return ops(["contains", "starts_with", "eq", "neq", "is_null", "not_null"]);
    case "number":
    case "decimal":
    case "percent":
    case "rating":
    case "currency":
      return ops(["eq", "gt", "gte", "lt", "lte", "is_null", "not_null"]);
    case "date":
    case "datetime":
      return [
        { op: "gte", label: "on or after" },
        { op: "lte", label: "on or before" },
        ...ops(["eq", "is_null", "not_null"]),
      ];
    case "select":
      return ops(["eq", "neq", "in", "is_null", "not_null"]);
    case "boolean":
      return ops(["eq"]);
    default:
      return ops(["eq", "neq", "is_null", "not_null"]);
  }
}

/** Bookkeeping every record has: the filter menu lists them last, in their own "System" group. */
const RECORD_BOOKKEEPING = new Set(["id", "version", "created_at", "updated_at"]);

/** The fields a filter can pick, the object's own first (in their order), then the record's bookkeeping. */
export function filterFieldGroups(meta: ObjectMeta): { own: FieldMeta[]; system: FieldMeta[] } {
  const fields = meta.fields.filter((f) => f.type !== "record_link");
  return { own: fields.filter((f) => !RECORD_BOOKKEEPING.has(f.name)), system: fields.filter((f) => RECORD_BOOKKEEPING.has(f.name)) };
}

/** Types a quick search can look into with `contains` (scalar text only; lists need exact values). */
export function searchableFields(meta: ObjectMeta): FieldMeta[] {
  const text = new Set<FieldType>(["text", "email", "phone", "url"]);
  const fields = meta.fields.filter((f) => text.has(f.type) && !isListField(f) && !f.system);
  const title = fields.find((f) => f.name === meta.title_field);
  return [...(title ? [title] : []), ...fields.filter((f) => f !== title)].slice(0, 4);
}

export function fractionDigits(currency: string): number {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

export function isMoney(value: unknown): value is Money {
  return typeof value === "object" && value !== null && "amount_minor" in value && "currency" in value;
}

export function isRecordLink(value: unknown): value is RecordLink {
  return typeof value === "object" && value !== null && "object" in value && "id" in value;
}

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 6 });
const dateFormat = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});

export function formatMoney(value: Money): string {
  const digits = fractionDigits(value.currency);
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: value.currency }).format(
      value.amount_minor / 10 ** digits,
    );
  } catch {
    return `${value.amount_minor / 10 ** digits} ${value.currency}`;
  }
}

export function formatDate(value: string): string {
  const [y, m, d] = value.split("-").map(Number);
  if (!y || !m || !d) return value;
  return dateFormat.format(new Date(y, m - 1, d));
}

export function formatDateTime(value: string | Date): string {
  const date = typeof value === "string" ? new Date(value) : value;
  return Number.isNaN(date.getTime()) ? String(value) : dateTimeFormat.format(date);
}

export function formatRelativeTime(value: string): string {
  const then = new Date(value).getTime();
  const seconds = Math.round((then - Date.now()) / 1000);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ["year", 31536000],
    ["month", 2592000],
    ["week", 604800],
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
  ];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return rtf.format(Math.round(seconds / size), unit);
  }
  return "just now";
}

/**
 * The options a person may pick: not those only a domain flow sets (a lead becomes "converted" by converting
 * it, and the API refuses it otherwise), unless the value holds one already.
 */
export function pickableOptions(field: FieldMeta, current?: unknown): FieldMeta["options"] {
  const flowOnly = field.settings.flow_only_options;
  if (!Array.isArray(flowOnly)) return field.options;
  return field.options.filter((o) => o.value === current || !flowOnly.includes(o.value));
}

/** The field as a form that writes it shows it: with only the options a person may pick. */
export function forWriting(field: FieldMeta, current?: unknown): FieldMeta {
  return field.options.length ? { ...field, options: pickableOptions(field, current) } : field;
}

export function optionLabel(field: FieldMeta, value: unknown): string {
  const option = field.options.find((o) => o.value === value);
  return option ? option.label : String(value);
}

/** Plain text for a value (no lookups: relations and users show as ids here; components resolve them). */
export function formatValue(field: FieldMeta, value: unknown): string {
  if (value === null || value === undefined || value === "") return "";
  if (Array.isArray(value)) return value.map((v) => formatValue({ ...field, type: itemType(field) }, v)).join(", ");
  switch (field.type) {
    case "currency":
      return isMoney(value) ? formatMoney(value) : String(value);
    case "date":
      return formatDate(String(value));
    case "datetime":
      return formatDateTime(String(value));
    case "boolean":
      return value ? "Yes" : "No";
    case "percent":
      return `${numberFormat.format(Number(value))} %`;
    case "number":
    case "decimal":
      return numberFormat.format(Number(value));
    case "rating":
      return "★".repeat(Number(value));
    case "select":
    case "multi_select":
      return optionLabel(field, value);
    case "record_link":
      return isRecordLink(value) ? `${value.object}/${value.id.slice(0, 8)}` : String(value);
    default:
      return typeof value === "object" ? JSON.stringify(value) : String(value);
  }
}

function itemType(field: FieldMeta): FieldType {
  return field.type === "multi_select" ? "select" : field.type;
}

/** How a record is named in links, titles and pickers. */
export function recordTitle(meta: ObjectMeta | undefined, record: Partial<RecordData> | undefined): string {
  if (!record) return "";
  const title = meta ? record[meta.title_field] : undefined;
  const first = record.first_name;
  if (meta?.title_field === "last_name" && typeof first === "string" && first) {
    return `${first} ${String(title ?? "")}`.trim();
  }
  if (title !== null && title !== undefined && title !== "") return String(title);
  return meta ? `Untitled ${meta.singular}` : String(record.id ?? "");
}

/** The title column's header: "Name" when the title combines first and last name. */
export function titleLabel(meta: ObjectMeta): string {
  const field = meta.fields.find((f) => f.name === meta.title_field);
  return titleFields(meta).length > 2 ? "Name" : (field?.label ?? "Name");
}

/** The fields a title needs, for `?fields=` projections. */
export function titleFields(meta: ObjectMeta): string[] {
  const names = ["id", meta.title_field];
  if (meta.title_field === "last_name" && meta.fields.some((f) => f.name === "first_name")) names.push("first_name");
  return names;
}

/** Columns a list shows before the user picks: the title, then the first useful fields. */
export function defaultColumns(meta: ObjectMeta): string[] {
  const skip = new Set(["id", "version", "updated_at", "long_text"]);
  // The title column shows the full name, so a contact's first name needs no column of its own.
  const columns = [meta.title_field];
  const combined = new Set(titleFields(meta));
  for (const field of meta.fields) {
    if (columns.length >= 7) break;
    if (columns.includes(field.name) || combined.has(field.name) || skip.has(field.name) || skip.has(field.type)) continue;
    if (field.name.startsWith("address_") && field.name !== "address_city") continue;
    if (field.system && field.name !== "created_at") continue;
    columns.push(field.name);
  }
  return columns;
}
