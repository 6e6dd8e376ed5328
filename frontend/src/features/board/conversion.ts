/**
 * What a lead conversion will do, worked out before it is sent, the way the server decides it
 * (kronos/modules/crm/service.py `convert_lead`): the contact with the lead's e-mail, else a new one; the company
 * with the e-mail's domain (not a mailbox provider's), else the one with the company name, else a new one.
 */
import type { FieldError } from "@/api/problem";
import { fractionDigits } from "@/lib/fields";

/** Mailbox providers: an address there says nothing about the person's company (mirrors the server's list). */
export const FREE_MAIL_DOMAINS = new Set([
  "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com", "icloud.com", "me.com",
  "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "web.de", "yandex.ru", "mail.ru", "orange.fr",
  "free.fr", "laposte.net",
]);

/** The company domain an e-mail points to, or null for none or a mailbox provider. */
export function companyDomain(email: unknown): string | null {
  if (typeof email !== "string" || !email.includes("@")) return null;
  const domain = email.slice(email.lastIndexOf("@") + 1).trim().toLowerCase();
  return domain && !FREE_MAIL_DOMAINS.has(domain) ? domain : null;
}

/** A typed amount: null when empty, NaN when it is not a number (the dialog says so before sending). */
export function parseAmount(text: string): number | null {
  const clean = text.replace(/[\s,]/g, "");
  return clean ? Number(clean) : null;
}

export interface DealDraft {
  name: string;
  amount: string;
  currency: string;
  pipelineId: string;
  stageId: string;
}

/** The deal part of the request body; an amount the user typed is sent in minor units of its currency. */
export function dealBody(draft: DealDraft): {
  name: string;
  amount_minor?: number;
  currency?: string;
  pipeline_id?: string;
  stage_id?: string;
} {
  const body: ReturnType<typeof dealBody> = { name: draft.name.trim() };
  const amount = parseAmount(draft.amount);
  if (amount !== null && Number.isFinite(amount)) {
    const currency = draft.currency.trim().toUpperCase();
    body.currency = currency;
    body.amount_minor = Math.round(amount * 10 ** fractionDigits(currency));
  }
  if (draft.pipelineId) body.pipeline_id = draft.pipelineId;
  if (draft.stageId) body.stage_id = draft.stageId;
  return body;
}

/** The API's field errors by the dialog's inputs: body.create_deal.name -> "deal.name", body.company_name -> "company_name". */
export function conversionErrors(errors: FieldError[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const error of errors) {
    const parts = error.path.split(".");
    if (parts[0] !== "body") continue;
    const name = parts[1] === "create_deal" ? `deal.${parts[2] ?? "name"}` : (parts[1] ?? "");
    if (name && !(name in out)) out[name] = error.message;
  }
  return out;
}
