/**
 * Server state of the settings screens: one query per list, mutations that refresh what they change.
 * The member list shares its cache with the record screens' user fields (`keys.members`), so a role change
 * or a removal shows everywhere.
 */
import { useMutation, useQuery, useQueryClient, type QueryKey } from "@tanstack/react-query";
import { api, call, type Schemas } from "@/api/client";
import { ApiError } from "@/api/problem";
import { keys } from "@/api/records";
import { useMe } from "@/auth/AuthProvider";

export type Member = Schemas["Member"];
export type Invitation = Schemas["Invitation"];
export type InvitationSent = Schemas["InvitationSent"];
export type Role = Schemas["Role"];
export type Team = Schemas["Team"];
export type ApiKey = Schemas["ApiKey"];
export type ApiKeyCreated = Schemas["ApiKeyCreated"];
export type SessionInfo = Schemas["SessionInfo"];
export type WorkspaceInfo = Schemas["WorkspaceInfo"];

export const settingsKeys = {
  workspace: ["settings", "workspace"] as const,
  invitations: ["settings", "invitations"] as const,
  roles: ["settings", "roles"] as const,
  teams: ["settings", "teams"] as const,
  apiKeys: (everyone: boolean) => ["settings", "api-keys", everyone] as const,
  sessions: ["settings", "sessions"] as const,
};

/** A 4xx will not get better by asking again; a network error or a 5xx might. */
const retry = (count: number, error: unknown) => !(error instanceof ApiError && error.status < 500) && count < 2;

/** Whether the signed-in user manages the workspace (GET /auth/me says; the API enforces it anyway). */
export function useIsAdmin(): boolean {
  return useMe().is_admin;
}

export function useWorkspace() {
  return useQuery({
    queryKey: settingsKeys.workspace,
    queryFn: () => call(api.GET("/api/v1/workspace")),
    retry,
  });
}

/** The member list, fetched again whenever a settings screen opens (the record screens keep it 5 minutes):
 * someone may have accepted an invitation meanwhile. Same cache entry as `useMembers`. */
export function useWorkspaceMembers() {
  return useQuery({
    queryKey: keys.members,
    queryFn: () => call(api.GET("/api/v1/members")),
    staleTime: 0,
    retry,
  });
}

export function useInvitations(enabled: boolean) {
  return useQuery({
    queryKey: settingsKeys.invitations,
    queryFn: () => call(api.GET("/api/v1/invitations")),
    enabled,
    retry,
  });
}

export function useRoles() {
  return useQuery({ queryKey: settingsKeys.roles, queryFn: () => call(api.GET("/api/v1/roles")), retry });
}

export function useTeams() {
  return useQuery({ queryKey: settingsKeys.teams, queryFn: () => call(api.GET("/api/v1/teams")), retry });
}

export function useApiKeys(everyone: boolean) {
  return useQuery({
    queryKey: settingsKeys.apiKeys(everyone),
    queryFn: () => call(api.GET("/api/v1/api-keys", { params: { query: { all: everyone } } })),
    retry,
  });
}

export function useSessions() {
  return useQuery({
    queryKey: settingsKeys.sessions,
    queryFn: () => call(api.GET("/api/v1/auth/sessions")),
    retry,
  });
}

/** A mutation that refetches the given queries once it succeeds (or fails: the server may have changed). */
export function useSettingsMutation<TArgs, TResult>(
  action: (args: TArgs) => Promise<TResult>,
  invalidate: QueryKey[],
) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: action,
    onSettled: () => Promise.all(invalidate.map((queryKey) => client.invalidateQueries({ queryKey }))),
  });
}

export const memberKeys = [keys.members, settingsKeys.teams] as QueryKey[];

/** Display name of a member: their name, or their e-mail when they have none. */
export function memberName(member: Pick<Member, "full_name" | "email"> | undefined): string {
  if (!member) return "Former member";
  return member.full_name || member.email;
}

/** `sales_rep` -> the role's name when known, else "Sales rep". */
export function roleLabel(key: string, roles: Role[] | undefined): string {
  const role = roles?.find((r) => r.key === key);
  if (role) return role.name;
  const words = key.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
