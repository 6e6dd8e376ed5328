/** Roles: built-in and custom, how many members hold each; admins create custom roles. */
import { Link } from "react-router";
import { ErrorBanner } from "@/ui/ErrorBanner";
import { Icon } from "@/ui/Icon";
import { Skeleton } from "@/ui/Skeleton";
import { useIsAdmin, useRoles, useWorkspaceMembers } from "./api";
import { Badge, Card, ReadOnlyNotice, SectionHeader } from "./components";

export function RolesSettings() {
  const roles = useRoles();
  const members = useWorkspaceMembers();
  const isAdmin = useIsAdmin();
  const holders = (key: string) => members.data?.filter((m) => m.role === key).length;
  return (
    <>
      <SectionHeader
        title="Roles"
        description="What members may do: per object actions, which records they see and which of those they change, hidden and read-only fields."
        actions={
          isAdmin ? (
            <Link
              to="/settings/roles/new"
              className="inline-flex h-8 items-center gap-1.5 rounded-md bg-accent px-3 text-sm font-medium text-accent-fg shadow-sm hover:brightness-110"
            >
              <Icon name="plus" size={15} /> New role
            </Link>
          ) : undefined
        }
      />
      {!isAdmin ? <ReadOnlyNotice /> : null}
      {roles.error ? <ErrorBanner error={roles.error} onRetry={() => roles.refetch()} /> : null}
      <Card>
        <ul className="-my-2 divide-y divide-line">
          {roles.isLoading
            ? Array.from({ length: 7 }, (_, i) => (
                <li key={i} className="flex h-16 items-center gap-3">
                  <div className="flex-1 space-y-2">
                    <Skeleton className="h-3.5 w-32" />
                    <Skeleton className="h-3 w-72" />
                  </div>
                </li>
              ))
            : null}
          {roles.data?.map((role) => {
            const count = holders(role.key);
            return (
              <li key={role.key}>
                <Link
                  to={`/settings/roles/${role.key}`}
                  className="-mx-2 flex min-h-16 items-center gap-3 rounded-md px-2 py-2 hover:bg-hover"
                  aria-label={`${role.name}${role.built_in ? " (built-in)" : ""}`}
                >
                  <div className="min-w-0 flex-1">
                    <p className="flex flex-wrap items-center gap-2 text-sm font-medium">
                      {role.name}
                      {role.built_in ? <Badge>Built-in</Badge> : <Badge tone="accent">Custom</Badge>}
                      {role.permissions.is_admin ? <Badge tone="warning">Admin</Badge> : null}
                    </p>
                    <p className="truncate text-xs text-muted">{role.description || role.key}</p>
                  </div>
                  <span className="shrink-0 text-xs text-muted">
                    {count === undefined ? "" : count === 1 ? "1 member" : `${count} members`}
                  </span>
                  <Icon name="chevronRight" size={14} className="shrink-0 text-faint" />
                </Link>
              </li>
            );
          })}
        </ul>
      </Card>
    </>
  );
}
