import { NavLink as RouterLink, useNavigate } from "react-router";
import { useObjects } from "@/api/records";
import { errorMessage } from "@/api/problem";
import { useAuth, useMe } from "@/auth/AuthProvider";
import { Avatar } from "@/ui/Avatar";
import { cx } from "@/ui/cx";
import { Icon, objectIcon, type IconName } from "@/ui/Icon";
import { MenuItem, Popover } from "@/ui/Popover";
import { Skeleton } from "@/ui/Skeleton";
import { useToast } from "@/ui/Toast";
import { EXTRA_NAV, PRIMARY_OBJECTS, SETUP_OBJECTS } from "./nav";
import { useTheme } from "./theme";

function Item({ to, label, icon, onNavigate }: { to: string; label: string; icon: IconName; onNavigate?: () => void }) {
  return (
    <RouterLink
      to={to}
      onClick={onNavigate}
      className={({ isActive }) =>
        cx(
          "flex h-8 items-center gap-2.5 rounded-md px-2 text-sm transition-colors",
          isActive ? "bg-hover font-medium text-fg" : "text-muted hover:bg-hover hover:text-fg",
        )
      }
    >
      <Icon name={icon} size={15} className="shrink-0 opacity-80" />
      <span className="truncate">{label}</span>
    </RouterLink>
  );
}

function WorkspaceSwitcher() {
  const me = useMe();
  const { switchWorkspace } = useAuth();
  const toast = useToast();
  const navigate = useNavigate();
  return (
    <Popover
      label="Workspaces"
      trigger={({ toggle, open }) => (
        <button
          type="button"
          onClick={toggle}
          aria-expanded={open}
          aria-label="Switch workspace"
          className="flex w-full items-center gap-2 rounded-md px-2 py-1.5 text-left hover:bg-hover"
        >
          <Avatar name={me.workspace.name} size={22} square />
          <span className="min-w-0 flex-1 truncate text-sm font-semibold">{me.workspace.name}</span>
          <Icon name="chevronDown" size={14} className="text-faint" />
        </button>
      )}
      className="w-56"
    >
      {(close) => (
        <div role="menu">
          <p className="px-2 pt-1 pb-1.5 text-xs font-medium text-faint">Workspaces</p>
          {me.memberships.map((m) => (
            <MenuItem
              key={m.workspace_id}
              active={m.workspace_id === me.workspace.id}
              icon={<Avatar name={m.workspace_name} size={18} square />}
              onSelect={async () => {
                close();
                if (m.workspace_id === me.workspace.id) return;
                try {
                  await switchWorkspace(m.workspace_id);
                  navigate("/");
                } catch (error) {
                  toast({ kind: "error", message: "Could not switch workspace", detail: errorMessage(error) });
                }
              }}
            >
              {m.workspace_name}
            </MenuItem>
          ))}
        </div>
      )}
    </Popover>
  );
}

function UserMenu() {
  const me = useMe();
  const { signOut } = useAuth();
  const navigate = useNavigate();
  const theme = useTheme();
  const name = me.user.full_name || me.user.email;
  const themeIcon: IconName = theme.choice === "light" ? "sun" : theme.choice === "dark" ? "moon" : "monitor";
  return (
    <div className="flex items-center gap-1">
      <Popover
        label="Account"
        trigger={({ toggle, open }) => (
          <button
            type="button"
            onClick={toggle}
            aria-expanded={open}
            aria-label="Account"
            className="flex min-w-0 flex-1 items-center gap-2 rounded-md px-2 py-1.5 text-left hover:bg-hover"
          >
            <Avatar name={name} size={22} />
            <span className="min-w-0 flex-1">
              <span className="block truncate text-sm">{name}</span>
              <span className="block truncate text-xs text-faint capitalize">{me.role.replace(/_/g, " ")}</span>
            </span>
          </button>
        )}
        className="bottom-full mb-1 w-56"
      >
        {(close) => (
          <div role="menu">
            <p className="truncate px-2 pt-1 pb-1.5 text-xs text-faint">{me.user.email}</p>
            <MenuItem
              icon={<Icon name="logout" size={14} />}
              onSelect={async () => {
                close();
                await signOut();
                navigate("/signin");
              }}
            >
              Sign out
            </MenuItem>
          </div>
        )}
      </Popover>
      <button
        type="button"
        onClick={theme.cycle}
        title={`Theme: ${theme.choice}`}
        aria-label={`Theme: ${theme.choice} (change)`}
        className="rounded-md p-2 text-muted hover:bg-hover hover:text-fg"
      >
        <Icon name={themeIcon} size={15} />
      </button>
    </div>
  );
}

export function Sidebar({ onNavigate }: { onNavigate?: () => void }) {
  const objects = useObjects();
  const all = objects.data ?? [];
  const rank = (name: string) => {
    const i = PRIMARY_OBJECTS.indexOf(name);
    return i === -1 ? PRIMARY_OBJECTS.length : i;
  };
  const main = all.filter((o) => !SETUP_OBJECTS.includes(o.name)).sort((a, b) => rank(a.name) - rank(b.name));
  const extra = (section: string) =>
    EXTRA_NAV.filter((l) => l.section === section).map((l) => <Item key={l.to} {...l} onNavigate={onNavigate} />);

  return (
    <nav aria-label="Main" className="flex h-full w-60 shrink-0 flex-col border-r border-line bg-surface">
      <div className="p-2">
        <WorkspaceSwitcher />
      </div>
      <div className="flex-1 space-y-4 overflow-y-auto px-2 pb-2">
        {extra("main").length ? <div className="space-y-0.5">{extra("main")}</div> : null}
        <div className="space-y-0.5">
          <p className="px-2 pb-1 text-xs font-medium text-faint">Records</p>
          {objects.isLoading
            ? Array.from({ length: 5 }, (_, i) => (
                <div key={i} className="flex h-8 items-center px-2">
                  <Skeleton className="w-28" />
                </div>
              ))
            : null}
          {objects.error ? <p className="px-2 text-xs text-danger">{errorMessage(objects.error)}</p> : null}
          {main.map((o) => (
            <Item key={o.name} to={`/${o.name}`} label={o.label_plural} icon={objectIcon(o.name)} onNavigate={onNavigate} />
          ))}
          {extra("objects")}
        </div>
      </div>
      <div className="space-y-0.5 border-t border-line p-2">
        {extra("footer")}
        <UserMenu />
      </div>
    </nav>
  );
}
