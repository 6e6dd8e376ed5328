"""``GET /api/v1/{object}/since``: since when each record has held its current value of one field.

A board shows "12 d in stage" on every card: for up to 200 records at once, the instant the field took the
value it has now — the newest ``field_history`` row of that field (the create row, the last change, a revert
or an imported past change), or the record's ``created_at`` when there is none (records written while
history was switched off, or a custom field added after the record was created and never set).

It is one SQL statement whatever the number of ids: the records in the caller's scope, each with a
correlated ``max(changed_at)`` over its own history rows (``ix_field_history_record`` starts with tenant,
object, record), so the cost follows the ids asked for, never the size of the table or of its history.

Permissions are those of reading the records: the object's read permission (403), the field must be one the
caller may read (a hidden field is "unknown", 422, exactly like a missing one, so it cannot be probed), and
record visibility (own/team/all) plus the workspace scope the ids: an id outside them is simply left out,
as a list would leave it out, which tells the caller nothing about whether it exists.

Included by ``include_record_routes`` before the generic ``/{object}/{id}`` route, which would otherwise
read ``since`` as a record id.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from kronos.kit.auth import CurrentPrincipal
from kronos.kit.deps import ReadDbSession
from kronos.kit.errors import FieldError, Forbidden, NotFound, Unauthorized, ValidationFailed, responses
from kronos.kit.records.fields import FieldSpec, FieldType, format_datetime
from kronos.kit.records.models import FieldHistory
from kronos.kit.records.objects import ObjectSchema
from kronos.kit.records.query import QueryCompiler, reject_unknown_parameters
from kronos.kit.records.service import RecordService

MAX_IDS = 200
# Fields holding one value a record sits "in": a stage, a status, an owner.
SINCE_TYPES = {FieldType.SELECT, FieldType.RELATION, FieldType.USER}
_PARAMS = {"field", "ids"}

router = APIRouter(prefix="/api/v1", tags=["records"])


class SinceItem(BaseModel):
    id: str
    value: Any = Field(description="The record's current value of the field (an option value or an id)")
    since: str = Field(description="ISO 8601 instant the record took this value")


class SinceList(BaseModel):
    items: list[SinceItem] = Field(
        description="One per requested id the caller can see, in the order asked; others are left out"
    )


def _invalid(path: str, message: str, type: str) -> ValidationFailed:
    return ValidationFailed(f"{path}: {message}", errors=[FieldError(path=path, message=message, type=type)])


def parse_ids(raw: str) -> list[uuid.UUID]:
    """Comma-separated record ids: 1 to ``MAX_IDS`` UUIDs, duplicates kept once, in the order given."""
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not parts:
        raise _invalid("query.ids", "Give at least one record id.", "missing")
    unique = list(dict.fromkeys(parts))
    if len(unique) > MAX_IDS:
        raise _invalid("query.ids", f"At most {MAX_IDS} ids per request.", "too_many")
    ids: list[uuid.UUID] = []
    for part in unique:
        try:
            ids.append(uuid.UUID(part))
        except ValueError:
            raise _invalid("query.ids", f"'{part[:40]}' is not a record id.", "invalid_id") from None
    return ids


def state_field(service: RecordService, schema: ObjectSchema, name: str) -> FieldSpec:
    """The field asked for, if the caller may read it and it holds one select, relation or user value."""
    spec = QueryCompiler(schema, service.readable(schema), service.dialect).field(name, "query.field")
    if spec.type not in SINCE_TYPES or spec.is_list:
        raise _invalid(
            "query.field",
            f"'{spec.name}' is a {spec.type.value} field; since needs a select, relation or user field "
            "holding one value.",
            "unsupported_field",
        )
    return spec


async def since(service: RecordService, object_name: str, field: str, ids: list[uuid.UUID]) -> SinceList:
    """Each visible live record among ``ids``: its current value of ``field`` and since when it holds it."""
    service.principal.require(object_name, "read")
    schema = await service.schema(object_name)
    spec = state_field(service, schema, field)
    model = schema.model
    compiler = QueryCompiler(schema, service.readable(schema), service.dialect)
    latest = (
        select(func.max(FieldHistory.changed_at))
        .where(
            FieldHistory.tenant_id == service.tenant_id,
            FieldHistory.object == schema.name,
            FieldHistory.record_id == model.id,
            FieldHistory.field == spec.name,
        )
        .correlate(model)
        .scalar_subquery()
    )
    statement = select(
        model.id,
        compiler.column(spec).label("value"),
        latest.label("changed_at"),
        model.created_at,
    ).where(
        *schema.definition.scope(service.tenant_id),
        model.deleted_at.is_(None),
        service.visibility(schema),
        model.id.in_(ids),
    )
    rows = {row.id: row for row in (await service.session.execute(statement)).all()}
    items = []
    for record_id in ids:
        row = rows.get(record_id)
        if row is None:
            continue
        value = spec.from_column(row.value) if spec.column is not None else row.value
        items.append(
            SinceItem(id=str(record_id), value=value, since=_instant(row.changed_at, row.created_at))
        )
    return SinceList(items=items)


def _instant(changed_at: datetime | None, created_at: datetime) -> str:
    return format_datetime(changed_at or created_at)


@router.get(
    "/{object:api_object}/since",
    response_model=SinceList,
    responses=responses(Unauthorized, Forbidden, NotFound, ValidationFailed),
)
async def get_since(
    object: str,
    request: Request,
    session: ReadDbSession,
    principal: CurrentPrincipal,
    field: Annotated[str, Query(description="A select, relation or user field, e.g. stage_id or status")],
    ids: Annotated[str, Query(description=f"Comma-separated record ids, at most {MAX_IDS}")],
) -> SinceList:
    """Since when each record has held its current value of ``field``: the newest change of that field in
    its history, or its creation when there is none. For "time in stage" on board cards; one query for up
    to 200 ids. Object read permission, hidden fields (422) and record visibility apply: ids the caller
    cannot see (or that do not exist, or are deleted) are left out of ``items``."""
    unknown = sorted(set(request.query_params) - _PARAMS)
    reject_unknown_parameters(unknown)
    registry = request.app.state.objects
    service = RecordService(session, registry, principal, request.app.state.db.dialect)
    await registry.definition(session, principal.tenant_id, object, version=principal.schema_version)
    return await since(service, object, field, parse_ids(ids))
