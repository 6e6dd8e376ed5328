/**
 * Two-factor sign-in (TOTP): set up (QR code of the otpauth URI, plus the secret and URI as text to paste
 * into an authenticator), turn on with a code (the recovery codes are shown once), turn off with the
 * password and a code.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, call, type Schemas } from "@/api/client";
import { useMe } from "@/auth/AuthProvider";
import { Button } from "@/ui/Button";
import { FormError, TextField } from "@/ui/Field";
import { useToast } from "@/ui/Toast";
import { Badge, Card, CopyField } from "./components";
import { useSettingsForm } from "./form";
import { QrCode } from "./QrCode";

type Setup = Schemas["TwoFactorSetup"];
const OTP_FIELDS = { invalid_otp: "otp" };

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  return (
    <div>
      <p className="mb-3 text-sm">
        Two-factor authentication is on. Keep these <strong>recovery codes</strong> somewhere safe: each one signs
        you in once if you lose your device. They are shown only now.
      </p>
      <ul aria-label="Recovery codes" className="mb-4 grid grid-cols-2 gap-x-6 gap-y-1 rounded-md bg-subtle p-3 font-mono text-sm sm:grid-cols-3">
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ul>
      <CopyField label="All recovery codes" value={codes.join(" ")} />
      <div className="mt-4 flex justify-end">
        <Button variant="primary" onClick={onDone}>
          I have saved them
        </Button>
      </div>
    </div>
  );
}

function EnableForm({ setup, onEnabled, onCancel }: { setup: Setup; onEnabled: (codes: string[]) => void; onCancel: () => void }) {
  const [otp, setOtp] = useState("");
  const form = useSettingsForm(
    ["otp"],
    async () => {
      const result = await call(api.POST("/api/v1/auth/2fa/enable", { body: { otp } }));
      onEnabled(result.recovery_codes);
    },
    OTP_FIELDS,
  );
  return (
    <form onSubmit={form.onSubmit} noValidate>
      <FormError message={form.formError} className="mb-4" />
      <ol className="space-y-5 text-sm">
        <li>
          <p className="mb-2 font-medium">1. Scan this code with your authenticator app</p>
          <div className="flex flex-col gap-4 sm:flex-row sm:items-start">
            <QrCode text={setup.otpauth_uri} label="QR code for your authenticator app" />
            <div className="min-w-0 flex-1 space-y-3">
              <p className="text-muted">Cannot scan it? Enter the secret in the app, or paste the setup link.</p>
              <CopyField label="Secret" value={setup.secret} />
              <CopyField label="Setup link" value={setup.otpauth_uri} />
            </div>
          </div>
        </li>
        <li>
          <p className="mb-2 font-medium">2. Enter the 6-digit code the app shows</p>
          <TextField
            label="Authentication code"
            name="otp"
            autoComplete="one-time-code"
            inputMode="numeric"
            className="sm:max-w-48"
            value={otp}
            onChange={(e) => setOtp(e.target.value)}
            error={form.fieldErrors.otp}
          />
        </li>
      </ol>
      <div className="mt-5 flex justify-end gap-2">
        <Button onClick={onCancel}>Cancel</Button>
        <Button type="submit" variant="primary" loading={form.pending}>
          Turn on
        </Button>
      </div>
    </form>
  );
}

function DisableForm({ onDisabled, onCancel }: { onDisabled: () => void; onCancel: () => void }) {
  const [password, setPassword] = useState("");
  const [otp, setOtp] = useState("");
  const form = useSettingsForm(
    ["password", "otp"],
    async () => {
      await call(api.POST("/api/v1/auth/2fa/disable", { body: { password, otp } }));
      onDisabled();
    },
    OTP_FIELDS,
  );
  return (
    <form onSubmit={form.onSubmit} noValidate className="space-y-4">
      <p className="text-sm text-muted">Confirm with your password and a code from your app (or a recovery code).</p>
      <FormError message={form.formError} />
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={form.fieldErrors.password}
        />
        <TextField
          label="Authentication code"
          name="otp"
          autoComplete="one-time-code"
          value={otp}
          onChange={(e) => setOtp(e.target.value)}
          error={form.fieldErrors.otp}
        />
      </div>
      <div className="flex justify-end gap-2">
        <Button onClick={onCancel}>Cancel</Button>
        <Button type="submit" variant="danger" loading={form.pending}>
          Turn off two-factor
        </Button>
      </div>
    </form>
  );
}

export function TwoFactorCard() {
  const me = useMe();
  const client = useQueryClient();
  const toast = useToast();
  const [setup, setSetup] = useState<Setup | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [disabling, setDisabling] = useState(false);
  const start = useSettingsForm([], async () => setSetup(await call(api.POST("/api/v1/auth/2fa/setup"))));
  const enabled = me.user.two_factor_enabled;
  const refreshMe = () => client.invalidateQueries({ queryKey: ["me"] });

  let body;
  if (codes) {
    body = <RecoveryCodes codes={codes} onDone={() => setCodes(null)} />;
  } else if (enabled && disabling) {
    body = (
      <DisableForm
        onCancel={() => setDisabling(false)}
        onDisabled={async () => {
          setDisabling(false);
          await refreshMe();
          toast({ kind: "success", message: "Two-factor authentication is off" });
        }}
      />
    );
  } else if (enabled) {
    body = (
      <div className="flex flex-wrap items-center justify-between gap-3">
        <p className="text-sm text-muted">Signing in asks for a code from your authenticator app.</p>
        <Button onClick={() => setDisabling(true)}>Turn off</Button>
      </div>
    );
  } else if (setup) {
    body = (
      <EnableForm
        setup={setup}
        onCancel={() => setSetup(null)}
        onEnabled={async (recovery) => {
          setSetup(null);
          setCodes(recovery);
          await refreshMe();
          toast({ kind: "success", message: "Two-factor authentication is on" });
        }}
      />
    );
  } else {
    body = (
      <div className="space-y-3">
        <FormError message={start.formError} />
        <div className="flex flex-wrap items-center justify-between gap-3">
          <p className="text-sm text-muted">Add a second step to signing in: a code from an authenticator app.</p>
          <Button variant="primary" loading={start.pending} onClick={() => start.onSubmit()}>
            Set up two-factor
          </Button>
        </div>
      </div>
    );
  }

  return (
    <Card title="Two-factor authentication">
      <div className="mb-3">
        {enabled ? <Badge tone="success">On</Badge> : <Badge>Off</Badge>}
      </div>
      {body}
    </Card>
  );
}
