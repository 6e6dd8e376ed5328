/**
 * API keys: every member creates and revokes their own (admins see and revoke everyone's). A key acts for its
 * owner within its scope, and never beyond the owner's current role; the secret is shown once, at creation.
 */
import { useMemo, useState } from "react";
import { api, call, type Schemas } from "@/api/client";
import { useObjects } from "@/api/records";
import { useMe } from "@/auth/AuthProvider";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { ErrorBanner } from "@/ui/ErrorBanner";
import { FormError, TextField } from "@/ui/Field";
import { Skeleton } from "@/ui/Skeleton";
import { useToast } from "@/ui/Toast";
import { memberName, useApiKeys, useIsAdmin, useRoles, useSettingsMutation, type ApiKey, type ApiKeyCreated, useWorkspaceMembers } from "./api";
import { Badge, Card, ConfirmDialog, CopyField, SectionHeader, formatDate } from "./components";
import { localFieldError, useSettingsForm } from "./form";
import { ACTIONS, DEFAULT_OBJECT, effectiveGrant, fromApi, type Action, type Permissions } from "./permissions";

type Scope = Schemas["ApiKeyScope"];
type Access = "role" | "read" | "custom";

/** The key's actions per object. "Everything my role allows" copies the role's entries, so it is always
 * within the role (the API refuses anything beyond it with 403 scope_exceeds_role). */
export function scopeFor(access: Access, role: Permissions, custom: Record<string, Action[]>, isAdmin: boolean): Scope {
  const objects: Record<string, Action[]> = {};
  if (access === "custom") {
    for (const [name, actions] of Object.entries(custom)) if (actions.length) objects[name] = actions;
  } else {
    for (const [name, grant] of Object.entries(role.objects)) {
      objects[name] = access === "read" ? grant.actions.filter((a) => a === "read") : [...grant.actions];
    }
  }
  return { is_admin: access !== "read" && isAdmin, objects };
}

function describeScope(scope: Scope): string {
  const entries = Object.entries(scope.objects ?? {});
  if (entries.length === 0) return scope.is_admin ? "Admin only" : "No access";
  const readOnly = entries.every(([, actions]) => actions.every((a) => a === "read"));
  const text = readOnly
    ? "Read only"
    : entries.map(([name, actions]) => `${name === DEFAULT_OBJECT ? "others" : name}: ${actions.join(", ")}`).join("; ");
  return scope.is_admin ? `Admin; ${text}` : text;
}

