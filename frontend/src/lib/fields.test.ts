import { describe, expect, it } from "vitest";
import type { FieldMeta, ObjectMeta } from "./types";
import { canChange, defaultColumns, formatValue, isListField, operatorsFor, recordTitle, searchableFields } from "./fields";
import { fromDraft, toDraft } from "@/features/records/FieldEditor";

function field(name: string, type: FieldMeta["type"], extra: Partial<FieldMeta> = {}): FieldMeta {
  return { name, label: name, type, required: false, unique: false, default: null, help_text: null, options: [], settings: {}, standard: true, system: false, access: "write", position: 0, archived: false, ...extra } as FieldMeta;
}

const contacts: ObjectMeta = {
  name: "contacts", singular: "contact", label: "Contact", label_plural: "Contacts", title_field: "last_name", custom: false, archived: false,
  fields: [
    field("id", "id", { system: true }), field("version", "number", { system: true }), field("first_name", "text"),
    field("last_name", "text", { required: true }), field("emails", "email"), field("company_id", "relation", { settings: { target: "companies" } }),
    field("notes", "long_text"), field("created_at", "datetime", { system: true }),
  ],
};

describe("fields", () => {
  it("names contacts by first and last name", () => {
    expect(recordTitle(contacts, { id: "1", version: 1, first_name: "Ada", last_name: "Lovelace" })).toBe("Ada Lovelace");
    expect(recordTitle(contacts, { id: "1", version: 1, first_name: null, last_name: "Lovelace" })).toBe("Lovelace");
  });

  it("shows the title column first and no separate first-name column", () => {
    const columns = defaultColumns(contacts);
    expect(columns[0]).toBe("last_name");
    expect(columns).not.toContain("first_name");
    expect(columns).not.toContain("id");
    expect(columns).not.toContain("notes");
    expect(columns).toContain("created_at");
  });

  it("knows list fields and offers only contains/is_null on them", () => {
    expect(isListField(field("emails", "email"))).toBe(true);
    expect(isListField(field("email", "email"))).toBe(false);
    expect(isListField(field("contact_ids", "relation"))).toBe(true);
    expect(operatorsFor(field("emails", "email")).map((o) => o.op)).toEqual(["contains", "is_null", "not_null"]);
    expect(operatorsFor(field("amount", "currency")).map((o) => o.op)).toContain("gte");
  });

  it("searches scalar text fields only, title first", () => {
    expect(searchableFields(contacts).map((f) => f.name)).toEqual(["last_name", "first_name"]);
  });

  it("formats money in minor units per currency", () => {
    expect(formatValue(field("amount", "currency"), { amount_minor: 1250000, currency: "EUR" })).toMatch(/12,500\.00/);
    expect(formatValue(field("amount", "currency"), { amount_minor: 1250, currency: "JPY" })).toMatch(/1,250/);
    expect(formatValue(field("size", "select", { options: [{ value: "1-10", label: "1 to 10" }] }), "1-10")).toBe("1 to 10");
  });

  it("turns drafts into the API's canonical values", () => {
    const amount = field("amount", "currency");
    expect(fromDraft(amount, { amount: "12,500.5", currency: "eur" })).toEqual({ amount_minor: 1250050, currency: "EUR" });
    expect(fromDraft(amount, { amount: "", currency: "EUR" })).toBeNull();
    expect(fromDraft(amount, { amount: "100", currency: "" }, "JPY")).toEqual({ amount_minor: 100, currency: "JPY" });
    expect(toDraft(amount, { amount_minor: 1250050, currency: "EUR" })).toEqual({ amount: "12500.5", currency: "EUR" });
    expect(fromDraft(field("emails", "email"), "a@x.example, b@x.example ,")).toEqual(["a@x.example", "b@x.example"]);
    expect(fromDraft(field("job_title", "text"), "")).toBeNull();
    expect(fromDraft(field("score", "number"), "42")).toBe(42);
    expect(fromDraft(field("score", "number"), "forty")).toBe("forty"); // the server explains what is wrong
    const due = field("due_at", "datetime");
    const iso = fromDraft(due, toDraft(due, "2026-05-01T10:30:00.000000Z")) as string;
    expect(new Date(iso).toISOString()).toBe("2026-05-01T10:30:00.000Z");
  });
});

describe("canChange", () => {
  const perms = { read: true, create: true, update: true, delete: false, export: false, customize: false };
  const own: ObjectMeta = { ...contacts, permissions: { ...perms, visibility: "all", edit_visibility: "own" } };
  const mine = { id: "r1", version: 1, owner_id: "u1" };
  const theirs = { id: "r2", version: 1, owner_id: "u2" };

  it("lets a role that changes only its own records change the caller's records, not others'", () => {
    expect(canChange(own, mine, "update", "u1")).toBe(true);
    expect(canChange(own, theirs, "update", "u1")).toBe(false);
    expect(canChange(own, mine, "delete", "u1")).toBe(false); // the object's action still rules
  });

  it("leaves team edit visibility and unprojected owners to the server", () => {
    const team: ObjectMeta = { ...contacts, permissions: { ...perms, visibility: "all", edit_visibility: "team" } };
    expect(canChange(team, theirs, "update", "u1")).toBe(true);
    expect(canChange(own, { id: "r3", version: 1 }, "update", "u1")).toBe(true);
  });
});
