/**
 * A role's permissions as a table: one row per object (the "*" default first), a checkbox per action, the
 * record visibility (which records it reads), the edit visibility (which of those it may change), and per-field rules in an expandable row. Objects that follow the default are marked;
 * changing one gives it an entry of its own (see permissions.ts), "Use default" removes it.
 */
import { Fragment, useState, type Dispatch } from "react";
import type { ObjectMeta } from "@/lib/types";
import { Button } from "@/ui/Button";
import { cx } from "@/ui/cx";
import { Icon } from "@/ui/Icon";
import { Badge } from "./components";
import {
  ACTIONS,
  DEFAULT_OBJECT,
  VISIBILITIES,
  editVisibilities,
  editVisibility,
  effectiveGrant,
  fieldRuleCounts,
  hasOwnEntry,
  implicitFieldAccess,
  isWritable,
  type FieldAccess,
  type PermissionEdit,
  type Permissions,
  type Visibility,
} from "./permissions";

const ACTION_LABELS = { read: "Read", create: "Create", update: "Update", delete: "Delete", export: "Export" } as const;
const VISIBILITY_LABELS: Record<Visibility, string> = { own: "Own records", team: "Their teams'", all: "All records" };
const EDIT_LABELS: Record<Visibility, string> = { own: "Their own", team: "Their teams'", all: "All they see" };
const ACCESS_LABELS: Record<FieldAccess, string> = { hidden: "Hidden", read: "Read-only", write: "Editable" };

interface Row {
  name: string;
  label: string;
  object?: ObjectMeta;
}

function FieldRules({
  row,
  perms,
  dispatch,
  readOnly,
}: {
  row: Row & { object: ObjectMeta };
  perms: Permissions;
  dispatch: Dispatch<PermissionEdit>;
  readOnly: boolean;
}) {
  const grant = effectiveGrant(perms, row.name);
  const fields = row.object.fields.filter((f) => !f.system && !f.archived);
  const implicit = implicitFieldAccess(grant);
  if (!grant.actions.includes("read")) {
    return <p className="text-sm text-muted">No field is visible: this role cannot read {row.label.toLowerCase()}.</p>;
  }
  return (
    <ul className="grid gap-x-6 gap-y-2 sm:grid-cols-2" aria-label={`Field rules for ${row.label}`}>
      {fields.map((field) => {
        const rule = grant.fields[field.name];
        const id = `field-${row.name}-${field.name}`;
        return (
          <li key={field.name} className="flex items-center justify-between gap-3">
            <label htmlFor={id} className="min-w-0 truncate text-sm">
              {field.label}
            </label>
            <select
              id={id}
              className={cx("k-input h-8 w-48 shrink-0", rule && "border-accent")}
              disabled={readOnly}
              value={rule ?? ""}
              onChange={(e) =>
                dispatch({
                  type: "setField",
                  object: row.name,
                  field: field.name,
                  access: e.target.value === "" ? null : (e.target.value as FieldAccess),
                })
              }
            >
              <option value="">Default ({ACCESS_LABELS[implicit].toLowerCase()})</option>
              <option value="hidden">Hidden</option>
              <option value="read">Read-only</option>
              <option value="write" disabled={!isWritable(grant)}>
                Editable
              </option>
            </select>
          </li>
        );
      })}
    </ul>
  );
}

function fieldSummary(perms: Permissions, name: string): string {
  const { hidden, readOnly } = fieldRuleCounts(effectiveGrant(perms, name));
  const parts = [hidden ? `${hidden} hidden` : "", readOnly ? `${readOnly} read-only` : ""].filter(Boolean);
  return parts.length ? parts.join(", ") : "Fields";
}

