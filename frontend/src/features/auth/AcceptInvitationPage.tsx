import { useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { api, call } from "@/api/client";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/ui/Button";
import { FormError, TextField } from "@/ui/Field";
import { AuthLayout } from "./AuthLayout";
import { useSubmit } from "./useForm";

export default function AcceptInvitationPage() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const { signIn } = useAuth();
  const navigate = useNavigate();
  const [fullName, setFullName] = useState("");
  const [password, setPassword] = useState("");
  const [needsCode, setNeedsCode] = useState(false);

  const form = useSubmit(["full_name", "password"], async () => {
    const accepted = await call(
      api.POST("/api/v1/invitations/accept", { body: { token, password, full_name: fullName || undefined } }),
    );
    if (accepted.tokens) {
      await signIn(accepted.tokens);
      navigate("/", { replace: true });
    } else {
      setNeedsCode(true); // the account has 2FA: it signs in with its code
    }
  });

  return (
    <AuthLayout
      title="Join your team on KronosCRM"
      subtitle="New here? Choose a password. Already have an account? Enter its password."
      footer={<Link to="/signin" className="text-muted hover:text-fg">Sign in instead</Link>}
    >
      {needsCode ? (
        <div role="status" className="space-y-4 text-sm">
          <p>You joined the workspace. Your account uses two-factor authentication: sign in with your code.</p>
          <Link to="/signin" className="inline-flex h-9 w-full items-center justify-center rounded-md bg-accent font-medium text-accent-fg">
            Sign in
          </Link>
        </div>
      ) : !token ? (
        <FormError message="This link has no invitation token. Use the link from the e-mail." />
      ) : (
        <form onSubmit={form.onSubmit} className="space-y-4" noValidate>
          <FormError message={form.formError} />
          <TextField label="Your name" name="full_name" autoComplete="name" autoFocus value={fullName} onChange={(e) => setFullName(e.target.value)} error={form.fieldErrors.full_name} />
          <TextField label="Password" name="password" type="password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.target.value)} error={form.fieldErrors.password} />
          <Button type="submit" variant="primary" className="h-9 w-full" loading={form.pending}>
            Accept invitation
          </Button>
        </form>
      )}
    </AuthLayout>
  );
}
