import { useState } from "react";
import { Link } from "react-router";
import { api, call } from "@/api/client";
import { Button } from "@/ui/Button";
import { FormError, TextField } from "@/ui/Field";
import { AuthLayout } from "./AuthLayout";
import { useSubmit } from "./useForm";

export default function ForgotPasswordPage() {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  const form = useSubmit(["email"], async () => {
    await call(api.POST("/api/v1/auth/password/forgot", { body: { email } }));
    setSent(true);
  });
  return (
    <AuthLayout
      title="Reset your password"
      subtitle={sent ? undefined : "We will e-mail you a link to choose a new one."}
      footer={
        <Link to="/signin" className="text-muted hover:text-fg">
          Back to sign in
        </Link>
      }
    >
      {sent ? (
        <p role="status" className="text-sm">
          If an account exists for <strong>{email}</strong>, a reset link is on its way. It works once, for an hour.
        </p>
      ) : (
        <form onSubmit={form.onSubmit} className="space-y-4" noValidate>
          <FormError message={form.formError} />
          <TextField label="E-mail" name="email" type="email" autoComplete="email" autoFocus required value={email} onChange={(e) => setEmail(e.target.value)} error={form.fieldErrors.email} />
          <Button type="submit" variant="primary" className="h-9 w-full" loading={form.pending}>
            Send reset link
          </Button>
        </form>
      )}
    </AuthLayout>
  );
}
