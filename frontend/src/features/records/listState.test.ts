import { describe, expect, it } from "vitest";
import type { ObjectMeta } from "@/lib/types";
import { buildFilter, chipsFromFilter } from "./listState";

const meta = {
  name: "companies", singular: "company", label: "Company", label_plural: "Companies", title_field: "name", custom: false, archived: false,
  fields: [
    { name: "name", type: "text", system: false, settings: {}, options: [] },
    { name: "domain", type: "text", system: false, settings: {}, options: [] },
    { name: "industry", type: "select", system: false, settings: {}, options: [] },
  ],
} as unknown as ObjectMeta;

describe("list filters", () => {
  it("ANDs chips and ORs the quick search over text fields", () => {
    expect(buildFilter(meta, [], "")).toBeNull();
    expect(buildFilter(meta, [{ field: "industry", op: "eq", value: "retail" }], "")).toEqual({ field: "industry", op: "eq", value: "retail" });
    expect(buildFilter(meta, [{ field: "industry", op: "not_null" }], "acme")).toEqual({
      and: [
        { field: "industry", op: "is_null", value: false },
        { or: [{ field: "name", op: "contains", value: "acme" }, { field: "domain", op: "contains", value: "acme" }] },
      ],
    });
  });

  it("turns a saved view's filter back into chips, or says it cannot", () => {
    expect(chipsFromFilter(null)).toEqual([]);
    expect(chipsFromFilter({ and: [{ field: "industry", op: "is_null", value: false }, { field: "name", op: "starts_with", value: "Ac" }] })).toEqual([
      { field: "industry", op: "not_null" },
      { field: "name", op: "starts_with", value: "Ac" },
    ]);
    expect(chipsFromFilter({ or: [{ field: "name", op: "eq", value: "x" }] })).toBeNull();
  });
});
