"""HTTP for a record's history: the change list, time in each value, revert, erasure and history import.

``GET /api/v1/{object}/{id}?as_of=`` lives on the record route itself (``router.get_record``) and delegates
to ``history.record_as_of``. This router is included before the generic record routes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from kronos.kit.auth import CurrentPrincipal
from kronos.kit.deps import DbSession, ReadDbSession
from kronos.kit.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
    responses,
)
from kronos.kit.records import history, history_write
from kronos.kit.records.router import IfMatch, Record, Registry, _expected_version, _serialize, _service
from kronos.kit.records.write import DuplicateValue, VersionMismatch

router = APIRouter(prefix="/api/v1", tags=["history"])

_READ_ERRORS = responses(Unauthorized, Forbidden, NotFound, ValidationFailed)
_WRITE_ERRORS = responses(
    Unauthorized, Forbidden, NotFound, ValidationFailed, DuplicateValue, VersionMismatch, BadRequest
)


class Actor(BaseModel):
    type: Literal["user", "api_key", "system"]
    id: str | None = Field(description="The user's id, or the API key's id when a key made the change.")
    user_id: str | None = Field(description="The user who made the change (an API key's owner).")
    name: str | None = Field(description="The user's name; null for the system or a user no longer known.")


class HistoryItem(BaseModel):
    id: str
    change_set_id: str = Field(description="Shared by the fields changed together in one write.")
    op: str = Field(description="create, update, delete, restore, import (a past change) or erase.")
    field: str = Field(description="The field's API name; deleted_at for delete and restore.")
    field_label: str = Field(description="The field's label today; its API name if it no longer exists.")
    field_type: str | None
    old_value: Any
    new_value: Any
    old_display: str | None = Field(description="The value as people read it: labels, names, titles, money.")
    new_display: str | None
    changed_at: str
    source: str = Field(description="ui, api, import, workflow or system.")
    actor: Actor


class HistoryPage(BaseModel):
    items: list[HistoryItem]
    next_cursor: str | None = Field(description="Pass as ?after= for the next (older) page.")


class Stint(BaseModel):
    value: Any
    display: str | None
    entered_at: str
    left_at: str | None = Field(description="null for the current value (it runs to now).")
    duration_seconds: float


class Total(BaseModel):
    value: Any
    display: str | None
    total_seconds: float
    times_entered: int


class Durations(BaseModel):
    field: str
    items: list[Stint] = Field(description="Oldest first.")
    totals: list[Total] = Field(description="Per value, in the order values were first entered.")


class RevertRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: str = Field(description="ISO 8601 date-time with a time zone.")
    fields: list[str] | None = Field(
        default=None, max_length=500, description="Fields to bring back; null: every field you may change."
    )


class EraseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fields: list[str] | None = Field(
        default=None,
        max_length=500,
        description="Fields to erase; null: every text, long text, e-mail, phone and URL field.",
    )


class Erased(BaseModel):
    object: str
    id: str
    version: int
    fields: list[str]
    history_rows_updated: int
    marker: str = Field(
        description=f"What replaced the values: {history.ERASED!r} ([{history.ERASED!r}] in lists)."
    )


class PastChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: str = Field(max_length=64)
    old_value: Any = None
    new_value: Any = None
    changed_at: str = Field(description="When it happened, ISO 8601 with a time zone; not in the future.")


class ImportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    changes: list[PastChangeIn] = Field(min_length=1, max_length=history_write.MAX_IMPORT)


class Imported(BaseModel):
    imported: int


@router.get("/{object:api_object}/{id}/history", response_model=HistoryPage, responses=_READ_ERRORS)
async def record_history(
    object: str,
    id: str,
    request: Request,
    session: ReadDbSession,
    registry: Registry,
    principal: CurrentPrincipal,
    field: Annotated[str | None, Query(description="Only this field's changes")] = None,
    actor_user_id: Annotated[str | None, Query(description="Only changes by this user")] = None,
    source: Annotated[str | None, Query(description="ui, api, import, workflow or system")] = None,
    since: Annotated[str | None, Query(description="Changes at or after this instant (ISO 8601)")] = None,
    until: Annotated[str | None, Query(description="Changes at or before this instant (ISO 8601)")] = None,
    after: Annotated[str | None, Query(description="The next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Any:
    """A record's field changes, newest first (changes in one microsecond by id), one item per changed field,
    with values shown as people read them. Fields hidden from your role are left out; a record you cannot
    see is a 404. Soft-deleted records keep their history readable."""
    await registry.definition(session, principal.tenant_id, object, version=principal.schema_version)
    service = _service(request, session, registry, principal)
    query = history.HistoryQuery(field, actor_user_id, source, since, until, after, limit)
    return await history.list_history(service, history.Hooks.of(request.app.state), object, id, query)


@router.get("/{object:api_object}/{id}/durations", response_model=Durations, responses=_READ_ERRORS)
async def record_durations(
    object: str,
    id: str,
    request: Request,
    session: ReadDbSession,
    registry: Registry,
    principal: CurrentPrincipal,
    field: Annotated[str, Query(description="A single-valued select, relation or user field, e.g. stage_id")],
) -> Any:
    """Time the record spent in each value of a field: one item per stint (entered/left; the current one has
    ``left_at`` null and runs to now) and totals per value. Deleting the record ends a stint; restoring it
    starts a new one. Empty values make no stint."""
    await registry.definition(session, principal.tenant_id, object, version=principal.schema_version)
    service = _service(request, session, registry, principal)
    return await history.durations(service, history.Hooks.of(request.app.state), object, id, field)


@router.post("/{object:api_object}/{id}/revert", response_model=Record, responses=_WRITE_ERRORS)
async def revert_record(
    object: str,
    id: str,
    body: RevertRequest,
    request: Request,
    response: Response,
    session: DbSession,
    registry: Registry,
    principal: CurrentPrincipal,
    if_match: IfMatch = None,
) -> Any:
    """Bring back the values the record had at ``as_of`` (all fields you may change, or ``fields``). It is an
    ordinary update: validated, permission-checked, recorded in history with your source, and If-Match
    protected. 422 if the record did not exist at that instant."""
    await registry.definition(session, principal.tenant_id, object, version=principal.schema_version)
    service = _service(request, session, registry, principal)
    expected = _expected_version(if_match)
    result = await history_write.revert(service, object, id, body.as_of, body.fields, expected)
    return await _serialize(service, object, result, response)


@router.post("/{object:api_object}/{id}/erase", response_model=Erased, responses=_READ_ERRORS)
async def erase_record(
    object: str,
    id: str,
    request: Request,
    session: DbSession,
    registry: Registry,
    principal: CurrentPrincipal,
    body: EraseRequest | None = None,
) -> Any:
    """GDPR erasure (admins only): replaces the personal values of the record's fields — by default every
    text, long text, e-mail, phone and URL field — with ``"[erased]"`` in the record and in every history
    row (unique fields are emptied in the record). Each erased field gets a history row with op ``erase``,
    and the erasure is written to the audit log and emitted as ``<object>.erased``."""
    await registry.definition(session, principal.tenant_id, object, version=principal.schema_version)
    service = _service(request, session, registry, principal)
    fields = body.fields if body is not None else None
    return await history_write.erase(service, history.Hooks.of(request.app.state), object, id, fields)


@router.post(
    "/{object:api_object}/{id}/history/import",
    status_code=status.HTTP_201_CREATED,
    response_model=Imported,
    responses=_READ_ERRORS,
)
async def import_history(
    object: str,
    id: str,
    body: ImportRequest,
    request: Request,
    session: DbSession,
    registry: Registry,
    principal: CurrentPrincipal,
) -> Imported:
    """Add past changes from another CRM, with their original timestamps (source ``import``, op ``import``).
    Values are validated by field type; ``changed_at`` must not be in the future. They show in the history,
    in ``?as_of=`` and in durations; the record's current values do not change. All or nothing."""
    await registry.definition(session, principal.tenant_id, object, version=principal.schema_version)
    service = _service(request, session, registry, principal)
    changes = [
        history_write.PastChange(c.field, c.old_value, c.new_value, c.changed_at) for c in body.changes
    ]
    return Imported(imported=await history_write.import_changes(service, object, id, changes))
