/**
 * Members: who is in the workspace with which role; admins change roles, remove members and invite people.
 * Everyone may leave. Only owners hand out or take away ownership (the API says so too: 403 owners_only).
 * Invitations are e-mailed when the server sends mail; when it does not, the API hands the link to the admin
 * (`emailed: false`, `link`), shown here once to copy. Pending and expired invitations can be resent (a new
 * link; the old one stops working) or revoked.
 */
import { useState } from "react";
import { useNavigate } from "react-router";
import { api, call } from "@/api/client";
import { errorMessage } from "@/api/problem";
import { keys } from "@/api/records";
import { useAuth, useMe } from "@/auth/AuthProvider";
import { Avatar } from "@/ui/Avatar";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { ErrorBanner } from "@/ui/ErrorBanner";
import { FormError, TextField } from "@/ui/Field";
import { Skeleton } from "@/ui/Skeleton";
import { useToast } from "@/ui/Toast";
import {
  memberName,
  roleLabel,
  settingsKeys,
  useInvitations,
  useIsAdmin,
  useRoles,
  useSettingsMutation,
  type Invitation,
  type InvitationSent,
  type Member,
  type Role,
  useWorkspaceMembers,
} from "./api";
import { Badge, Card, ConfirmDialog, CopyField, SectionHeader, SelectField, formatDate, type Option } from "./components";
import { useSettingsForm } from "./form";

function roleOptions(roles: Role[] | undefined, isOwner: boolean, current?: string): Option[] {
  const options = (roles ?? []).map((r) => ({
    value: r.key,
    label: r.name,
    disabled: r.key === "owner" && !isOwner && current !== "owner",
  }));
  if (current && !options.some((o) => o.value === current)) options.unshift({ value: current, label: roleLabel(current, roles), disabled: false });
  return options;
}

function RowsSkeleton({ rows = 3 }: { rows?: number }) {
  return (
    <ul aria-busy="true" aria-label="Loading" className="divide-y divide-line">
      {Array.from({ length: rows }, (_, i) => (
        <li key={i} className="flex h-16 items-center gap-3">
          <Skeleton className="h-8 w-8 rounded-full" />
          <div className="flex-1 space-y-2">
            <Skeleton className="h-3.5 w-40" />
            <Skeleton className="h-3 w-56" />
          </div>
          <Skeleton className="h-8 w-36" />
        </li>
      ))}
    </ul>
  );
}

