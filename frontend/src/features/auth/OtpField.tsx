import { TextField } from "@/ui/Field";

/** The second step of every form that signs an existing account in (sign-in, sign-up, accepting an
 * invitation): a TOTP or recovery code. */
export function OtpField({ value, onChange, error }: { value: string; onChange: (value: string) => void; error?: string | null }) {
  return (
    <TextField
      label="Authentication code"
      name="otp"
      autoComplete="one-time-code"
      inputMode="numeric"
      autoFocus
      value={value}
      onChange={(e) => onChange(e.target.value)}
      error={error}
    />
  );
}
