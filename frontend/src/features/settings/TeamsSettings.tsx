/**
 * Teams: groups of members with managers. A manager sees the records of everyone in the teams they manage
 * (a role's "their teams'" visibility). Admins create, rename and delete teams and change who is in them.
 */
import { useState } from "react";
import { api, call } from "@/api/client";
import { errorMessage } from "@/api/problem";
import { Avatar } from "@/ui/Avatar";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { EmptyState } from "@/ui/EmptyState";
import { ErrorBanner } from "@/ui/ErrorBanner";
import { FormError, TextField } from "@/ui/Field";
import { Skeleton } from "@/ui/Skeleton";
import { useToast } from "@/ui/Toast";
import { memberName, settingsKeys, useIsAdmin, useSettingsMutation, useTeams, type Member, type Team, useWorkspaceMembers } from "./api";
import { Badge, ConfirmDialog, ReadOnlyNotice, SectionHeader } from "./components";
import { useSettingsForm } from "./form";

const TEAMS = [settingsKeys.teams];

function TeamDialog({ team, open, onClose }: { team: Team | null; open: boolean; onClose: () => void }) {
  const toast = useToast();
  const [name, setName] = useState(team?.name ?? "");
  const [description, setDescription] = useState(team?.description ?? "");
  const save = useSettingsMutation(
    () =>
      team
        ? call(api.PATCH("/api/v1/teams/{team_id}", { params: { path: { team_id: team.id } }, body: { name, description } }))
        : call(api.POST("/api/v1/teams", { body: { name, description } })),
    TEAMS,
  );
  const form = useSettingsForm(
    ["name", "description"],
    async () => {
      const saved = await save.mutateAsync(undefined);
      toast({ kind: "success", message: team ? "Team saved" : `Team “${saved.name}” created` });
      onClose();
    },
    { team_name_taken: "name" },
  );
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={team ? "Rename team" : "New team"}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form="team-form" variant="primary" loading={form.pending} disabled={!name.trim()}>
            {team ? "Save" : "Create team"}
          </Button>
        </>
      }
    >
      <form id="team-form" onSubmit={form.onSubmit} noValidate className="space-y-4">
        <FormError message={form.formError} />
        <TextField label="Team name" name="name" autoFocus value={name} onChange={(e) => setName(e.target.value)} error={form.fieldErrors.name} />
        <TextField
          label="Description"
          name="description"
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          error={form.fieldErrors.description}
        />
      </form>
    </Dialog>
  );
}

function AddMember({ team, candidates }: { team: Team; candidates: Member[] }) {
  const [userId, setUserId] = useState("");
  const [error, setError] = useState<string | null>(null);
  const add = useSettingsMutation(
    (user_id: string) =>
      call(api.PUT("/api/v1/teams/{team_id}/members/{user_id}", { params: { path: { team_id: team.id, user_id } }, body: { is_manager: false } })),
    TEAMS,
  );
  if (candidates.length === 0) return null;
  const id = `add-to-${team.id}`;
  return (
    <form
      className="mt-3 flex flex-wrap items-center gap-2"
      onSubmit={async (e) => {
        e.preventDefault();
        if (!userId) return;
        setError(null);
        try {
          await add.mutateAsync(userId);
          setUserId("");
        } catch (failure) {
          setError(errorMessage(failure));
        }
      }}
    >
      <label htmlFor={id} className="sr-only">
        Add a member to {team.name}
      </label>
      <select id={id} className="k-input h-8 w-56" value={userId} onChange={(e) => setUserId(e.target.value)}>
        <option value="">Add a member…</option>
        {candidates.map((m) => (
          <option key={m.user_id} value={m.user_id}>
            {memberName(m)}
          </option>
        ))}
      </select>
      <Button type="submit" size="sm" disabled={!userId} loading={add.isPending}>
        Add
      </Button>
      {error ? (
        <p role="alert" className="w-full text-xs text-danger">
          {error}
        </p>
      ) : null}
    </form>
  );
}

