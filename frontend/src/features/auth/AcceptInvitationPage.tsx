import { useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { api, call } from "@/api/client";
import { ApiError } from "@/api/problem";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/ui/Button";
import { FormError, TextField } from "@/ui/Field";
import { AuthLayout } from "./AuthLayout";
import { OtpField } from "./OtpField";
import { useSubmit } from "./useForm";

/** A new account chooses a password; an existing one signs in to join (its password, its 2FA code when it has
 *  2FA on, the sign-in lock-out), and either way the answer signs in to the workspace. */
export default function AcceptInvitationPage() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const { signIn } = useAuth();
  const navigate = useNavigate();
  const [fullName, setFullName] = useState("");
  const [password, setPassword] = useState("");
  const [otp, setOtp] = useState("");
  const [needsOtp, setNeedsOtp] = useState(false);

  const form = useSubmit(["full_name", "password", "otp"], async () => {
    try {
      const accepted = await call(
        api.POST("/api/v1/invitations/accept", {
          body: { token, password, full_name: fullName || undefined, otp: needsOtp ? otp : undefined },
        }),
      );
      await signIn(accepted.tokens);
      navigate("/", { replace: true });
    } catch (error) {
      if (error instanceof ApiError && error.code === "otp_required") {
        setNeedsOtp(true);
        return;
      }
      if (error instanceof ApiError && error.code === "invalid_credentials") {
        throw new Error("This e-mail already has an account, and that is not its password. Enter the password you sign in with.", {
          cause: error,
        });
      }
      throw error;
    }
  });

  return (
    <AuthLayout
      title={needsOtp ? "Two-factor authentication" : "Join your team on KronosCRM"}
      subtitle={
        needsOtp
          ? "Your account uses two-factor authentication. Enter the code from your authenticator app, or a recovery code, to join."
          : "New here? Choose a password. Already have an account? Enter its password."
      }
      footer={<Link to="/signin" className="text-muted hover:text-fg">Sign in instead</Link>}
    >
      {!token ? (
        <FormError message="This link has no invitation token. Use the link from the e-mail." />
      ) : (
        <form onSubmit={form.onSubmit} className="space-y-4" noValidate>
          <FormError message={form.formError} />
          {needsOtp ? (
            <OtpField value={otp} onChange={setOtp} error={form.fieldErrors.otp} />
          ) : (
            <>
              <TextField label="Your name" name="full_name" autoComplete="name" autoFocus value={fullName} onChange={(e) => setFullName(e.target.value)} error={form.fieldErrors.full_name} />
              <TextField label="Password" name="password" type="password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.target.value)} error={form.fieldErrors.password} />
            </>
          )}
          <Button type="submit" variant="primary" className="h-9 w-full" loading={form.pending}>
            {needsOtp ? "Verify" : "Accept invitation"}
          </Button>
          {needsOtp ? (
            <button
              type="button"
              className="w-full text-center text-sm text-muted hover:text-fg"
              onClick={() => {
                setNeedsOtp(false);
                setOtp("");
              }}
            >
              Back
            </button>
          ) : null}
        </form>
      )}
    </AuthLayout>
  );
}
