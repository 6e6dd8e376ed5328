/**
 * Every screen of the app. To add one: create `src/features/<name>/<Screen>Page.tsx` with a default export and
 * add a route here with `lazy: page(() => import(...))` (each screen is its own chunk). Static paths win over
 * the generic `:object` routes, so `/deals/board` or `/settings` can sit next to them.
 */
import type { ComponentType } from "react";
import { Navigate, type RouteObject } from "react-router";
import { RequireAuth } from "@/auth/RequireAuth";
import { AppShell } from "./AppShell";
import { RouteError } from "./RouteError";

function page(load: () => Promise<{ default: ComponentType }>): RouteObject["lazy"] {
  return async () => ({ Component: (await load()).default });
}

export const routes: RouteObject[] = [
  // Public: signed-out screens.
  {
    errorElement: <RouteError />,
    children: [
      { path: "signin", lazy: page(() => import("@/features/auth/SignInPage")) },
      { path: "signup", lazy: page(() => import("@/features/auth/SignUpPage")) },
      { path: "forgot-password", lazy: page(() => import("@/features/auth/ForgotPasswordPage")) },
      { path: "reset-password", lazy: page(() => import("@/features/auth/ResetPasswordPage")) },
      { path: "invitations/accept", lazy: page(() => import("@/features/auth/AcceptInvitationPage")) },
    ],
  },
  // Signed in: inside the shell (sidebar, top bar).
  {
    element: (
      <RequireAuth>
        <AppShell />
      </RequireAuth>
    ),
    errorElement: <RouteError />,
    children: [
      { index: true, element: <Navigate to="/dashboard" replace /> },
      // Screens with their own paths go here, before the generic object routes.
      { path: "dashboard", lazy: page(() => import("@/features/dashboard/DashboardPage")) },
      { path: "tasks", lazy: page(() => import("@/features/tasks/TasksPage")) },
      { path: "deals/board", lazy: page(() => import("@/features/board/DealsBoardPage")) },
      { path: "leads/board", lazy: page(() => import("@/features/board/LeadsBoardPage")) },
      { path: "settings/*", lazy: page(() => import("@/features/settings/SettingsPage")) },
      { path: ":object", lazy: page(() => import("@/features/records/ListPage")) },
      { path: ":object/:id", lazy: page(() => import("@/features/records/RecordPage")) },
      { path: "*", lazy: page(() => import("./NotFoundPage")) },
    ],
  },
];