function MemberRow({
  member,
  roles,
  canManage,
  onRemove,
}: {
  member: Member;
  roles: Role[] | undefined;
  canManage: boolean;
  onRemove: (member: Member) => void;
}) {
  const me = useMe();
  const toast = useToast();
  const [error, setError] = useState<string | null>(null);
  const isMe = member.user_id === me.user.id;
  const change = useSettingsMutation(
    (role: string) => call(api.PATCH("/api/v1/members/{member_id}", { params: { path: { member_id: member.id } }, body: { role } })),
    [keys.members, ["me"]],
  );
  const onRole = async (role: string) => {
    setError(null);
    try {
      await change.mutateAsync(role);
      toast({ kind: "success", message: `${memberName(member)} is now ${roleLabel(role, roles)}` });
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };
  const name = memberName(member);
  return (
    <li className="flex flex-wrap items-center gap-x-3 gap-y-2 py-3" data-testid="member" data-email={member.email}>
      <Avatar name={name} size={32} />
      <div className="min-w-0 flex-1 basis-48">
        <p className="flex items-center gap-2 truncate text-sm font-medium">
          <span className="truncate">{name}</span>
          {isMe ? <Badge tone="accent">You</Badge> : null}
        </p>
        <p className="truncate text-xs text-muted">
          {member.email} · joined {formatDate(member.joined_at)}
        </p>
      </div>
      {canManage ? (
        <SelectField
          label={`Role of ${name}`}
          className="w-44 [&>label]:sr-only"
          value={member.role}
          disabled={change.isPending}
          onChange={(e) => onRole(e.target.value)}
          options={roleOptions(roles, me.role === "owner", member.role)}
        />
      ) : (
        <Badge>{roleLabel(member.role, roles)}</Badge>
      )}
      {canManage || isMe ? (
        <Button size="sm" variant="ghost" onClick={() => onRemove(member)} aria-label={isMe ? "Leave workspace" : `Remove ${name}`}>
          {isMe ? "Leave" : "Remove"}
        </Button>
      ) : null}
      {error ? (
        <p role="alert" className="w-full text-xs text-danger">
          {error}
        </p>
      ) : null}
    </li>
  );
}

function MembersCard() {
  const me = useMe();
  const isAdmin = useIsAdmin();
  const members = useWorkspaceMembers();
  const roles = useRoles();
  const toast = useToast();
  const navigate = useNavigate();
  const { signOut } = useAuth();
  const [removing, setRemoving] = useState<Member | null>(null);
  const remove = useSettingsMutation(
    (member: Member) => call(api.DELETE("/api/v1/members/{member_id}", { params: { path: { member_id: member.id } } })),
    [keys.members, settingsKeys.teams],
  );
  const leaving = removing?.user_id === me.user.id;
  const confirm = async () => {
    if (!removing) return;
    await remove.mutateAsync(removing);
    if (leaving) {
      await signOut();
      navigate("/signin");
      return;
    }
    toast({ kind: "success", message: `${memberName(removing)} was removed` });
  };
  return (
    <Card title="Members" description={members.data ? `${members.data.length} in ${me.workspace.name}` : undefined}>
      {members.error ? <ErrorBanner error={members.error} onRetry={() => members.refetch()} /> : null}
      {members.isLoading ? <RowsSkeleton /> : null}
      <ul className="divide-y divide-line">
        {members.data?.map((m) => (
          <MemberRow key={m.id} member={m} roles={roles.data} canManage={isAdmin} onRemove={setRemoving} />
        ))}
      </ul>
      <ConfirmDialog
        open={removing !== null}
        title={leaving ? "Leave this workspace?" : "Remove this member?"}
        confirmLabel={leaving ? "Leave workspace" : "Remove member"}
        onClose={() => setRemoving(null)}
        onConfirm={confirm}
      >
        {leaving
          ? `You will lose access to ${me.workspace.name} and be signed out of it.`
          : `${memberName(removing ?? undefined)} will lose access to ${me.workspace.name} at once. Their records stay.`}
      </ConfirmDialog>
    </Card>
  );
}

function InviteForm({ roles, onSent }: { roles: Role[] | undefined; onSent: (sent: InvitationSent, again: boolean) => void }) {
  const me = useMe();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState("sales_rep");
  const invite = useSettingsMutation(
    () => call(api.POST("/api/v1/invitations", { body: { email, role } })),
    [settingsKeys.invitations],
  );
  const form = useSettingsForm(
    ["email", "role"],
    async () => {
      const created = await invite.mutateAsync(undefined);
      setEmail("");
      onSent(created, false);
    },
    { already_member: "email", unknown_role: "role", owners_only: "role" },
  );
  return (
    <form onSubmit={form.onSubmit} noValidate className="space-y-3">
      <FormError message={form.formError} />
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start">
        <TextField
          label="E-mail"
          name="email"
          type="email"
          autoComplete="off"
          placeholder="name@company.com"
          className="flex-1"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={form.fieldErrors.email}
        />
        <SelectField
          label="Role"
          name="role"
          className="sm:w-48"
          value={role}
          onChange={(e) => setRole(e.target.value)}
          options={roleOptions(roles, me.role === "owner")}
          error={form.fieldErrors.role}
        />
        <Button type="submit" variant="primary" className="h-9 sm:mt-5" loading={form.pending} disabled={!email.trim()}>
          Send invitation
        </Button>
      </div>
    </form>
  );
}

/** The link of an invitation the server could not e-mail, to copy and pass on; shown once. */
function InvitationLinkDialog({ sent, onClose }: { sent: InvitationSent | null; onClose: () => void }) {
  return (
    <Dialog
      open={sent !== null}
      onClose={onClose}
      title="Copy the invitation link"
      footer={
        <Button variant="primary" onClick={onClose}>
          Done
        </Button>
      }
    >
      <p className="mb-3 text-sm">
        This server does not send e-mail (no mail server is set up), so nothing was sent to {sent?.email}. Copy the
        link and send it to them yourself. It works once, until {sent ? formatDate(sent.expires_at, true) : ""}, and is
        shown only now: resend the invitation to get a new one.
      </p>
      {sent?.link ? <CopyField label="Invitation link" value={sent.link} /> : null}
    </Dialog>
  );
}

function InvitationsCard() {
  const invitations = useInvitations(true);
  const roles = useRoles();
  const toast = useToast();
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const [shared, setShared] = useState<InvitationSent | null>(null);
  const [error, setError] = useState<string | null>(null);
  const resend = useSettingsMutation(
    (invitation: Invitation) =>
      call(api.POST("/api/v1/invitations/{invitation_id}/resend", { params: { path: { invitation_id: invitation.id } } })),
    [settingsKeys.invitations],
  );
  const onSent = (sent: InvitationSent, again: boolean) => {
    if (sent.emailed) {
      toast({ kind: "success", message: again ? `Invitation sent again to ${sent.email}` : `Invitation sent to ${sent.email}` });
      return;
    }
    toast({ kind: "info", message: `Not e-mailed: copy the invitation link for ${sent.email}` });
    setShared(sent);
  };
  const onResend = async (invitation: Invitation) => {
    setError(null);
    try {
      onSent(await resend.mutateAsync(invitation), true);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };
  const revoke = useSettingsMutation(
    (invitation: Invitation) =>
      call(api.DELETE("/api/v1/invitations/{invitation_id}", { params: { path: { invitation_id: invitation.id } } })),
    [settingsKeys.invitations],
  );
  const pending = invitations.data?.filter((i) => i.status === "pending" || i.status === "expired") ?? [];
  return (
    <Card title="Invitations" description="An invitation is a single-use link that expires; it is e-mailed when this server sends mail.">
      <InviteForm roles={roles.data} onSent={onSent} />
      <InvitationLinkDialog sent={shared} onClose={() => setShared(null)} />
      <h3 className="mt-6 mb-1 text-sm font-medium">Pending</h3>
      {error ? (
        <p role="alert" className="text-xs text-danger">
          {error}
        </p>
      ) : null}
      {invitations.error ? <ErrorBanner error={invitations.error} onRetry={() => invitations.refetch()} /> : null}
      {invitations.isLoading ? <RowsSkeleton rows={2} /> : null}
      {invitations.data && pending.length === 0 ? <p className="py-3 text-sm text-muted">No pending invitations.</p> : null}
      <ul className="divide-y divide-line">
        {pending.map((invitation) => (
          <li key={invitation.id} className="flex flex-wrap items-center gap-3 py-3" data-testid="invitation">
            <div className="min-w-0 flex-1">
              <p className="truncate text-sm font-medium">{invitation.email}</p>
              <p className="flex items-center gap-2 text-xs text-muted">
                {roleLabel(invitation.role, roles.data)} ·{" "}
                {invitation.status === "expired" ? <Badge>Expired</Badge> : `expires ${formatDate(invitation.expires_at, true)}`}
              </p>
            </div>
            <Button
              size="sm"
              variant="ghost"
              disabled={resend.isPending}
              onClick={() => void onResend(invitation)}
              aria-label={`Resend invitation to ${invitation.email}`}
            >
              Resend
            </Button>
            <Button size="sm" variant="ghost" onClick={() => setRevoking(invitation)} aria-label={`Revoke invitation for ${invitation.email}`}>
              Revoke
            </Button>
          </li>
        ))}
      </ul>
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this invitation?"
        confirmLabel="Revoke"
        onClose={() => setRevoking(null)}
        onConfirm={async () => {
          if (!revoking) return;
          await revoke.mutateAsync(revoking);
          toast({ kind: "success", message: `Invitation for ${revoking.email} revoked` });
        }}
      >
        The invitation link for {revoking?.email} will stop working.
      </ConfirmDialog>
    </Card>
  );
}

export function MembersSettings() {
  const isAdmin = useIsAdmin();
  return (
    <>
      <SectionHeader
        title="Members"
        description={isAdmin ? "Invite people, change their roles, remove them." : "Everyone in this workspace. Only admins manage members."}
      />
      {isAdmin ? <InvitationsCard /> : null}
      <MembersCard />
    </>
  );
}