function CustomScope({
  role,
  value,
  onChange,
}: {
  role: Permissions;
  value: Record<string, Action[]>;
  onChange: (next: Record<string, Action[]>) => void;
}) {
  const objects = useObjects();
  const rows = [{ name: DEFAULT_OBJECT, label: "All other objects" }, ...(objects.data ?? []).map((o) => ({ name: o.name, label: o.label_plural }))];
  return (
    <div className="overflow-x-auto">
      <table className="w-full min-w-[520px] text-sm">
        <thead>
          <tr className="border-b border-line text-left text-xs text-muted">
            <th scope="col" className="py-2 font-medium">
              Object
            </th>
            {ACTIONS.map((a) => (
              <th key={a} scope="col" className="w-16 py-2 text-center font-medium capitalize">
                {a}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const allowed = effectiveGrant(role, row.name).actions;
            const selected = value[row.name] ?? [];
            return (
              <tr key={row.name} className="border-b border-line">
                <th scope="row" className="py-1.5 text-left font-normal">
                  {row.label}
                </th>
                {ACTIONS.map((action) => (
                  <td key={action} className="text-center">
                    <input
                      type="checkbox"
                      className="h-4 w-4 accent-[var(--k-accent)]"
                      aria-label={`${action} ${row.label}`}
                      disabled={!allowed.includes(action)}
                      title={allowed.includes(action) ? undefined : "Your role does not allow this"}
                      checked={selected.includes(action)}
                      onChange={(e) => {
                        const next = e.target.checked ? [...selected, action] : selected.filter((a) => a !== action);
                        onChange({ ...value, [row.name]: ACTIONS.filter((a) => next.includes(a)) });
                      }}
                    />
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function CreateKeyCard({ onCreated }: { onCreated: (key: ApiKeyCreated) => void }) {
  const me = useMe();
  const roles = useRoles();
  const [name, setName] = useState("");
  const [expires, setExpires] = useState("");
  const [access, setAccess] = useState<Access>("role");
  const [adminKey, setAdminKey] = useState(false);
  const [custom, setCustom] = useState<Record<string, Action[]>>({});
  const role = useMemo(() => fromApi(roles.data?.find((r) => r.key === me.role)?.permissions), [roles.data, me.role]);
  const create = useSettingsMutation((body: Schemas["ApiKeyCreate"]) => call(api.POST("/api/v1/api-keys", { body })), [["settings", "api-keys"]]);
  const form = useSettingsForm(["name", "expires_at", "permissions"], async () => {
    let expiresAt: string | null = null;
    if (expires) {
      const end = new Date(`${expires}T23:59:59`);
      if (Number.isNaN(end.getTime()) || end <= new Date()) throw localFieldError("expires_at", "Choose a date in the future.");
      expiresAt = end.toISOString();
    }
    const created = await create.mutateAsync({
      name,
      expires_at: expiresAt,
      permissions: scopeFor(access, role, custom, adminKey && me.is_admin),
    });
    setName("");
    setExpires("");
    onCreated(created);
  });
  const choices: { value: Access; label: string; hint: string }[] = [
    { value: "role", label: "Everything my role allows", hint: "What your role allows today; never more than your role." },
    { value: "read", label: "Read only", hint: "Reads what your role may read; changes nothing." },
    { value: "custom", label: "Custom", hint: "Choose actions per object." },
  ];
  return (
    <form onSubmit={form.onSubmit} noValidate>
      <Card
        title="Create an API key"
        description="Send it as “Authorization: Bearer <key>”. It acts as you, within what you choose here."
        footer={
          <Button type="submit" variant="primary" loading={form.pending} disabled={!name.trim() || roles.isLoading}>
            Create key
          </Button>
        }
      >
        <FormError message={form.formError} className="mb-4" />
        {roles.error ? <ErrorBanner error={roles.error} onRetry={() => roles.refetch()} title="Your role could not be loaded" /> : null}
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField label="Key name" name="name" placeholder="e.g. Billing sync" value={name} onChange={(e) => setName(e.target.value)} error={form.fieldErrors.name} />
          <TextField
            label="Expires (optional)"
            name="expires_at"
            type="date"
            value={expires}
            onChange={(e) => setExpires(e.target.value)}
            error={form.fieldErrors.expires_at}
            hint="Leave empty for a key that lasts until revoked."
          />
        </div>
        <fieldset className="mt-4">
          <legend className="k-label">Access</legend>
          <div className="grid gap-2 sm:grid-cols-3">
            {choices.map((c) => (
              <label
                key={c.value}
                className="flex cursor-pointer gap-2 rounded-md border border-line-strong p-2.5 text-sm has-[:checked]:border-accent has-[:checked]:bg-accent-soft"
              >
                <input type="radio" name="access" className="mt-0.5 accent-[var(--k-accent)]" checked={access === c.value} onChange={() => setAccess(c.value)} />
                <span>
                  <span className="block font-medium">{c.label}</span>
                  <span className="block text-xs text-muted">{c.hint}</span>
                </span>
              </label>
            ))}
          </div>
        </fieldset>
        {access === "custom" ? (
          <div className="mt-4">
            <CustomScope role={role} value={custom} onChange={setCustom} />
          </div>
        ) : null}
        {me.is_admin && access !== "read" ? (
          <label className="mt-4 flex items-center gap-2 text-sm">
            <input type="checkbox" className="h-4 w-4 accent-[var(--k-accent)]" checked={adminKey} onChange={(e) => setAdminKey(e.target.checked)} />
            Can manage the workspace (members, roles, teams, settings)
          </label>
        ) : null}
      </Card>
    </form>
  );
}

function KeyRow({ apiKey, owner, onRevoke }: { apiKey: ApiKey; owner: string | null; onRevoke: () => void }) {
  const revoked = apiKey.revoked_at !== null;
  const expired = !revoked && apiKey.expires_at !== null && new Date(apiKey.expires_at) <= new Date();
  return (
    <li className="flex flex-wrap items-center gap-x-3 gap-y-1 py-3" data-testid="api-key">
      <div className="min-w-0 flex-1 basis-64">
        <p className="flex flex-wrap items-center gap-2 text-sm font-medium">
          {apiKey.name}
          <code className="rounded bg-subtle px-1.5 py-0.5 font-mono text-xs text-muted">{apiKey.prefix}_…</code>
          {revoked ? <Badge tone="danger">Revoked</Badge> : expired ? <Badge tone="warning">Expired</Badge> : null}
        </p>
        <p className="truncate text-xs text-muted" title={describeScope(apiKey.permissions)}>
          {owner ? `${owner} · ` : ""}
          {describeScope(apiKey.permissions)}
        </p>
        <p className="text-xs text-muted">
          Created {formatDate(apiKey.created_at)} · last used {apiKey.last_used_at ? formatDate(apiKey.last_used_at, true) : "never"}
          {apiKey.expires_at ? ` · expires ${formatDate(apiKey.expires_at)}` : ""}
        </p>
      </div>
      {!revoked ? (
        <Button size="sm" variant="ghost" onClick={onRevoke} aria-label={`Revoke ${apiKey.name}`}>
          Revoke
        </Button>
      ) : null}
    </li>
  );
}

function KeysList() {
  const isAdmin = useIsAdmin();
  const me = useMe();
  const [everyone, setEveryone] = useState(false);
  const keys = useApiKeys(everyone && isAdmin);
  const members = useWorkspaceMembers();
  const toast = useToast();
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const revoke = useSettingsMutation(
    (key: ApiKey) => call(api.DELETE("/api/v1/api-keys/{key_id}", { params: { path: { key_id: key.id } } })),
    [["settings", "api-keys"]],
  );
  const ownerName = (key: ApiKey) =>
    everyone ? (key.user_id === me.user.id ? "You" : memberName(members.data?.find((m) => m.user_id === key.user_id))) : null;
  const sorted = [...(keys.data ?? [])].sort((a, b) => Number(a.revoked_at !== null) - Number(b.revoked_at !== null));
  return (
    <Card title={everyone ? "Everyone's keys" : "Your keys"}>
      {isAdmin ? (
        <label className="mb-3 flex items-center gap-2 text-sm">
          <input type="checkbox" className="h-4 w-4 accent-[var(--k-accent)]" checked={everyone} onChange={(e) => setEveryone(e.target.checked)} />
          Show every member's keys
        </label>
      ) : null}
      {keys.error ? <ErrorBanner error={keys.error} onRetry={() => keys.refetch()} /> : null}
      {keys.isLoading ? (
        <div aria-busy="true" aria-label="Loading keys" className="divide-y divide-line">
          {[0, 1].map((i) => (
            <div key={i} className="space-y-2 py-3">
              <Skeleton className="h-3.5 w-48" />
              <Skeleton className="h-3 w-72" />
              <Skeleton className="h-3 w-56" />
            </div>
          ))}
        </div>
      ) : null}
      {keys.data?.length === 0 ? <p className="py-2 text-sm text-muted">No API keys yet.</p> : null}
      <ul className="divide-y divide-line">
        {sorted.map((key) => (
          <KeyRow key={key.id} apiKey={key} owner={ownerName(key)} onRevoke={() => setRevoking(key)} />
        ))}
      </ul>
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke “${revoking?.name ?? ""}”?`}
        confirmLabel="Revoke key"
        onClose={() => setRevoking(null)}
        onConfirm={async () => {
          if (!revoking) return;
          await revoke.mutateAsync(revoking);
          toast({ kind: "success", message: `Key “${revoking.name}” revoked` });
        }}
      >
        Programs using this key stop working at once. This cannot be undone.
      </ConfirmDialog>
    </Card>
  );
}

export function ApiKeysSettings() {
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  return (
    <>
      <SectionHeader title="API keys" description="Keys let scripts and other systems use the API as you." />
      <CreateKeyCard onCreated={setCreated} />
      <KeysList />
      <Dialog
        open={created !== null}
        onClose={() => setCreated(null)}
        title="Copy your new API key"
        footer={
          <Button variant="primary" onClick={() => setCreated(null)}>
            Done
          </Button>
        }
      >
        <p className="mb-3 text-sm">
          This is the only time the key “{created?.name}” is shown. Store it somewhere safe, like a password manager or
          your deployment's secrets.
        </p>
        {created ? <CopyField label="API key" value={created.key} /> : null}
      </Dialog>
    </>
  );
}
