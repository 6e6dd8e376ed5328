import { describe, expect, it } from "vitest";
import type { FieldMeta, ObjectMeta } from "./types";
import { filterFieldGroups, pickableOptions } from "./fields";

const status = {
  name: "status", label: "Status", type: "select", required: true, unique: false, default: "new", help_text: null,
  options: [{ value: "new", label: "New" }, { value: "qualified", label: "Qualified" }, { value: "converted", label: "Converted" }],
  settings: { flow_only_options: ["converted"] }, standard: true, system: false, access: "write", position: 7, archived: false,
} as FieldMeta;

describe("pickableOptions", () => {
  it("does not offer an option only a flow sets (a lead is converted by the convert dialog)", () => {
    expect(pickableOptions(status, "new").map((o) => o.value)).toEqual(["new", "qualified"]);
    expect(pickableOptions(status, null).map((o) => o.value)).not.toContain("converted");
  });

  it("keeps it when the value already holds it, and offers everything on fields without such options", () => {
    expect(pickableOptions(status, "converted").map((o) => o.value)).toContain("converted");
    expect(pickableOptions({ ...status, settings: {} }, "new")).toHaveLength(3);
  });
});

describe("filterFieldGroups", () => {
  const f = (name: string, system = false) => ({ ...status, name, label: name, type: "text", options: [], settings: {}, system }) as FieldMeta;
  const meta = {
    name: "deals", singular: "deal", label: "Deal", label_plural: "Deals", title_field: "name", custom: false, archived: false,
    fields: [f("id", true), f("version", true), f("name"), f("amount"), f("created_at", true), f("updated_at", true), f("closed_at", true)],
  } as ObjectMeta;

  it("lists the object's own fields first and the record's bookkeeping in a group of its own", () => {
    const groups = filterFieldGroups(meta);
    expect(groups.own.map((x) => x.name)).toEqual(["name", "amount", "closed_at"]);
    expect(groups.system.map((x) => x.name)).toEqual(["id", "version", "created_at", "updated_at"]);
  });
});
