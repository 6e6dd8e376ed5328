import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { ShellSkeleton } from "@/app/ShellSkeleton";
import { useAuth } from "./AuthProvider";

/** Signed-in screens: wait for the session (a skeleton of the shell), or go to sign-in and come back. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { status } = useAuth();
  const location = useLocation();
  if (status === "loading") return <ShellSkeleton />;
  if (status === "signed-out") {
    const next = location.pathname + location.search;
    return <Navigate to={next === "/" ? "/signin" : `/signin?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}