export function PermissionMatrix({
  perms,
  dispatch,
  objects,
  readOnly,
}: {
  perms: Permissions;
  dispatch: Dispatch<PermissionEdit>;
  objects: ObjectMeta[];
  readOnly: boolean;
}) {
  const [open, setOpen] = useState<string | null>(null);
  const rows: Row[] = [
    { name: DEFAULT_OBJECT, label: "All other objects" },
    ...objects.map((o) => ({ name: o.name, label: o.label_plural, object: o })),
  ];
  return (
    <div className="-mx-4 overflow-x-auto sm:mx-0">
      <table className="w-full min-w-[860px] text-sm">
        <thead>
          <tr className="border-b border-line text-left text-xs text-muted">
            <th scope="col" className="py-2 pr-3 pl-4 font-medium sm:pl-0">
              Object
            </th>
            {ACTIONS.map((a) => (
              <th key={a} scope="col" className="w-16 px-1 py-2 text-center font-medium">
                {ACTION_LABELS[a]}
              </th>
            ))}
            <th scope="col" className="px-2 py-2 font-medium">
              Reads
            </th>
            <th scope="col" className="px-2 py-2 font-medium">
              Changes
            </th>
            <th scope="col" className="px-2 py-2 font-medium">
              <span className="sr-only">Fields and reset</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const grant = effectiveGrant(perms, row.name);
            const own = row.name === DEFAULT_OBJECT || hasOwnEntry(perms, row.name);
            const expanded = open === row.name && row.object;
            return (
              <Fragment key={row.name}>
                <tr className={cx("border-b border-line", !own && "text-muted")} data-testid={`grant-${row.name}`}>
                  <th scope="row" className="py-2 pr-3 pl-4 text-left font-medium sm:pl-0">
                    <span className="flex items-center gap-2">
                      {row.label}
                      {!own ? <Badge>Default</Badge> : null}
                    </span>
                  </th>
                  {ACTIONS.map((action) => (
                    <td key={action} className="px-1 py-2 text-center">
                      <input
                        type="checkbox"
                        className={cx("h-4 w-4 accent-[var(--k-accent)]", !own && "opacity-60")}
                        aria-label={`${ACTION_LABELS[action]} ${row.label}`}
                        checked={grant.actions.includes(action)}
                        disabled={readOnly}
                        onChange={() => dispatch({ type: "toggleAction", object: row.name, action })}
                      />
                    </td>
                  ))}
                  <td className="px-2 py-2">
                    <select
                      aria-label={`Records of ${row.label} this role sees`}
                      className="k-input h-8 w-36"
                      value={grant.visibility}
                      disabled={readOnly || !grant.actions.includes("read")}
                      onChange={(e) => dispatch({ type: "setVisibility", object: row.name, visibility: e.target.value as Visibility })}
                    >
                      {VISIBILITIES.map((v) => (
                        <option key={v} value={v}>
                          {VISIBILITY_LABELS[v]}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td className="px-2 py-2">
                    <select
                      aria-label={`Records of ${row.label} this role may change`}
                      className="k-input h-8 w-36"
                      value={editVisibility(grant)}
                      disabled={readOnly || !(grant.actions.includes("update") || grant.actions.includes("delete"))}
                      onChange={(e) => dispatch({ type: "setEditVisibility", object: row.name, visibility: e.target.value as Visibility })}
                    >
                      {editVisibilities(grant.visibility).map((v) => (
                        <option key={v} value={v}>
                          {EDIT_LABELS[v]}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td className="px-2 py-2 whitespace-nowrap">
                    {row.object ? (
                      <Button
                        size="sm"
                        variant="ghost"
                        aria-expanded={Boolean(expanded)}
                        aria-label={`Field rules for ${row.label}`}
                        onClick={() => setOpen(expanded ? null : row.name)}
                      >
                        <Icon name={expanded ? "chevronDown" : "chevronRight"} size={14} />
                        {fieldSummary(perms, row.name)}
                      </Button>
                    ) : null}
                    {row.name !== DEFAULT_OBJECT && own && !readOnly ? (
                      <Button size="sm" variant="ghost" onClick={() => dispatch({ type: "resetObject", object: row.name })}>
                        Use default
                      </Button>
                    ) : null}
                  </td>
                </tr>
                {expanded && row.object ? (
                  <tr className="border-b border-line bg-subtle">
                    <td colSpan={ACTIONS.length + 4} className="px-4 py-3">
                      <FieldRules row={{ ...row, object: row.object }} perms={perms} dispatch={dispatch} readOnly={readOnly} />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
