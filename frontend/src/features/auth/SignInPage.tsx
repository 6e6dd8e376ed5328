import { useEffect, useState } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";
import { api, call } from "@/api/client";
import { ApiError } from "@/api/problem";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/ui/Button";
import { FormError, TextField } from "@/ui/Field";
import { AuthLayout } from "./AuthLayout";
import { OtpField } from "./OtpField";
import { useSubmit } from "./useForm";

/** Only same-site paths: `?next=https://evil.example` must not become an open redirect. */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

type FirstSignIn = { email: string; passwordPrinted: boolean };

/** On a development installation's first start, before anyone has signed in: the owner account the server
 *  created, whose password it printed in its terminal (null otherwise; the API never says a password).
 *  Not a query: the signed-out app clears the query cache on mount, which would drop it in flight. */
function useFirstSignIn(): FirstSignIn | null {
  const [first, setFirst] = useState<FirstSignIn | null>(null);
  useEffect(() => {
    let live = true;
    call(api.GET("/api/v1/auth/first-sign-in")).then(
      (data) => {
        if (live && data.email) setFirst({ email: data.email, passwordPrinted: data.password_printed });
      },
      () => {
        /* only a hint: the form works without it */
      },
    );
    return () => {
      live = false;
    };
  }, []);
  return first;
}

function FirstSignInNote({ email, passwordPrinted }: { email: string; passwordPrinted: boolean }) {
  return (
    <p role="note" className="rounded-md border border-line bg-accent-soft px-3 py-2 text-sm">
      First start: sign in as <strong className="font-medium">{email}</strong>{" "}
      {passwordPrinted
        ? "with the password printed in the terminal where KronosCRM started."
        : "with the password set in KRONOS_ADMIN_PASSWORD."}
    </p>
  );
}

export default function SignInPage() {
  const { signIn, status } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const first = useFirstSignIn();
  // null until typed in: the first start's owner e-mail fills the field, and typing replaces it.
  const [typedEmail, setEmail] = useState<string | null>(null);
  const email = typedEmail ?? first?.email ?? "";
  const [password, setPassword] = useState("");
  const [otp, setOtp] = useState("");
  const [needsOtp, setNeedsOtp] = useState(false);

  const form = useSubmit(["email", "password", "otp"], async () => {
    try {
      const tokens = await call(
        api.POST("/api/v1/auth/login", { body: { email, password, otp: needsOtp ? otp : undefined } }),
      );
      await signIn(tokens);
      navigate(next, { replace: true });
    } catch (error) {
      if (error instanceof ApiError && error.code === "otp_required") {
        setNeedsOtp(true);
        return;
      }
      throw error;
    }
  });

  if (status === "signed-in") return <Navigate to={next} replace />;

  return (
    <AuthLayout
      title={needsOtp ? "Two-factor authentication" : "Sign in to KronosCRM"}
      subtitle={needsOtp ? "Enter the code from your authenticator app, or a recovery code." : undefined}
      footer={
        <>
          New here?{" "}
          <Link to="/signup" className="font-medium text-accent-text hover:underline">
            Create a workspace
          </Link>
        </>
      }
    >
      <form onSubmit={form.onSubmit} className="space-y-4" noValidate>
        <FormError message={form.formError} />
        {first && !needsOtp ? <FirstSignInNote {...first} /> : null}
        {needsOtp ? (
          <OtpField value={otp} onChange={setOtp} error={form.fieldErrors.otp} />
        ) : (
          <>
            <TextField
              label="E-mail"
              name="email"
              type="email"
              autoComplete="username"
              autoFocus
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              error={form.fieldErrors.email}
            />
            <TextField
              label="Password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              error={form.fieldErrors.password}
            />
          </>
        )}
        <Button type="submit" variant="primary" className="h-9 w-full" loading={form.pending}>
          {needsOtp ? "Verify" : "Sign in"}
        </Button>
        {needsOtp ? (
          <button type="button" className="w-full text-center text-sm text-muted hover:text-fg" onClick={() => setNeedsOtp(false)}>
            Back
          </button>
        ) : (
          <p className="text-center text-sm">
            <Link to="/forgot-password" className="text-muted hover:text-fg">
              Forgot your password?
            </Link>
          </p>
        )}
      </form>
    </AuthLayout>
  );
}
