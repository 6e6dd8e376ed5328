import { describe, expect, it } from "vitest";
import { can, isListField } from "@/lib/fields";
import type { FieldMeta, ObjectMeta } from "@/lib/types";

function field(name: string, type: FieldMeta["type"], many?: boolean): FieldMeta {
  return {
    name, label: name, type, required: false, unique: false, default: null, help_text: null, options: [], settings: {},
    standard: true, system: false, access: "write", position: 1, archived: false, ...(many === undefined ? {} : { many }),
  } as FieldMeta;
}

function object(fields: FieldMeta[], permissions?: ObjectMeta["permissions"]): ObjectMeta {
  return { name: "contacts", singular: "contact", label: "Contact", label_plural: "Contacts", title_field: "last_name", custom: false, fields, ...(permissions ? { permissions } : {}) };
}

describe("metadata flags in the record screens", () => {
  it("trusts `many` over names: a custom e-mail field called 'alerts' holds one address", () => {
    expect(isListField(field("alerts", "email", false))).toBe(false);
    expect(isListField(field("alerts", "email"))).toBe(true); // without the flag, the name decides
    expect(isListField(field("backup", "email", true))).toBe(true);
    expect(isListField(field("contact_ids", "relation", true))).toBe(true);
    expect(isListField(field("company_id", "relation", false))).toBe(false);
  });

  it("keeps a list field's one-value form (a filter on one tag or one e-mail) scalar", () => {
    expect(isListField({ ...field("tags", "multi_select", true), type: "select" })).toBe(false);
    expect(isListField({ ...field("emails", "email", true), type: "text" })).toBe(false);
  });

  it("answers what the caller may do from the object's permissions, not from writable fields", () => {
    const writable = [field("last_name", "text")];
    const marketing = { read: true, create: false, update: true, delete: false, export: true, customize: false };
    expect(can(object(writable, marketing), "create")).toBe(false);
    expect(can(object(writable, marketing), "update")).toBe(true);
    expect(can(object(writable, marketing), "delete")).toBe(false);
    // An older server without permissions: writable fields still mean "may write".
    expect(can(object(writable), "create")).toBe(true);
    expect(can(object([{ ...field("last_name", "text"), access: "read" }]), "delete")).toBe(false);
  });
});
