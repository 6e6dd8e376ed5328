/**
 * The sidebar. Objects come from GET /api/v1/metadata/objects (standard and custom alike); screens that are
 * not an object's list (board, dashboard, tasks, settings) register a link here next to their route.
 */
import type { IconName } from "@/ui/Icon";

export interface NavLink {
  to: string;
  label: string;
  icon: IconName;
  /** Where it sits: "main" above the objects, "objects" after them, "footer" at the bottom. */
  section: "main" | "objects" | "footer";
}

export const EXTRA_NAV: NavLink[] = [
  { to: "/dashboard", label: "Dashboard", icon: "grid", section: "main" },
  { to: "/tasks", label: "My tasks", icon: "check", section: "main" },
  { to: "/deals/board", label: "Deals board", icon: "columns", section: "objects" },
  { to: "/leads/board", label: "Leads board", icon: "columns", section: "objects" },
  { to: "/settings", label: "Settings", icon: "settings", section: "footer" },
];

/** Objects shown first, in this order; others (custom objects) follow. */
export const PRIMARY_OBJECTS = ["contacts", "companies", "deals", "leads", "activities"];
/** Configuration objects: edited in Settings > Pipelines, never listed in the sidebar (their routes stay). */
export const SETUP_OBJECTS = ["pipelines", "stages"];
