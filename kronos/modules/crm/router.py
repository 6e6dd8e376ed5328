"""CRM routes beyond the generic ``/api/v1/{object}`` ones: lead status and lead conversion.

Included before the record engine's routes (``kronos.app``), which match any ``/api/v1/{object}/...``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from kronos.kit.auth import CurrentPrincipal
from kronos.kit.deps import DbSession
from kronos.kit.errors import BadRequest, Forbidden, NotFound, Unauthorized, ValidationFailed, responses
from kronos.kit.records import idempotency
from kronos.kit.records.router import (
    _IDEMPOTENCY_ERRORS,
    IdempotencyKeyHeader,
    IfMatch,
    Registry,
    _expected_version,
)
from kronos.kit.records.service import RecordService
from kronos.kit.records.write import DuplicateValue, VersionMismatch
from kronos.modules.crm.service import DealDraft, LeadAlreadyConverted, change_lead_status, convert_lead

router = APIRouter(prefix="/api/v1/leads", tags=["leads"])


class LeadStatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = Field(min_length=1, max_length=64, description="One of the workspace's lead status options")


class DealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=255)
    amount_minor: int | None = Field(default=None, description="Minor units (cents)")
    currency: str | None = Field(default=None, description="ISO 4217 code")
    pipeline_id: str | None = Field(default=None, description="Default: the workspace's default pipeline")
    stage_id: str | None = Field(default=None, description="Default: the pipeline's first open stage")


class LeadConvert(BaseModel):
    model_config = ConfigDict(extra="forbid")
    create_deal: DealIn | None = None
    company_name: str | None = Field(default=None, max_length=255, description="Default: the lead's")


class ConversionOut(BaseModel):
    lead: dict[str, Any]
    contact: dict[str, Any]
    company: dict[str, Any] | None
    deal: dict[str, Any] | None


def _records(request: Request, session: Any, registry: Any, principal: Any) -> RecordService:
    return RecordService(session, registry, principal, request.app.state.db.dialect)


_ERRORS = responses(Unauthorized, Forbidden, NotFound, ValidationFailed, VersionMismatch, BadRequest)


@router.patch("/{id}/status", responses=_ERRORS)
async def set_lead_status(
    id: str,
    body: LeadStatusChange,
    request: Request,
    response: Response,
    session: DbSession,
    registry: Registry,
    principal: CurrentPrincipal,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Move a lead to another status (not ``converted``: use the conversion). The same write as a PATCH of
    the status field: validation, permissions, history and the ``lead.updated`` event are identical."""
    records = _records(request, session, registry, principal)
    result = await change_lead_status(records, id, body.status, _expected_version(if_match))
    schema, shown = await records.shown_fields("leads")
    response.headers["ETag"] = f'"{result.record.version}"'
    return records.serialize(schema, result.record, shown)


@router.post(
    "/{id}/convert",
    responses={**_ERRORS, **responses(LeadAlreadyConverted, DuplicateValue, *_IDEMPOTENCY_ERRORS)},
    response_model=ConversionOut,
)
async def convert(
    id: str,
    request: Request,
    session: DbSession,
    registry: Registry,
    principal: CurrentPrincipal,
    body: LeadConvert | None = None,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Any:
    """Convert a lead in one transaction: a contact (the existing one with the lead's e-mail, else a new one),
    a company (matched by the e-mail's domain or the company name, else created), optionally a deal, all
    linked; the lead becomes ``converted`` with its ``converted_*`` ids. Every record touched gets its
    history and event. Needs create permission on whatever it creates; 409 if the lead is converted."""
    body = body or LeadConvert()
    payload = body.model_dump(mode="json")
    claim = await idempotency.claim(session, principal, idempotency_key, f"POST {request.url.path}", payload)
    if not isinstance(claim, idempotency.Claim):
        return claim  # a retry: the first response, and nothing converted twice
    records = _records(request, session, registry, principal)
    draft = DealDraft(**body.create_deal.model_dump()) if body.create_deal else None
    conversion = await convert_lead(
        records, id, deal=draft, company_name=body.company_name, expected=_expected_version(if_match)
    )
    schema, shown = await records.shown_fields("leads")
    out = ConversionOut(
        lead=records.serialize(schema, conversion.lead.record, shown),
        contact=conversion.contact,
        company=conversion.company,
        deal=conversion.deal,
    ).model_dump(mode="json")
    await claim.store(200, out)
    return out
