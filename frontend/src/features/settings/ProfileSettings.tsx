/** Profile: my name (PATCH /auth/me), my e-mail (shown: it is the sign-in name), and the theme. */
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, call } from "@/api/client";
import { useMe } from "@/auth/AuthProvider";
import { useTheme, type ThemeChoice } from "@/app/theme";
import { Avatar } from "@/ui/Avatar";
import { Button } from "@/ui/Button";
import { cx } from "@/ui/cx";
import { FormError, TextField } from "@/ui/Field";
import { Icon, type IconName } from "@/ui/Icon";
import { useToast } from "@/ui/Toast";
import { Card, SectionHeader } from "./components";
import { useSettingsForm } from "./form";

function NameForm() {
  const me = useMe();
  const client = useQueryClient();
  const toast = useToast();
  const [name, setName] = useState(me.user.full_name);
  const form = useSettingsForm(["full_name"], async () => {
    const updated = await call(api.PATCH("/api/v1/auth/me", { body: { full_name: name } }));
    client.setQueryData(["me"], updated);
    await client.invalidateQueries({ queryKey: ["members"] });
    setName(updated.user.full_name);
    toast({ kind: "success", message: "Profile saved" });
  });
  const unchanged = name.trim() === me.user.full_name;
  return (
    <form onSubmit={form.onSubmit} noValidate>
      <Card
        title="Profile"
        description="How you appear to your teammates, in every workspace you belong to."
        footer={
          <Button type="submit" variant="primary" loading={form.pending} disabled={unchanged}>
            Save
          </Button>
        }
      >
        <FormError message={form.formError} className="mb-4" />
        <div className="flex items-start gap-4">
          <span className="mt-5 hidden sm:block">
            <Avatar name={name.trim() || me.user.email} size={44} />
          </span>
          <div className="grid min-w-0 flex-1 gap-4 sm:grid-cols-2">
            <TextField
              label="Full name"
              name="full_name"
              autoComplete="name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              error={form.fieldErrors.full_name}
            />
            <TextField
              label="E-mail"
              name="email"
              type="email"
              value={me.user.email}
              readOnly
              disabled
              hint="Your e-mail is your sign-in name and cannot be changed here."
            />
          </div>
        </div>
      </Card>
    </form>
  );
}

const THEMES: { value: ThemeChoice; label: string; icon: IconName }[] = [
  { value: "light", label: "Light", icon: "sun" },
  { value: "dark", label: "Dark", icon: "moon" },
  { value: "system", label: "System", icon: "monitor" },
];

function ThemeChooser() {
  const theme = useTheme();
  return (
    <Card title="Appearance" description="Stored on this device.">
      <fieldset>
        <legend className="k-label">Theme</legend>
        <div className="grid grid-cols-3 gap-2 sm:max-w-md">
          {THEMES.map((t) => (
            <label
              key={t.value}
              className={cx(
                "flex cursor-pointer items-center justify-center gap-2 rounded-md border px-3 py-2 text-sm has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-focus",
                theme.choice === t.value ? "border-accent bg-accent-soft text-accent-text" : "border-line-strong hover:bg-hover",
              )}
            >
              <input
                type="radio"
                name="theme"
                value={t.value}
                checked={theme.choice === t.value}
                onChange={() => theme.setChoice(t.value)}
                className="sr-only"
              />
              <Icon name={t.icon} size={15} />
              {t.label}
            </label>
          ))}
        </div>
      </fieldset>
    </Card>
  );
}

export function ProfileSettings() {
  return (
    <>
      <SectionHeader title="Profile" description="Your account." />
      <NameForm />
      <ThemeChooser />
    </>
  );
}
