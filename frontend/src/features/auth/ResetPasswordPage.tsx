import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, call } from "@/api/client";
import { Button } from "@/ui/Button";
import { FormError, TextField } from "@/ui/Field";
import { AuthLayout } from "./AuthLayout";
import { useSubmit } from "./useForm";

export default function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const form = useSubmit(["password"], async () => {
    await call(api.POST("/api/v1/auth/password/reset", { body: { token, password } }));
    setDone(true);
  });
  return (
    <AuthLayout title="Choose a new password" footer={<Link to="/signin" className="text-muted hover:text-fg">Back to sign in</Link>}>
      {done ? (
        <div role="status" className="space-y-4 text-sm">
          <p>Your password was changed and your other sessions were signed out.</p>
          <Link to="/signin" className="inline-flex h-9 w-full items-center justify-center rounded-md bg-accent font-medium text-accent-fg">
            Sign in
          </Link>
        </div>
      ) : !token ? (
        <FormError message="This link has no reset token. Use the link from the e-mail, or ask for a new one." />
      ) : (
        <form onSubmit={form.onSubmit} className="space-y-4" noValidate>
          <FormError message={form.formError} />
          <TextField label="New password" name="password" type="password" autoComplete="new-password" autoFocus required value={password} onChange={(e) => setPassword(e.target.value)} error={form.fieldErrors.password} hint="At least 10 characters." />
          <Button type="submit" variant="primary" className="h-9 w-full" loading={form.pending}>
            Set password
          </Button>
        </form>
      )}
    </AuthLayout>
  );
}
