"""CRM services on top of the record engine: a new workspace's default pipeline, lead status changes and lead
conversion.

Everything here writes through ``RecordService`` — the engine's one write path — so permissions, validation,
history rows and outbox events are exactly those of the generic API. The caller's request transaction is the
only transaction: a conversion that fails halfway (a bad deal currency, a missing permission) stores nothing.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.clock import utcnow
from kronos.kit.errors import Conflict, NotFound
from kronos.kit.records.fields import format_datetime
from kronos.kit.records.objects import ObjectDefinition, ObjectRegistry, load_schema
from kronos.kit.records.service import ListParams, RecordService
from kronos.kit.records.unique import holders_of, value_key
from kronos.kit.records.write import Actor, WriteContext, WriteResult
from kronos.modules.crm.objects import STANDARD_OBJECTS
from kronos.modules.crm.rules import ensure_default_pipeline

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


async def create_default_pipeline(
    session: AsyncSession, tenant_id: uuid.UUID, *, owner_id: uuid.UUID | None
) -> uuid.UUID:
    """Give a workspace that is being created its default pipeline and stages, in the creating transaction,
    so its first screen (the deals board) has columns before any deal exists. Called by the identity module
    where workspaces are created; ``rules.ensure_default_pipeline`` still creates it lazily for workspaces
    made before this existed. Written through the write path as the owner (source ``system``), so the rows
    have their history and events like any other record. Returns the pipeline's id."""
    # Only standard objects: a workspace being created has no custom objects or fields yet.
    registry = ObjectRegistry(STANDARD_OBJECTS)

    async def resolve(name: str) -> ObjectDefinition:
        return registry.get(name)

    ctx = WriteContext(
        session=session,
        schema=await load_schema(session, tenant_id, registry.get("pipelines")),
        tenant_id=tenant_id,
        op="create",
        actor=Actor(user_id=owner_id, api_key_id=None, source="system"),
        now=utcnow(),
        dialect=session.get_bind().dialect.name,
        resolve=resolve,
    )
    pipeline = await ensure_default_pipeline(ctx)
    return pipeline.id


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


async def _unique_holder(
    records: RecordService, object_name: str, field: str, value: str
) -> tuple[bool, dict[str, Any] | None]:
    """Whether a live record holds a unique value, matched as uniqueness matches it (e-mails
    case-insensitively) through the unique-values index, and that record if the caller may see it. One they
    may not see is never returned nor named: (True, None), the value is taken and that is all."""
    schema = await records.schema(object_name)
    spec = schema.fields[field]
    key = value_key(spec, value)
    holders = await holders_of(records.session, records.tenant_id, object_name, [(field, key)])
    holder = holders.get((field, key))
    if holder is None:
        return False, None
    try:
        return True, await records.get(object_name, str(holder))
    except NotFound:
        return True, None


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
    # The lead's row is held first: a second conversion of it waits, then finds it converted (409), rather
    # than creating a second contact, company and deal.
    await records.lock("leads", lead_id)
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
        taken, company = await _unique_holder(records, "companies", "domain", domain)
        if taken and company is None:
            # The domain's company is one the caller may not see: they cannot link to it nor learn which it
            # is. The domain only guided the match: a company made here goes without it.
            domain = None
    if company is None and name:
        company = await _first(records, "companies", "name", "eq", name)
    if company is None and (name or domain):
        created = await records.create("companies", {"name": name or domain, "domain": domain})
        company = await records.get("companies", str(created.record.id))

    # A contact the caller may not see with the lead's e-mail is not theirs to link to: creating one with it
    # answers the 409 the write path gives, saying the address is taken and no more.
    contact = (await _unique_holder(records, "contacts", "emails", email))[1] if email else None
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
