import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { api, call } from "@/api/client";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/ui/Button";
import { FormError, TextField } from "@/ui/Field";
import { AuthLayout } from "./AuthLayout";
import { useSubmit } from "./useForm";

export default function SignUpPage() {
  const { signIn } = useAuth();
  const navigate = useNavigate();
  const [values, setValues] = useState({ full_name: "", email: "", password: "", workspace_name: "" });
  const set = (name: keyof typeof values) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setValues((v) => ({ ...v, [name]: e.target.value }));

  const form = useSubmit(Object.keys(values), async () => {
    const tokens = await call(api.POST("/api/v1/auth/signup", { body: values }));
    await signIn(tokens);
    navigate("/", { replace: true });
  });

  return (
    <AuthLayout
      title="Create your workspace"
      subtitle="Every field of every record keeps its history, forever."
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
          hint="At least 10 characters; avoid common passwords."
        />
        <TextField label="Workspace name" name="workspace_name" autoComplete="organization" required value={values.workspace_name} onChange={set("workspace_name")} error={form.fieldErrors.workspace_name} />
        <Button type="submit" variant="primary" className="h-9 w-full" loading={form.pending}>
          Create workspace
        </Button>
      </form>
    </AuthLayout>
  );
}
