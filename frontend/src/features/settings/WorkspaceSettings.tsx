/** Workspace general settings: what PATCH /api/v1/workspace accepts. Read-only for non-admins. */
import { useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { api, call, type Schemas } from "@/api/client";
import { Button } from "@/ui/Button";
import { ErrorBanner } from "@/ui/ErrorBanner";
import { FormError, TextField } from "@/ui/Field";
import { Skeleton } from "@/ui/Skeleton";
import { useToast } from "@/ui/Toast";
import { settingsKeys, useIsAdmin, useWorkspace, type WorkspaceInfo } from "./api";
import { Card, ReadOnlyNotice, SectionHeader, SelectField } from "./components";
import { useSettingsForm } from "./form";

const FIELDS = ["name", "time_zone", "default_currency", "locale", "fiscal_year_start_month"] as const;
type Draft = Pick<WorkspaceInfo, (typeof FIELDS)[number]>;
const COMMON_CURRENCIES = ["USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "CNY", "INR", "BRL", "SEK", "NOK", "DKK", "PLN"];
const MONTHS = Array.from({ length: 12 }, (_, i) => ({
  value: String(i + 1),
  label: new Intl.DateTimeFormat(undefined, { month: "long" }).format(new Date(2024, i, 1)),
}));

function timeZones(current: string): string[] {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return Array.from(new Set(["UTC", current, ...zones])).sort();
}

/** Only what changed is sent, so a save never overwrites a field someone else changed meanwhile. */
function changes(before: Draft, after: Draft): Schemas["WorkspaceUpdate"] {
  const out: Record<string, unknown> = {};
  for (const name of FIELDS) if (after[name] !== before[name]) out[name] = after[name];
  return out as Schemas["WorkspaceUpdate"];
}

function WorkspaceForm({ workspace, editable }: { workspace: WorkspaceInfo; editable: boolean }) {
  const client = useQueryClient();
  const toast = useToast();
  const [draft, setDraft] = useState<Draft>(workspace);
  const zones = useMemo(() => timeZones(workspace.time_zone), [workspace.time_zone]);
  const patch = changes(workspace, draft);
  const dirty = Object.keys(patch).length > 0;
  const set = <K extends keyof Draft>(name: K, value: Draft[K]) => setDraft((d) => ({ ...d, [name]: value }));
  const form = useSettingsForm(FIELDS, async () => {
    const saved = await call(api.PATCH("/api/v1/workspace", { body: patch }));
    client.setQueryData(settingsKeys.workspace, saved);
    setDraft(saved);
    await client.invalidateQueries({ queryKey: ["me"] }); // the workspace switcher shows the name
    toast({ kind: "success", message: "Workspace settings saved" });
  });
  return (
    <form onSubmit={form.onSubmit} noValidate>
      <Card
        title="General"
        footer={
          editable ? (
            <Button type="submit" variant="primary" loading={form.pending} disabled={!dirty}>
              Save
            </Button>
          ) : undefined
        }
      >
        <FormError message={form.formError} className="mb-4" />
        <fieldset disabled={!editable} className="grid gap-4 sm:grid-cols-2">
          <TextField
            label="Workspace name"
            name="name"
            className="sm:col-span-2"
            value={draft.name}
            onChange={(e) => set("name", e.target.value)}
            error={form.fieldErrors.name}
          />
          <SelectField
            label="Time zone"
            name="time_zone"
            value={draft.time_zone}
            onChange={(e) => set("time_zone", e.target.value)}
            options={zones.map((z) => ({ value: z, label: z.replace(/_/g, " ") }))}
            error={form.fieldErrors.time_zone}
            hint="Dates without a time (due dates, reports by day) are read in this zone."
          />
          <TextField
            label="Default currency"
            name="default_currency"
            list="settings-currencies"
            maxLength={3}
            value={draft.default_currency}
            onChange={(e) => set("default_currency", e.target.value.toUpperCase())}
            error={form.fieldErrors.default_currency}
            hint="ISO 4217 code, e.g. USD or EUR."
          />
          <datalist id="settings-currencies">
            {COMMON_CURRENCIES.map((c) => (
              <option key={c} value={c} />
            ))}
          </datalist>
          <TextField
            label="Locale"
            name="locale"
            value={draft.locale}
            onChange={(e) => set("locale", e.target.value)}
            error={form.fieldErrors.locale}
            hint="Language and region for numbers and dates, e.g. en-US or fr-FR."
          />
          <SelectField
            label="Fiscal year starts in"
            name="fiscal_year_start_month"
            value={String(draft.fiscal_year_start_month)}
            onChange={(e) => set("fiscal_year_start_month", Number(e.target.value))}
            options={MONTHS}
            error={form.fieldErrors.fiscal_year_start_month}
          />
        </fieldset>
      </Card>
    </form>
  );
}

function FormSkeleton() {
  return (
    <div className="k-card mb-6" aria-busy="true" aria-label="Loading workspace settings">
      <div className="border-b border-line px-5 py-3">
        <Skeleton className="h-4 w-20" />
      </div>
      <div className="grid gap-4 px-5 py-4 sm:grid-cols-2">
        {[0, 1, 2, 3, 4].map((i) => (
          <div key={i} className={i === 0 ? "sm:col-span-2" : undefined}>
            <Skeleton className="mb-2 h-3 w-24" />
            <Skeleton className="h-9 w-full" />
          </div>
        ))}
      </div>
    </div>
  );
}

export function WorkspaceSettings() {
  const workspace = useWorkspace();
  const editable = useIsAdmin();
  return (
    <>
      <SectionHeader title="General" description="The workspace's name and regional settings." />
      {!editable ? <ReadOnlyNotice /> : null}
      {workspace.error ? <ErrorBanner error={workspace.error} onRetry={() => workspace.refetch()} /> : null}
      {workspace.isLoading ? <FormSkeleton /> : null}
      {workspace.data ? <WorkspaceForm key={workspace.data.id} workspace={workspace.data} editable={editable} /> : null}
    </>
  );
}
