"""CRM services on top of the record engine: lead status changes and lead conversion.

Everything here writes through ``RecordService`` — the engine's one write path — so permissions, validation,
history rows and outbox events are exactly those of the generic API. The caller's request transaction is the
only transaction: a conversion that fails halfway (a bad deal currency, a missing permission) stores nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kronos.kit.clock import utcnow
from kronos.kit.errors import Conflict
from kronos.kit.records.fields import format_datetime
from kronos.kit.records.service import ListParams, RecordService
from kronos.kit.records.write import WriteResult

# Mailbox providers: an e-mail there says nothing about the person's company.
FREE_MAIL_DOMAINS = frozenset(
    {"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com", "icloud.com",
     "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "web.de", "yandex.ru",
     "mail.ru", "orange.fr", "free.fr", "laposte.net"}
)  # fmt: skip


class LeadAlreadyConverted(Conflict):
    code = "lead_already_converted"


@dataclass(frozen=True, slots=True)
class DealDraft:
    name: str
    amount_minor: int | None = None
    currency: str | None = None
    pipeline_id: str | None = None
    stage_id: str | None = None


@dataclass(frozen=True, slots=True)
class Conversion:
    lead: WriteResult
    contact: dict[str, Any]
    company: dict[str, Any] | None
    deal: dict[str, Any] | None


async def change_lead_status(
    records: RecordService, lead_id: str, status: str, expected: int | None
) -> WriteResult:
    return await records.update("leads", lead_id, {"status": status}, replace=False, expected=expected)


async def _first(
    records: RecordService, object_name: str, field: str, op: str, value: Any
) -> dict[str, Any] | None:
    page = await records.list(
        object_name,
        ListParams(filter=json.dumps({"field": field, "op": op, "value": value}), sort="created_at", limit=1),
    )
    return page.items[0] if page.items else None


async def convert_lead(
    records: RecordService,
    lead_id: str,
    *,
    deal: DealDraft | None,
    company_name: str | None,
    expected: int | None = None,
) -> Conversion:
    """Turn a lead into a contact (or the existing one with its e-mail), a company (or the existing one with
    its e-mail's domain or its name) and optionally a deal, linked together, and mark the lead converted."""
    records.principal.require("leads", "update")
    lead = await records.get("leads", lead_id)
    if lead["status"] == "converted" or lead.get("converted_at"):
        raise LeadAlreadyConverted("This lead is already converted.", extra={"lead_id": lead["id"]})
    email: str | None = lead.get("email")
    domain = email.rpartition("@")[2] if email else None
    if domain in FREE_MAIL_DOMAINS:
        domain = None
    name = (company_name or lead.get("company_name") or "").strip() or None

    company: dict[str, Any] | None = None
    if domain:
        company = await _first(records, "companies", "domain", "eq", domain)
    if company is None and name:
        company = await _first(records, "companies", "name", "eq", name)
    if company is None and (name or domain):
        created = await records.create("companies", {"name": name or domain, "domain": domain})
        company = await records.get("companies", str(created.record.id))

    contact = await _first(records, "contacts", "emails", "contains", email) if email else None
    if contact is None:
        body: dict[str, Any] = {
            "first_name": lead.get("first_name"),
            "last_name": lead["last_name"],
            "emails": [email] if email else [],
            "phones": [lead["phone"]] if lead.get("phone") else [],
            "job_title": lead.get("title"),
            "company_id": company["id"] if company else None,
        }
        created = await records.create("contacts", body)
        contact = await records.get("contacts", str(created.record.id))
    elif company is not None and contact.get("company_id") is None:
        await records.update(
            "contacts", contact["id"], {"company_id": company["id"]}, replace=False, expected=None
        )
        contact = await records.get("contacts", contact["id"])

    deal_out: dict[str, Any] | None = None
    if deal is not None:
        deal_body: dict[str, Any] = {
            "name": deal.name,
            "company_id": company["id"] if company else None,
            "contact_ids": [contact["id"]],
        }
        if deal.amount_minor is not None or deal.currency is not None:
            deal_body["amount"] = {"amount_minor": deal.amount_minor, "currency": deal.currency}
        if deal.pipeline_id is not None:
            deal_body["pipeline_id"] = deal.pipeline_id
        if deal.stage_id is not None:
            deal_body["stage_id"] = deal.stage_id
        created = await records.create("deals", deal_body)
        deal_out = await records.get("deals", str(created.record.id))

    contact_ids = list(lead.get("contact_ids") or [])
    if contact["id"] not in contact_ids:
        contact_ids.append(contact["id"])
    # The converted_* fields are system fields (no caller may set them): the service writes them itself,
    # through the same path, in the same change set as the status.
    changes = {
        "status": "converted",
        "contact_ids": contact_ids,
        "converted_at": format_datetime(utcnow()),
        "converted_contact_id": contact["id"],
        "converted_company_id": company["id"] if company else None,
        "converted_deal_id": deal_out["id"] if deal_out else None,
    }
    result = await records.apply("leads", lead_id, changes, expected)
    return Conversion(result, contact, company, deal_out)
