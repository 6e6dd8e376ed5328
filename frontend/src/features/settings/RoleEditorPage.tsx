/**
 * One role: its name, description, whether it manages the workspace, and its per-object permissions.
 * /settings/roles/new creates one (optionally starting from another role's permissions, `?from=key`);
 * built-in roles and non-admins see the same screen read-only.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useReducer, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { api, call } from "@/api/client";
import { useObjects } from "@/api/records";
import { Button } from "@/ui/Button";
import { ErrorBanner } from "@/ui/ErrorBanner";
import { EmptyState } from "@/ui/EmptyState";
import { FormError, TextField } from "@/ui/Field";
import { Icon } from "@/ui/Icon";
import { SkeletonRows } from "@/ui/Skeleton";
import { useToast } from "@/ui/Toast";
import { settingsKeys, useIsAdmin, useRoles, type Role } from "./api";
import { Badge, Card, ConfirmDialog, ReadOnlyNotice, SelectField } from "./components";
import { useSettingsForm } from "./form";
import { PermissionMatrix } from "./PermissionMatrix";
import { canonical, fromApi, permissionsReducer, type Permissions } from "./permissions";

const NEW_ROLE: Permissions = { is_admin: false, objects: { "*": { actions: ["read"], visibility: "all", edit_visibility: null, fields: {} } } };
const FIELDS = ["key", "name", "description", "permissions"];

/** "Field sales (EMEA)" -> "field_sales_emea": a valid key (a letter, then letters, digits, underscores). */
export function keyFromName(name: string): string {
  const key = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^[^a-z]+|_+$/g, "")
    .slice(0, 64);
  return key.length >= 2 ? key : "";
}

function RoleForm({ role, template, editable }: { role: Role | null; template: Permissions; editable: boolean }) {
  const client = useQueryClient();
  const toast = useToast();
  const navigate = useNavigate();
  const objects = useObjects();
  const roles = useRoles();
  const creating = role === null;
  const [name, setName] = useState(role?.name ?? "");
  const [key, setKey] = useState(role?.key ?? "");
  const [keyTouched, setKeyTouched] = useState(false);
  const [description, setDescription] = useState(role?.description ?? "");
  const initial = role ? fromApi(role.permissions) : template;
  const [perms, dispatch] = useReducer(permissionsReducer, initial);
  const [deleting, setDeleting] = useState(false);
  const dirty =
    creating ||
    name !== role.name ||
    description !== role.description ||
    canonical(perms) !== canonical(fromApi(role.permissions));

  const form = useSettingsForm(
    FIELDS,
    async () => {
      const saved = creating
        ? await call(api.POST("/api/v1/roles", { body: { key, name, description, permissions: perms } }))
        : await call(
            api.PATCH("/api/v1/roles/{role}", { params: { path: { role: role.key } }, body: { name, description, permissions: perms } }),
          );
      await client.invalidateQueries({ queryKey: settingsKeys.roles });
      await client.invalidateQueries({ queryKey: ["metadata"] }); // my own role may have changed
      toast({ kind: "success", message: creating ? `Role “${saved.name}” created` : "Role saved" });
      if (creating) navigate(`/settings/roles/${saved.key}`, { replace: true });
    },
    { role_key_taken: "key" },
  );

  const readOnly = !editable;
  return (
    <form onSubmit={form.onSubmit} noValidate>
      <Card title="Role">
        <FormError message={form.formError} className="mb-4" />
        <fieldset disabled={readOnly} className="grid gap-4 sm:grid-cols-2">
          <TextField
            label="Name"
            name="name"
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              if (creating && !keyTouched) setKey(keyFromName(e.target.value));
            }}
            error={form.fieldErrors.name}
          />
          <TextField
            label="Key"
            name="key"
            value={key}
            disabled={!creating || readOnly}
            onChange={(e) => {
              setKeyTouched(true);
              setKey(e.target.value);
            }}
            error={form.fieldErrors.key}
            hint={creating ? "Lower-case letters, digits and _. It cannot change later." : "Members' roles refer to this key."}
          />
          <TextField
            label="Description"
            name="description"
            className="sm:col-span-2"
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            error={form.fieldErrors.description}
          />
          {creating && editable ? (
            <SelectField
              label="Start from"
              className="sm:col-span-2 sm:max-w-[calc(50%-0.5rem)]"
              value=""
              onChange={(e) => {
                const from = roles.data?.find((r) => r.key === e.target.value);
                if (from) dispatch({ type: "replace", value: fromApi(from.permissions) });
              }}
              options={[
                { value: "", label: "Choose a role to copy its permissions…" },
                ...(roles.data ?? []).map((r) => ({ value: r.key, label: r.name })),
              ]}
            />
          ) : null}
          <label className="flex items-start gap-2 text-sm sm:col-span-2">
            <input
              type="checkbox"
              className="mt-0.5 h-4 w-4 accent-[var(--k-accent)]"
              checked={perms.is_admin}
              onChange={(e) => dispatch({ type: "setAdmin", value: e.target.checked })}
            />
            <span>
              <span className="font-medium">Manages the workspace</span>
              <span className="block text-xs text-muted">Settings, members and invitations, roles, teams, everyone's API keys.</span>
            </span>
          </label>
        </fieldset>
      </Card>
      <Card
        title="Permissions"
        description="What members with this role may do with each object. An object's own row replaces the default."
      >
        {objects.error ? <ErrorBanner error={objects.error} onRetry={() => objects.refetch()} /> : null}
        {objects.isLoading ? <SkeletonRows rows={8} columns={6} /> : null}
        {objects.data ? <PermissionMatrix perms={perms} dispatch={dispatch} objects={objects.data} readOnly={readOnly} /> : null}
      </Card>
      {editable ? (
        <div className="sticky bottom-0 -mx-4 flex flex-wrap items-center justify-end gap-2 border-t border-line bg-canvas/95 px-4 py-3 backdrop-blur sm:mx-0">
          {!creating ? (
            <Button variant="ghost" className="mr-auto text-danger" icon="trash" onClick={() => setDeleting(true)}>
              Delete role
            </Button>
          ) : null}
          {dirty && !creating ? <span className="text-xs text-muted">Unsaved changes</span> : null}
          <Button onClick={() => navigate("/settings/roles")}>Cancel</Button>
          <Button type="submit" variant="primary" loading={form.pending} disabled={!dirty}>
            {creating ? "Create role" : "Save role"}
          </Button>
        </div>
      ) : null}
      {role ? (
        <ConfirmDialog
          open={deleting}
          title={`Delete the role “${role.name}”?`}
          confirmLabel="Delete role"
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await call(api.DELETE("/api/v1/roles/{role}", { params: { path: { role: role.key } } }));
            await client.invalidateQueries({ queryKey: settingsKeys.roles });
            toast({ kind: "success", message: `Role “${role.name}” deleted` });
            navigate("/settings/roles", { replace: true });
          }}
        >
          A role that members hold or pending invitations offer cannot be deleted: give them another role first.
        </ConfirmDialog>
      ) : null}
    </form>
  );
}

