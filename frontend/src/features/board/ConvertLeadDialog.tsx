/**
 * Convert a lead (POST /api/v1/leads/{id}/convert): before sending, show which contact and company will be
 * matched or created and let the user add a deal; after it, go to the deal (or the contact). The server does
 * it in one transaction; whatever it refuses is shown here, next to the input it concerns.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState, type ReactNode } from "react";
import { Link } from "react-router";
import { ApiError, errorMessage } from "@/api/problem";
import { fetchPage, useObjectMeta } from "@/api/records";
import { useMe } from "@/auth/AuthProvider";
import { recordTitle } from "@/lib/fields";
import type { RecordData } from "@/lib/types";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { FormError } from "@/ui/Field";
import { Icon, type IconName } from "@/ui/Icon";
import { Skeleton } from "@/ui/Skeleton";
import { useToast } from "@/ui/Toast";
import { afterConversion, convertLead, usePipelines, useStages, type Conversion } from "./boardApi";
import { leadName } from "./cards";
import { companyDomain, conversionErrors, dealBody, parseAmount, type DealDraft } from "./conversion";

/** The first record of `object` whose `field` matches, or null; errors are answered as "cannot tell". */
function useMatch(object: string, field: string, op: string, value: string | null) {
  return useQuery({
    queryKey: ["records", object, "conversion-match", field, op, value],
    queryFn: async () => {
      const page = await fetchPage(object, { filter: { field, op, value }, sort: "created_at", limit: 1 });
      return page.items[0] ?? null;
    },
    enabled: Boolean(value),
    retry: false,
    staleTime: 30_000,
  });
}

function PlanRow({ icon, children, testId }: { icon: IconName; children: ReactNode; testId: string }) {
  return (
    <li className="flex items-start gap-2.5 py-2" data-testid={testId}>
      <span className="mt-0.5 flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-subtle text-muted">
        <Icon name={icon} size={13} />
      </span>
      <div className="min-w-0 flex-1 text-sm">{children}</div>
    </li>
  );
}

function Existing({ object, record }: { object: string; record: RecordData }) {
  const { meta } = useObjectMeta(object);
  return (
    <Link to={`/${object}/${record.id}`} className="font-medium text-accent-text hover:underline" target="_blank" rel="noreferrer">
      {recordTitle(meta, record)}
    </Link>
  );
}

function ContactPlan({ lead }: { lead: RecordData }) {
  const email = typeof lead.email === "string" && lead.email ? lead.email : null;
  const match = useMatch("contacts", "emails", "contains", email);
  return (
    <PlanRow icon="user" testId="plan-contact">
      {match.isLoading ? (
        <Skeleton className="mt-1 w-48" />
      ) : match.data ? (
        <>Uses the existing contact <Existing object="contacts" record={match.data} /> (same e-mail).</>
      ) : (
        <>
          Creates the contact <strong>{leadName(lead)}</strong>
          {email ? <span className="text-muted"> · {email}</span> : null}.
          {match.error ? <span className="block text-xs text-muted">Existing contacts could not be checked: {errorMessage(match.error)}</span> : null}
        </>
      )}
    </PlanRow>
  );
}

function CompanyPlan({ lead, companyName }: { lead: RecordData; companyName: string }) {
  const domain = companyDomain(lead.email);
  const name = companyName.trim() || null;
  const byDomain = useMatch("companies", "domain", "eq", domain);
  const byName = useMatch("companies", "name", "eq", byDomain.data || byDomain.isLoading ? null : name);
  const loading = byDomain.isLoading || byName.isLoading;
  const match = byDomain.data ?? byName.data;
  return (
    <PlanRow icon="building" testId="plan-company">
      {loading ? (
        <Skeleton className="mt-1 w-48" />
      ) : match ? (
        <>
          Links the existing company <Existing object="companies" record={match} />
          <span className="text-muted"> ({byDomain.data ? `domain ${domain}` : "same name"})</span>.
        </>
      ) : name || domain ? (
        <>
          Creates the company <strong>{name ?? domain}</strong>
          {domain && name ? <span className="text-muted"> · {domain}</span> : null}.
        </>
      ) : (
        <span className="text-muted">No company: the lead has none and its e-mail names none.</span>
      )}
    </PlanRow>
  );
}