function TeamCard({ team, members, editable }: { team: Team; members: Member[]; editable: boolean }) {
  const toast = useToast();
  const [renaming, setRenaming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const byUser = new Map(members.map((m) => [m.user_id, m]));
  const put = useSettingsMutation(
    ({ user_id, is_manager }: { user_id: string; is_manager: boolean }) =>
      call(api.PUT("/api/v1/teams/{team_id}/members/{user_id}", { params: { path: { team_id: team.id, user_id } }, body: { is_manager } })),
    TEAMS,
  );
  const remove = useSettingsMutation(
    (user_id: string) => call(api.DELETE("/api/v1/teams/{team_id}/members/{user_id}", { params: { path: { team_id: team.id, user_id } } })),
    TEAMS,
  );
  const drop = useSettingsMutation(() => call(api.DELETE("/api/v1/teams/{team_id}", { params: { path: { team_id: team.id } } })), TEAMS);
  const run = async (action: () => Promise<unknown>) => {
    setError(null);
    try {
      await action();
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };
  const inTeam = new Set(team.members.map((m) => m.user_id));
  return (
    <section className="k-card mb-4" aria-label={`Team ${team.name}`} data-testid="team">
      <div className="flex flex-wrap items-start gap-2 border-b border-line px-4 py-3 sm:px-5">
        <div className="min-w-0 flex-1">
          <h2 className="text-base font-semibold">{team.name}</h2>
          <p className="text-xs text-muted">
            {team.description ? `${team.description} · ` : ""}
            {team.members.length === 1 ? "1 member" : `${team.members.length} members`}
          </p>
        </div>
        {editable ? (
          <div className="flex gap-1">
            <Button size="sm" variant="ghost" icon="edit" onClick={() => setRenaming(true)} aria-label={`Rename ${team.name}`}>
              Rename
            </Button>
            <Button size="sm" variant="ghost" icon="trash" onClick={() => setDeleting(true)} aria-label={`Delete ${team.name}`}>
              Delete
            </Button>
          </div>
        ) : null}
      </div>
      <div className="px-4 py-3 sm:px-5">
        {error ? (
          <p role="alert" className="mb-2 text-sm text-danger">
            {error}
          </p>
        ) : null}
        {team.members.length === 0 ? <p className="text-sm text-muted">No one is in this team yet.</p> : null}
        <ul className="divide-y divide-line">
          {team.members.map((tm) => {
            const member = byUser.get(tm.user_id);
            const name = memberName(member);
            return (
              <li key={tm.user_id} className="flex flex-wrap items-center gap-3 py-2">
                <Avatar name={name} size={24} />
                <span className="min-w-0 flex-1 truncate text-sm">{name}</span>
                {editable ? (
                  <>
                    <label className="flex items-center gap-1.5 text-xs text-muted">
                      <input
                        type="checkbox"
                        className="h-4 w-4 accent-[var(--k-accent)]"
                        checked={tm.is_manager}
                        onChange={(e) => run(() => put.mutateAsync({ user_id: tm.user_id, is_manager: e.target.checked }))}
                      />
                      Manager
                    </label>
                    <Button size="sm" variant="ghost" aria-label={`Remove ${name} from ${team.name}`} onClick={() => run(() => remove.mutateAsync(tm.user_id))}>
                      Remove
                    </Button>
                  </>
                ) : tm.is_manager ? (
                  <Badge tone="accent">Manager</Badge>
                ) : null}
              </li>
            );
          })}
        </ul>
        {editable ? <AddMember team={team} candidates={members.filter((m) => !inTeam.has(m.user_id))} /> : null}
      </div>
      {renaming ? <TeamDialog team={team} open onClose={() => setRenaming(false)} /> : null}
      <ConfirmDialog
        open={deleting}
        title={`Delete the team “${team.name}”?`}
        confirmLabel="Delete team"
        onClose={() => setDeleting(false)}
        onConfirm={async () => {
          await drop.mutateAsync(undefined);
          toast({ kind: "success", message: `Team “${team.name}” deleted` });
        }}
      >
        Its managers stop seeing the team's records through it. Members and records stay.
      </ConfirmDialog>
    </section>
  );
}

export function TeamsSettings() {
  const teams = useTeams();
  const members = useWorkspaceMembers();
  const editable = useIsAdmin();
  const [creating, setCreating] = useState(false);
  return (
    <>
      <SectionHeader
        title="Teams"
        description="A team's managers see the records of everyone in it, for roles that show “their teams'” records."
        actions={
          editable ? (
            <Button variant="primary" icon="plus" onClick={() => setCreating(true)}>
              New team
            </Button>
          ) : undefined
        }
      />
      {!editable ? <ReadOnlyNotice /> : null}
      {teams.error ? <ErrorBanner error={teams.error} onRetry={() => teams.refetch()} /> : null}
      {teams.isLoading
        ? [0, 1].map((i) => (
            <div key={i} className="k-card mb-4 space-y-3 px-5 py-4" aria-busy="true">
              <Skeleton className="h-4 w-32" />
              <Skeleton className="h-3 w-48" />
              <Skeleton className="h-6 w-full" />
            </div>
          ))
        : null}
      {teams.data?.length === 0 ? (
        <EmptyState icon="users" title="No teams yet">
          {editable ? "Create a team to let its managers follow their people's records." : null}
        </EmptyState>
      ) : null}
      {teams.data?.map((team) => <TeamCard key={team.id} team={team} members={members.data ?? []} editable={editable} />)}
      {creating ? <TeamDialog team={null} open onClose={() => setCreating(false)} /> : null}
    </>
  );
}
