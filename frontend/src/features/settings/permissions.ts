/**
 * The role editor's state: a role's permissions as the API holds them, and the edits the screen makes.
 *
 * The model (kronos/modules/access/permissions.py): per object, actions (read, create, update, delete,
 * export), a record visibility (own, team, all: the records the role reads), an edit visibility (the records
 * among those it may update and delete; null is the record visibility, and it is never wider) and per-field
 * access (hidden, read, write). The entry "*" is
 * the default for every object without an entry of its own, and an object's own entry *replaces* "*" as a
 * whole. So editing an object that follows the default first copies the default into an entry of its own,
 * and "reset" removes the entry again. Pure functions, so the rules are tested without a screen.
 */
import type { Schemas } from "@/api/client";

export type Action = "read" | "create" | "update" | "delete" | "export";
export type Visibility = "own" | "team" | "all";
export type FieldAccess = "hidden" | "read" | "write";

export const ACTIONS: readonly Action[] = ["read", "create", "update", "delete", "export"];
export const VISIBILITIES: readonly Visibility[] = ["own", "team", "all"];
export const DEFAULT_OBJECT = "*";

export interface Grant {
  actions: Action[];
  visibility: Visibility;
  edit_visibility: Visibility | null;
  fields: Record<string, FieldAccess>;
}

export interface Permissions {
  is_admin: boolean;
  objects: Record<string, Grant>;
}

const NO_GRANT: Grant = { actions: [], visibility: "all", edit_visibility: null, fields: {} };
const RANK: Record<Visibility, number> = { own: 0, team: 1, all: 2 };

/** The records the grant lets its holder change: its edit visibility, never wider than what it reads. */
export function editVisibility(grant: Grant): Visibility {
  const edit = grant.edit_visibility ?? grant.visibility;
  return RANK[edit] <= RANK[grant.visibility] ? edit : grant.visibility;
}

/** The visibilities an edit visibility may take under `visibility`: it and the narrower ones. */
export function editVisibilities(visibility: Visibility): Visibility[] {
  return VISIBILITIES.filter((v) => RANK[v] <= RANK[visibility]);
}

/** The API's shape (every key optional) made complete, actions in canonical order. */
export function fromApi(value: Schemas["RolePermissions"] | undefined): Permissions {
  const objects: Record<string, Grant> = {};
  for (const [name, grant] of Object.entries(value?.objects ?? {})) {
    objects[name] = {
      actions: ACTIONS.filter((a) => grant.actions?.includes(a)),
      visibility: grant.visibility ?? "all",
      edit_visibility: grant.edit_visibility ?? null,
      fields: { ...(grant.fields ?? {}) },
    };
  }
  return { is_admin: value?.is_admin ?? false, objects };
}

/** What applies to `object`: its own entry, else the default, else nothing. */
export function effectiveGrant(perms: Permissions, object: string): Grant {
  return perms.objects[object] ?? perms.objects[DEFAULT_OBJECT] ?? NO_GRANT;
}

export function hasOwnEntry(perms: Permissions, object: string): boolean {
  return object in perms.objects;
}

export function isWritable(grant: Grant): boolean {
  return grant.actions.includes("create") || grant.actions.includes("update");
}

/** A field's access when no rule names it (the server's rule: write if writable, read if readable). */
export function implicitFieldAccess(grant: Grant): FieldAccess {
  if (!grant.actions.includes("read")) return "hidden";
  return isWritable(grant) ? "write" : "read";
}

/** The access a field really gets: a rule never grants more than the object allows. */
export function effectiveFieldAccess(grant: Grant, field: string): FieldAccess {
  if (!grant.actions.includes("read")) return "hidden";
  const access = grant.fields[field] ?? implicitFieldAccess(grant);
  return access === "write" && !isWritable(grant) ? "read" : access;
}

export type PermissionEdit =
  | { type: "toggleAction"; object: string; action: Action }
  | { type: "setVisibility"; object: string; visibility: Visibility }
  | { type: "setEditVisibility"; object: string; visibility: Visibility }
  | { type: "setField"; object: string; field: string; access: FieldAccess | null }
  | { type: "resetObject"; object: string }
  | { type: "setAdmin"; value: boolean }
  | { type: "replace"; value: Permissions };

function withGrant(perms: Permissions, object: string, change: (grant: Grant) => Grant): Permissions {
  const current = effectiveGrant(perms, object);
  const copy: Grant = { ...current, actions: [...current.actions], fields: { ...current.fields } };
  return { ...perms, objects: { ...perms.objects, [object]: change(copy) } };
}

/**
 * Reading is the base of every other action: granting create/update/delete/export grants read too, and
 * taking read away takes everything (the server would hide every field of an unreadable object anyway).
 */
function toggle(grant: Grant, action: Action): Grant {
  const has = grant.actions.includes(action);
  let next: Action[];
  if (has) next = action === "read" ? [] : grant.actions.filter((a) => a !== action);
  else next = [...grant.actions, action, ...(action === "read" ? [] : (["read"] as Action[]))];
  return { ...grant, actions: ACTIONS.filter((a) => next.includes(a)) };
}

export function permissionsReducer(perms: Permissions, edit: PermissionEdit): Permissions {
  switch (edit.type) {
    case "toggleAction":
      return withGrant(perms, edit.object, (grant) => toggle(grant, edit.action));
    case "setVisibility":
      // An edit visibility left wider than the new reads would mean nothing: it follows them down.
      return withGrant(perms, edit.object, (grant) => {
        const next = { ...grant, visibility: edit.visibility };
        const kept = grant.edit_visibility !== null && RANK[grant.edit_visibility] < RANK[edit.visibility];
        return { ...next, edit_visibility: kept ? grant.edit_visibility : null };
      });
    case "setEditVisibility":
      // The same as the reads is stored as null ("follows the record visibility").
      return withGrant(perms, edit.object, (grant) => ({
        ...grant,
        edit_visibility: edit.visibility === grant.visibility ? null : edit.visibility,
      }));
    case "setField":
      return withGrant(perms, edit.object, (grant) => {
        const fields = { ...grant.fields };
        if (edit.access === null) delete fields[edit.field];
        else fields[edit.field] = edit.access;
        return { ...grant, fields };
      });
    case "resetObject": {
      if (edit.object === DEFAULT_OBJECT) return perms;
      const objects = { ...perms.objects };
      delete objects[edit.object];
      return { ...perms, objects };
    }
    case "setAdmin":
      return { ...perms, is_admin: edit.value };
    case "replace":
      return edit.value;
  }
}

/** A stable text form (sorted keys), to tell whether the editor holds unsaved changes. */
export function canonical(perms: Permissions): string {
  const objects = Object.keys(perms.objects)
    .sort()
    .map((name) => {
      const grant = perms.objects[name]!;
      const fields = Object.keys(grant.fields)
        .sort()
        .map((f) => [f, grant.fields[f]]);
      return [name, ACTIONS.filter((a) => grant.actions.includes(a)), grant.visibility, grant.edit_visibility, fields];
    });
  return JSON.stringify([perms.is_admin, objects]);
}

/** "Read, create, update" or "No access", for lists. */
export function describeActions(actions: readonly Action[]): string {
  if (actions.length === 0) return "No access";
  if (actions.length === ACTIONS.length) return "Full access";
  const text = actions.join(", ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Fields hidden and read-only by rule, for a one-line summary of an object's field rules. */
export function fieldRuleCounts(grant: Grant): { hidden: number; readOnly: number } {
  const values = Object.values(grant.fields);
  return {
    hidden: values.filter((v) => v === "hidden").length,
    readOnly: values.filter((v) => v === "read").length,
  };
}