function DealFields({
  draft,
  onChange,
  errors,
  formId,
}: {
  draft: DealDraft;
  onChange: (next: DealDraft) => void;
  errors: Record<string, string>;
  formId: string;
}) {
  const pipelines = usePipelines();
  const stages = useStages(draft.pipelineId || null);
  const open = (stages.data ?? []).filter((s) => s.type === "open");
  useEffect(() => {
    // Default: the workspace's default pipeline and its first open stage (what the server would pick).
    if (!draft.pipelineId && pipelines.data?.length) {
      const chosen = pipelines.data.find((p) => p.is_default) ?? pipelines.data[0];
      if (chosen) onChange({ ...draft, pipelineId: chosen.id, stageId: "" });
    }
  }, [draft, onChange, pipelines.data]);
  useEffect(() => {
    if (draft.pipelineId && !draft.stageId && open[0]) onChange({ ...draft, stageId: open[0].id });
  }, [draft, onChange, open]);
  const error = (name: string) =>
    errors[`deal.${name}`] ? (
      <p role="alert" className="mt-1 text-xs text-danger">
        {errors[`deal.${name}`]}
      </p>
    ) : null;
  return (
    <div className="mt-3 grid gap-3 sm:grid-cols-2">
      <div className="sm:col-span-2">
        <label className="k-label" htmlFor={`${formId}-deal-name`}>Deal name</label>
        <input id={`${formId}-deal-name`} className="k-input h-9" value={draft.name} aria-invalid={Boolean(errors["deal.name"])} onChange={(e) => onChange({ ...draft, name: e.target.value })} />
        {error("name")}
      </div>
      <div>
        <label className="k-label" htmlFor={`${formId}-deal-amount`}>Amount</label>
        <div className="flex gap-1">
          <input
            id={`${formId}-deal-amount`}
            className="k-input h-9"
            inputMode="decimal"
            placeholder="0.00"
            value={draft.amount}
            aria-invalid={Boolean(errors["deal.amount_minor"])}
            onChange={(e) => onChange({ ...draft, amount: e.target.value })}
          />
          <input
            aria-label="Currency"
            className="k-input h-9 w-16 uppercase"
            maxLength={3}
            value={draft.currency}
            aria-invalid={Boolean(errors["deal.currency"])}
            onChange={(e) => onChange({ ...draft, currency: e.target.value.toUpperCase() })}
          />
        </div>
        {error("amount_minor") ?? error("currency")}
      </div>
      <div>
        <label className="k-label" htmlFor={`${formId}-deal-pipeline`}>Pipeline</label>
        {pipelines.isLoading ? (
          <Skeleton className="h-9 w-full" />
        ) : (
          <select id={`${formId}-deal-pipeline`} className="k-input h-9" value={draft.pipelineId} onChange={(e) => onChange({ ...draft, pipelineId: e.target.value, stageId: "" })}>
            {(pipelines.data ?? []).length === 0 ? <option value="">Default (created with the deal)</option> : null}
            {(pipelines.data ?? []).map((p) => (
              <option key={p.id} value={p.id}>{String(p.name)}</option>
            ))}
          </select>
        )}
        {error("pipeline_id")}
      </div>
      <div className="sm:col-span-2">
        <label className="k-label" htmlFor={`${formId}-deal-stage`}>Stage</label>
        <select id={`${formId}-deal-stage`} className="k-input h-9" value={draft.stageId} disabled={!draft.pipelineId} onChange={(e) => onChange({ ...draft, stageId: e.target.value })}>
          {!draft.pipelineId ? <option value="">First stage</option> : null}
          {open.map((s) => (
            <option key={s.id} value={s.id}>{String(s.name)}</option>
          ))}
        </select>
        {error("stage_id")}
      </div>
    </div>
  );
}

