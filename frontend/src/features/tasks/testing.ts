/** Test data for the tasks screen's component tests: metadata as the API describes activities and contacts. */
import type { FieldMeta, FilterNode, ObjectMeta, RecordData } from "@/lib/types";
import { json, type Handler } from "@/test/render";

function field(name: string, type: FieldMeta["type"], extra: Partial<FieldMeta> = {}): FieldMeta {
  return {
    name, label: name, type, required: false, unique: false, default: null, help_text: null, options: [], settings: {},
    many: false, standard: true, system: false, access: "write", position: 0, archived: false, ...extra,
  } as FieldMeta;
}

const ALL = { read: true, create: true, update: true, delete: true, export: true, customize: false };

export function activitiesMeta(permissions = ALL): ObjectMeta {
  return {
    name: "activities", singular: "activity", label: "Activity", label_plural: "Activities", title_field: "subject",
    custom: false, archived: false, permissions,
    fields: [
      field("id", "id", { system: true, access: "read" }),
      field("kind", "select", { required: true, options: [{ value: "task", label: "Task" }] }),
      field("subject", "text", { label: "Subject" }),
      field("body", "long_text", { label: "Body" }),
      field("due_at", "datetime", { label: "Due" }),
      field("done", "boolean", { label: "Done" }),
      field("assignee_id", "user", { label: "Assignee" }),
      field("links", "record_link", { label: "Linked records", many: true }),
    ],
  } as ObjectMeta;
}

export const CONTACTS_META = {
  name: "contacts", singular: "contact", label: "Contact", label_plural: "Contacts", title_field: "last_name",
  custom: false, archived: false, permissions: ALL,
  fields: [field("id", "id", { system: true }), field("first_name", "text"), field("last_name", "text", { required: true })],
} as ObjectMeta;

export const MEMBERS = [
  { id: "m1", user_id: "u1", email: "ada@example.com", full_name: "Ada Lovelace", role: "owner", joined_at: "2026-01-01T00:00:00Z" },
  { id: "m2", user_id: "u2", email: "grace@example.com", full_name: "Grace Hopper", role: "sales_rep", joined_at: "2026-01-01T00:00:00Z" },
];

export function task(id: string, extra: Partial<RecordData> = {}): RecordData {
  return {
    id, version: 1, kind: "task", subject: `Task ${id}`, due_at: null, done: false, assignee_id: "u1", links: null,
    created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z", ...extra,
  };
}

/** The `?filter=` of a list request, parsed; null when there is none. */
export function filterOf(request: Request): FilterNode | null {
  const raw = new URL(request.url).searchParams.get("filter");
  return raw ? (JSON.parse(raw) as FilterNode) : null;
}

/** The value of `{field, op}` inside an `and` filter, or undefined. */
export function conditionValue(filter: FilterNode | null, fieldName: string, op: string): unknown {
  if (!filter || !("and" in filter)) return undefined;
  const found = filter.and.find((c) => "field" in c && c.field === fieldName && c.op === op);
  return found && "field" in found ? found.value : undefined;
}

/** Metadata, members and the caller's role (visibility on activities), as the app asks for them. */
export function baseApi({ visibility = "all", meta = activitiesMeta() }: { visibility?: string; meta?: ObjectMeta } = {}): Handler {
  return (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/api/v1/metadata/objects") return json([meta, CONTACTS_META]);
    if (url.pathname === "/api/v1/members") return json(MEMBERS);
    if (url.pathname.startsWith("/api/v1/roles/")) {
      return json({
        id: null, key: "owner", name: "Owner", description: "", built_in: true,
        permissions: { is_admin: false, objects: { "*": { actions: ["read", "create", "update"], visibility, fields: {} } } },
      });
    }
    return undefined;
  };
}

// Node re-reads TZ whenever it is assigned, so a test can run in any zone. (The app's tsconfig has no Node
// types, on purpose: reach `process` through globalThis here rather than add them for every file.)
const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env;
const originalZone = env.TZ;

export function setTimeZone(zone: string | undefined): void {
  if (zone === undefined) delete env.TZ;
  else env.TZ = zone;
}

export function restoreTimeZone(): void {
  setTimeZone(originalZone);
}
