/**
 * Settings: a sub-navigation (a select on phones) grouped Account / Workspace / Data model, each section a
 * nested route under /settings. Sections an ordinary member may not manage stay readable but read-only
 * (the API refuses with 403 anyway); invitations are only shown to admins.
 */
import { Navigate, NavLink, Route, Routes, useLocation, useNavigate } from "react-router";
import { FieldsSettings, ObjectsSettings, PipelinesSettings } from "@/features/customize";
import { cx } from "@/ui/cx";
import { EmptyState } from "@/ui/EmptyState";
import { ApiKeysSettings } from "./ApiKeysSettings";
import { MembersSettings } from "./MembersSettings";
import { ProfileSettings } from "./ProfileSettings";
import { RoleEditorPage } from "./RoleEditorPage";
import { RolesSettings } from "./RolesSettings";
import { SecuritySettings } from "./SecuritySettings";
import { TeamsSettings } from "./TeamsSettings";
import { WorkspaceSettings } from "./WorkspaceSettings";

interface Section {
  path: string;
  label: string;
}

export const SETTINGS_NAV: { group: string; sections: Section[] }[] = [
  {
    group: "Account",
    sections: [
      { path: "profile", label: "Profile" },
      { path: "security", label: "Security" },
    ],
  },
  {
    group: "Workspace",
    sections: [
      { path: "general", label: "General" },
      { path: "members", label: "Members" },
      { path: "roles", label: "Roles" },
      { path: "teams", label: "Teams" },
      { path: "api-keys", label: "API keys" },
    ],
  },
  {
    group: "Data model",
    sections: [
      { path: "fields", label: "Fields" },
      { path: "objects", label: "Objects" },
      { path: "pipelines", label: "Pipelines" },
    ],
  },
];

function currentSection(pathname: string): string {
  const rest = pathname.replace(/^\/settings\/?/, "");
  return rest.split("/")[0] || "profile";
}

function SideNav() {
  return (
    <nav aria-label="Settings" className="hidden w-56 shrink-0 overflow-y-auto border-r border-line bg-surface p-3 md:block">
      <h1 className="px-2 pt-1 pb-3 text-base font-semibold">Settings</h1>
      {SETTINGS_NAV.map(({ group, sections }) => (
        <div key={group} className="mb-4">
          <p className="px-2 pb-1 text-xs font-medium text-faint">{group}</p>
          <ul className="space-y-0.5">
            {sections.map((s) => (
              <li key={s.path}>
                <NavLink
                  to={`/settings/${s.path}`}
                  className={({ isActive }) =>
                    cx(
                      "flex h-8 items-center rounded-md px-2 text-sm transition-colors",
                      isActive ? "bg-hover font-medium text-fg" : "text-muted hover:bg-hover hover:text-fg",
                    )
                  }
                >
                  {s.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </nav>
  );
}

/** On phones the sub-navigation is one select, so it never takes the screen's width. */
function PhoneNav() {
  const { pathname } = useLocation();
  const navigate = useNavigate();
  return (
    <div className="border-b border-line bg-surface px-4 py-3 md:hidden">
      <label htmlFor="settings-section" className="k-label">
        Settings section
      </label>
      <select
        id="settings-section"
        className="k-input h-9"
        value={currentSection(pathname)}
        onChange={(e) => navigate(`/settings/${e.target.value}`)}
      >
        {SETTINGS_NAV.map(({ group, sections }) => (
          <optgroup key={group} label={group}>
            {sections.map((s) => (
              <option key={s.path} value={s.path}>
                {s.label}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
    </div>
  );
}

export default function SettingsPage() {
  return (
    <div className="flex h-full flex-col md:flex-row">
      <SideNav />
      <PhoneNav />
      <div className="min-h-0 min-w-0 flex-1 overflow-y-auto">
        <div className="mx-auto w-full max-w-4xl px-4 py-6 sm:px-8">
          <Routes>
            <Route index element={<Navigate to="/settings/profile" replace />} />
            <Route path="profile" element={<ProfileSettings />} />
            <Route path="security" element={<SecuritySettings />} />
            <Route path="general" element={<WorkspaceSettings />} />
            <Route path="members" element={<MembersSettings />} />
            <Route path="roles" element={<RolesSettings />} />
            <Route path="roles/new" element={<RoleEditorPage />} />
            <Route path="roles/:roleKey" element={<RoleEditorPage />} />
            <Route path="teams" element={<TeamsSettings />} />
            <Route path="api-keys" element={<ApiKeysSettings />} />
            <Route path="fields" element={<FieldsSettings />} />
            <Route path="objects" element={<ObjectsSettings />} />
            <Route path="pipelines" element={<PipelinesSettings />} />
            <Route path="*" element={<EmptyState icon="settings" title="There is no such settings page" />} />
          </Routes>
        </div>
      </div>
    </div>
  );
}