export function ConvertLeadDialog({ lead, onClose, onConverted }: { lead: RecordData; onClose: () => void; onConverted: (result: Conversion) => void }) {
  const me = useMe();
  const client = useQueryClient();
  const toast = useToast();
  const formId = useId();
  const initialCompany = typeof lead.company_name === "string" ? lead.company_name : "";
  const [companyName, setCompanyName] = useState(initialCompany);
  const [withDeal, setWithDeal] = useState(true);
  const [deal, setDeal] = useState<DealDraft>({
    name: `${initialCompany || leadName(lead)} deal`,
    amount: "",
    currency: me.workspace.default_currency,
    pipelineId: "",
    stageId: "",
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setErrors({});
    setFormError(null);
    if (withDeal && !deal.name.trim()) return setErrors({ "deal.name": "Give the deal a name." });
    const amount = parseAmount(deal.amount);
    if (withDeal && amount !== null && !Number.isFinite(amount)) return setErrors({ "deal.amount_minor": "Enter a number, e.g. 1250.50." });
    setPending(true);
    try {
      const result = await convertLead(lead, {
        company_name: companyName.trim() && companyName.trim() !== initialCompany ? companyName.trim() : null,
        create_deal: withDeal ? dealBody(deal) : null,
      });
      afterConversion(client, result);
      toast({ kind: "success", message: `${leadName(lead)} converted`, detail: result.deal ? `Deal “${String(result.deal.name)}” created` : undefined });
      onConverted(result);
    } catch (error) {
      if (error instanceof ApiError) {
        const byField = conversionErrors(error.errors);
        setErrors(byField);
        const placed = new Set(["company_name", "deal.name", "deal.amount_minor", "deal.currency", "deal.pipeline_id", "deal.stage_id"]);
        const unplaced = error.errors.length === 0 || Object.keys(byField).some((name) => !placed.has(name));
        setFormError(unplaced || !withDeal ? error.message : null);
      } else setFormError(errorMessage(error));
    } finally {
      setPending(false);
    }
  };

  return (
    <Dialog
      open
      onClose={onClose}
      title={`Convert ${leadName(lead)}`}
      footer={
        <>
          <Button variant="ghost" onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" form={formId} loading={pending}>Convert lead</Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} noValidate className="space-y-3">
        <FormError message={formError} />
        <div>
          <label className="k-label" htmlFor={`${formId}-company`}>Company name</label>
          <input id={`${formId}-company`} className="k-input h-9" value={companyName} aria-invalid={Boolean(errors.company_name)} onChange={(e) => setCompanyName(e.target.value)} />
          {errors.company_name ? <p role="alert" className="mt-1 text-xs text-danger">{errors.company_name}</p> : null}
        </div>
        <section aria-label="What will happen">
          <h3 className="text-xs font-semibold tracking-wide text-faint uppercase">What will happen</h3>
          <ul className="divide-y divide-line">
            <ContactPlan lead={lead} />
            <CompanyPlan lead={lead} companyName={companyName} />
            <PlanRow icon="deal" testId="plan-deal">
              <label className="flex items-center gap-2">
                <input type="checkbox" checked={withDeal} onChange={(e) => setWithDeal(e.target.checked)} />
                Also create a deal
              </label>
              {withDeal ? <DealFields draft={deal} onChange={setDeal} errors={errors} formId={formId} /> : null}
            </PlanRow>
            <PlanRow icon="lead" testId="plan-lead">
              The lead becomes <strong>Converted</strong> and links to what it became; its history stays.
            </PlanRow>
          </ul>
        </section>
      </form>
    </Dialog>
  );
}