export function RoleEditorPage() {
  const { roleKey } = useParams();
  const [params] = useSearchParams();
  const roles = useRoles();
  const isAdmin = useIsAdmin();
  const creating = roleKey === undefined;
  const role = creating ? null : roles.data?.find((r) => r.key === roleKey);
  const from = roles.data?.find((r) => r.key === params.get("from"));

  let body;
  if (roles.error) body = <ErrorBanner error={roles.error} onRetry={() => roles.refetch()} />;
  else if (roles.isLoading) body = <SkeletonRows rows={10} columns={6} />;
  else if (role === undefined) body = <EmptyState icon="lock" title="There is no such role" />;
  else if (creating && !isAdmin) body = <ReadOnlyNotice>Only workspace admins can create roles.</ReadOnlyNotice>;
  else {
    const editable = isAdmin && !role?.built_in;
    body = (
      <>
        {role?.built_in ? (
          <ReadOnlyNotice>
            Built-in roles cannot be changed.{" "}
            {isAdmin ? (
              <Link to={`/settings/roles/new?from=${role.key}`} className="font-medium text-accent-text hover:underline">
                Create a custom role from it
              </Link>
            ) : null}
          </ReadOnlyNotice>
        ) : !isAdmin ? (
          <ReadOnlyNotice />
        ) : null}
        <RoleForm
          key={role?.key ?? `new-${from?.key ?? ""}`}
          role={role}
          template={from ? fromApi(from.permissions) : NEW_ROLE}
          editable={editable}
        />
      </>
    );
  }

  return (
    <>
      <header className="mb-6">
        <Link to="/settings/roles" className="mb-2 inline-flex items-center gap-1 text-sm text-muted hover:text-fg">
          <Icon name="chevronLeft" size={14} /> Roles
        </Link>
        <h1 className="flex items-center gap-2 text-lg font-semibold">
          {creating ? "New role" : (role?.name ?? roleKey)}
          {role?.built_in ? <Badge>Built-in</Badge> : null}
        </h1>
      </header>
      {body}
    </>
  );
}
