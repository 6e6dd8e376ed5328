import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { api, call } from "@/api/client";
import { ApiError } from "@/api/problem";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/ui/Button";
import { FormError, TextField } from "@/ui/Field";
import { AuthLayout } from "./AuthLayout";
import { OtpField } from "./OtpField";
import { useSubmit } from "./useForm";

/** Sign-up with an e-mail that already has an account is a sign-in to it (its password, its 2FA code, the
 *  sign-in lock-out), then a new workspace for it; the API says which with its problem codes. */
const EXISTING_ACCOUNT_WRONG_PASSWORD = "An account with this e-mail exists; the password is not correct.";

export default function SignUpPage() {
  const { signIn } = useAuth();
  const navigate = useNavigate();
  const [values, setValues] = useState({ full_name: "", email: "", password: "", workspace_name: "" });
  const [otp, setOtp] = useState("");
  const [needsOtp, setNeedsOtp] = useState(false);
  const [existing, setExisting] = useState(false);
  const set = (name: keyof typeof values) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setValues((v) => ({ ...v, [name]: e.target.value }));

  const form = useSubmit([...Object.keys(values), "otp"], async () => {
    setExisting(false);
    try {
      const tokens = await call(api.POST("/api/v1/auth/signup", { body: { ...values, otp: needsOtp ? otp : undefined } }));
      await signIn(tokens);
      navigate("/", { replace: true });
    } catch (error) {
      if (error instanceof ApiError && error.code === "otp_required") {
        setNeedsOtp(true);
        return;
      }
      if (error instanceof ApiError && error.code === "invalid_credentials") {
        setExisting(true);
        throw new Error(EXISTING_ACCOUNT_WRONG_PASSWORD, { cause: error });
      }
      throw error;
    }
  });

  return (
    <AuthLayout
      title={needsOtp ? "Two-factor authentication" : "Create your workspace"}
      subtitle={
        needsOtp
          ? "An account with this e-mail exists and uses two-factor authentication. Enter the code from your authenticator app, or a recovery code, to create the workspace with it."
          : "Every field of every record keeps its history, forever."
      }
      footer={
        <>
          Already have an account?{" "}
          <Link to="/signin" className="font-medium text-accent-text hover:underline">
            Sign in
          </Link>
        </>
      }
    >
      <form onSubmit={form.onSubmit} className="space-y-4" noValidate>
        <FormError message={form.formError} />
        {existing ? (
          <p className="text-sm">
            <Link to="/forgot-password" className="text-muted hover:text-fg">
              Forgot your password?
            </Link>
          </p>
        ) : null}
        {needsOtp ? (
          <OtpField value={otp} onChange={setOtp} error={form.fieldErrors.otp} />
        ) : (
          <>
            <TextField label="Your name" name="full_name" autoComplete="name" autoFocus value={values.full_name} onChange={set("full_name")} error={form.fieldErrors.full_name} />
            <TextField label="Work e-mail" name="email" type="email" autoComplete="email" required value={values.email} onChange={set("email")} error={form.fieldErrors.email} />
            <TextField
              label="Password"
              name="password"
              type="password"
              autoComplete="new-password"
              required
              value={values.password}
              onChange={set("password")}
              error={form.fieldErrors.password}
              hint="At least 10 characters; avoid common passwords. If this e-mail already has an account, its password."
            />
            <TextField label="Workspace name" name="workspace_name" autoComplete="organization" required value={values.workspace_name} onChange={set("workspace_name")} error={form.fieldErrors.workspace_name} />
          </>
        )}
        <Button type="submit" variant="primary" className="h-9 w-full" loading={form.pending}>
          {needsOtp ? "Verify" : "Create workspace"}
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
    </AuthLayout>
  );
}
