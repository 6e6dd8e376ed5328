/** Security: change password, two-factor sign-in, and my active sessions with "sign out this session". */
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router";
import { api, call } from "@/api/client";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/ui/Button";
import { ErrorBanner } from "@/ui/ErrorBanner";
import { FormError, TextField } from "@/ui/Field";
import { Skeleton } from "@/ui/Skeleton";
import { useToast } from "@/ui/Toast";
import { settingsKeys, useSessions, type SessionInfo } from "./api";
import { Badge, Card, ConfirmDialog, SectionHeader, formatDate } from "./components";
import { localFieldError, useSettingsForm } from "./form";
import { TwoFactorCard } from "./TwoFactorCard";

const PASSWORD_FIELDS = ["current_password", "new_password", "confirm_password"];

export function PasswordCard() {
  const client = useQueryClient();
  const toast = useToast();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const form = useSettingsForm(PASSWORD_FIELDS, async () => {
    if (next !== confirm) throw localFieldError("confirm_password", "The two new passwords are not the same.");
    await call(api.POST("/api/v1/auth/password/change", { body: { current_password: current, new_password: next } }));
    setCurrent("");
    setNext("");
    setConfirm("");
    await client.invalidateQueries({ queryKey: settingsKeys.sessions });
    toast({ kind: "success", message: "Password changed", detail: "Your other sessions were signed out." });
  });
  return (
    <form onSubmit={form.onSubmit} noValidate>
      <Card
        title="Password"
        description="Changing it signs you out everywhere else."
        footer={
          <Button type="submit" variant="primary" loading={form.pending} disabled={!current || !next || !confirm}>
            Change password
          </Button>
        }
      >
        <FormError message={form.formError} className="mb-4" />
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField
            label="Current password"
            name="current_password"
            type="password"
            autoComplete="current-password"
            className="sm:col-span-2 sm:max-w-[calc(50%-0.5rem)]"
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
            error={form.fieldErrors.current_password}
          />
          <TextField
            label="New password"
            name="new_password"
            type="password"
            autoComplete="new-password"
            hint="At least 10 characters; not a common password."
            value={next}
            onChange={(e) => setNext(e.target.value)}
            error={form.fieldErrors.new_password}
          />
          <TextField
            label="Confirm new password"
            name="confirm_password"
            type="password"
            autoComplete="new-password"
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
            error={form.fieldErrors.confirm_password}
          />
        </div>
      </Card>
    </form>
  );
}

/** "Chrome on Linux" from a user agent: enough to recognise one's own devices, no library needed. */
export function describeDevice(userAgent: string | null | undefined): string {
  if (!userAgent) return "Unknown device";
  const browser =
    /Edg\//.test(userAgent) ? "Edge"
    : /Firefox\//.test(userAgent) ? "Firefox"
    : /Chrom(e|ium)\//.test(userAgent) ? "Chrome"
    : /Safari\//.test(userAgent) ? "Safari"
    : /curl|python|httpx|node|axios|okhttp/i.test(userAgent) ? "Script"
    : "Browser";
  const os =
    /iPhone|iPad/.test(userAgent) ? "iOS"
    : /Android/.test(userAgent) ? "Android"
    : /Mac OS X|Macintosh/.test(userAgent) ? "macOS"
    : /Windows/.test(userAgent) ? "Windows"
    : /Linux/.test(userAgent) ? "Linux"
    : null;
  return os ? `${browser} on ${os}` : browser;
}

function SessionRow({ session, onSignOut }: { session: SessionInfo; onSignOut: () => void }) {
  return (
    <li className="flex flex-wrap items-center gap-3 py-3" data-testid="session">
      <div className="min-w-0 flex-1">
        <p className="flex items-center gap-2 text-sm font-medium">
          {describeDevice(session.user_agent)}
          {session.current ? <Badge tone="accent">This device</Badge> : null}
        </p>
        <p className="text-xs text-muted">
          {session.ip ?? "Unknown address"} · last active {formatDate(session.last_used_at, true)} · signed in{" "}
          {formatDate(session.created_at)}
        </p>
      </div>
      <Button size="sm" onClick={onSignOut}>
        Sign out
      </Button>
    </li>
  );
}

function SessionsCard() {
  const sessions = useSessions();
  const client = useQueryClient();
  const toast = useToast();
  const navigate = useNavigate();
  const { signOut } = useAuth();
  const [ending, setEnding] = useState<SessionInfo | null>(null);

  const end = async (session: SessionInfo) => {
    if (session.current) {
      await signOut();
      navigate("/signin");
      return;
    }
    await call(api.DELETE("/api/v1/auth/sessions/{session_id}", { params: { path: { session_id: session.id } } }));
    await client.invalidateQueries({ queryKey: settingsKeys.sessions });
    toast({ kind: "success", message: "Session signed out" });
  };

  return (
    <Card title="Active sessions" description="Devices signed in to this workspace with your account.">
      {sessions.error ? <ErrorBanner error={sessions.error} onRetry={() => sessions.refetch()} /> : null}
      {sessions.isLoading ? (
        <ul aria-busy="true" aria-label="Loading sessions" className="divide-y divide-line">
          {[0, 1].map((i) => (
            <li key={i} className="flex items-center gap-3 py-3">
              <div className="flex-1 space-y-2">
                <Skeleton className="h-4 w-40" />
                <Skeleton className="h-3 w-64" />
              </div>
              <Skeleton className="h-7 w-16" />
            </li>
          ))}
        </ul>
      ) : (
        <ul className="divide-y divide-line">
          {sessions.data?.map((s) => <SessionRow key={s.id} session={s} onSignOut={() => setEnding(s)} />)}
        </ul>
      )}
      <ConfirmDialog
        open={ending !== null}
        title="Sign out this session?"
        confirmLabel="Sign out"
        onClose={() => setEnding(null)}
        onConfirm={() => (ending ? end(ending) : Promise.resolve())}
      >
        {ending?.current
          ? "This is the device you are using: you will be signed out here."
          : `${describeDevice(ending?.user_agent)} (${ending?.ip ?? "unknown address"}) will need to sign in again.`}
      </ConfirmDialog>
    </Card>
  );
}

export function SecuritySettings() {
  return (
    <>
      <SectionHeader title="Security" description="Your password, two-factor sign-in and signed-in devices." />
      <PasswordCard />
      <TwoFactorCard />
      <SessionsCard />
    </>
  );
}
