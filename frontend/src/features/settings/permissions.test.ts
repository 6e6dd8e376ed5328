import { describe, expect, it } from "vitest";
import {
  canonical,
  effectiveFieldAccess,
  editVisibility,
  editVisibilities,
  effectiveGrant,
  fromApi,
  hasOwnEntry,
  permissionsReducer,
  type PermissionEdit,
  type Permissions,
} from "./permissions";

const salesRep = fromApi({
  is_admin: false,
  objects: {
    "*": { actions: ["read"], visibility: "all", fields: {} },
    contacts: { actions: ["update", "read", "create", "delete"], visibility: "own", fields: { owner_id: "read" } },
  },
});

function apply(perms: Permissions, ...edits: PermissionEdit[]): Permissions {
  return edits.reduce(permissionsReducer, perms);
}

describe("role permission editor state", () => {
  it("reads the API's shape with actions in a canonical order and defaults filled in", () => {
    expect(salesRep.objects.contacts!.actions).toEqual(["read", "create", "update", "delete"]);
    expect(fromApi({ objects: { deals: {} } })).toEqual({
      is_admin: false,
      objects: { deals: { actions: [], visibility: "all", edit_visibility: null, fields: {} } },
    });
  });

  it("editing an object that follows the default copies the default into its own entry first", () => {
    expect(hasOwnEntry(salesRep, "companies")).toBe(false);
    const next = apply(salesRep, { type: "toggleAction", object: "companies", action: "update" });
    expect(next.objects.companies).toEqual({ actions: ["read", "update"], visibility: "all", edit_visibility: null, fields: {} });
    // The default itself and the previous state are untouched.
    expect(next.objects["*"]!.actions).toEqual(["read"]);
    expect(salesRep.objects.companies).toBeUndefined();
  });

  it("granting any action grants read; taking read away takes every action", () => {
    const noAccess = fromApi({ objects: { tickets: { actions: [] } } });
    const withDelete = apply(noAccess, { type: "toggleAction", object: "tickets", action: "delete" });
    expect(withDelete.objects.tickets!.actions).toEqual(["read", "delete"]);
    const withoutRead = apply(salesRep, { type: "toggleAction", object: "contacts", action: "read" });
    expect(withoutRead.objects.contacts!.actions).toEqual([]);
    const withoutDelete = apply(salesRep, { type: "toggleAction", object: "contacts", action: "delete" });
    expect(withoutDelete.objects.contacts!.actions).toEqual(["read", "create", "update"]);
  });

  it("hides and un-hides a field, and a field rule never grants more than the object", () => {
    const hidden = apply(salesRep, { type: "setField", object: "companies", field: "domain", access: "hidden" });
    expect(hidden.objects.companies!.fields).toEqual({ domain: "hidden" });
    expect(effectiveFieldAccess(effectiveGrant(hidden, "companies"), "domain")).toBe("hidden");
    // "write" on a read-only object is read.
    const write = apply(salesRep, { type: "setField", object: "companies", field: "domain", access: "write" });
    expect(effectiveFieldAccess(effectiveGrant(write, "companies"), "domain")).toBe("read");
    // Back to "follows the object": the rule is gone.
    const cleared = apply(hidden, { type: "setField", object: "companies", field: "domain", access: null });
    expect(cleared.objects.companies!.fields).toEqual({});
    expect(effectiveFieldAccess(effectiveGrant(salesRep, "contacts"), "owner_id")).toBe("read");
    expect(effectiveFieldAccess(effectiveGrant(salesRep, "contacts"), "email")).toBe("write");
  });

  it("resets an object to the default, but never removes the default", () => {
    const reset = apply(salesRep, { type: "resetObject", object: "contacts" });
    expect(hasOwnEntry(reset, "contacts")).toBe(false);
    expect(effectiveGrant(reset, "contacts").actions).toEqual(["read"]);
    expect(apply(salesRep, { type: "resetObject", object: "*" })).toBe(salesRep);
  });

  it("tells unsaved changes apart from the same permissions in another order", () => {
    const reordered = fromApi({
      objects: {
        contacts: { fields: { owner_id: "read" }, visibility: "own", actions: ["delete", "create", "read", "update"] },
        "*": { actions: ["read"] },
      },
    });
    expect(canonical(reordered)).toBe(canonical(salesRep));
    const changed = apply(salesRep, { type: "setVisibility", object: "contacts", visibility: "team" });
    expect(canonical(changed)).not.toBe(canonical(salesRep));
    const admin = apply(salesRep, { type: "setAdmin", value: true });
    expect(admin.is_admin).toBe(true);
    expect(canonical(admin)).not.toBe(canonical(salesRep));
  });

  it("keeps an edit visibility within the reads, and stores the same as the reads as null", () => {
    const wide = apply(salesRep, { type: "setVisibility", object: "contacts", visibility: "all" });
    const rep = apply(wide, { type: "setEditVisibility", object: "contacts", visibility: "own" });
    expect(rep.objects.contacts!.edit_visibility).toBe("own");
    expect(editVisibility(rep.objects.contacts!)).toBe("own");
    expect(editVisibilities("team")).toEqual(["own", "team"]);
    expect(canonical(rep)).not.toBe(canonical(wide));
    // Back to the reads' own value: null, so the role follows its record visibility again.
    const same = apply(rep, { type: "setEditVisibility", object: "contacts", visibility: "all" });
    expect(same.objects.contacts!.edit_visibility).toBeNull();
    // Narrowing the reads below the edit visibility takes the edit visibility along.
    const team = apply(rep, { type: "setEditVisibility", object: "contacts", visibility: "team" }, { type: "setVisibility", object: "contacts", visibility: "own" });
    expect(team.objects.contacts!.edit_visibility).toBeNull();
    expect(editVisibility({ actions: ["read"], visibility: "own", edit_visibility: "all", fields: {} })).toBe("own");
    // Editing an object that follows the default copies the default's edit visibility too.
    const copied = apply(fromApi({ objects: { "*": { actions: ["read", "update"], visibility: "all", edit_visibility: "own" } } }), {
      type: "toggleAction",
      object: "deals",
      action: "delete",
    });
    expect(copied.objects.deals!.edit_visibility).toBe("own");
  });
});
