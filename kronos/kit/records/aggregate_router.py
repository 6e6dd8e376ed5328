"""HTTP for aggregates: ``GET /api/v1/{object}/aggregate`` (see ``aggregate.py`` for what it computes).

Included by ``include_record_routes`` before the generic records router, whose ``/{object}/{id}`` would
otherwise take ``/deals/aggregate`` for a read of the deal with id "aggregate".
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from kronos.kit.auth import CurrentPrincipal
from kronos.kit.deps import ReadDbSession
from kronos.kit.errors import FieldError, Forbidden, NotFound, Unauthorized, ValidationFailed, responses
from kronos.kit.records.aggregate import AggregateRequest, Aggregator
from kronos.kit.records.service import RecordService

router = APIRouter(prefix="/api/v1", tags=["records"])
_ERRORS = responses(Unauthorized, Forbidden, NotFound, ValidationFailed)
_PARAMS = {"group_by", "metrics", "filter"}
_CONDITION = re.compile(r"^[a-z][a-z0-9_]{0,62}\[[a-z_]+\]$")
_BRACKETED = re.compile(r"^[^\[\]]+\[[^\[\]]*\]$")

_METRICS_DOC = (
    'Each metric is a key of the group: "count" (an integer), "sum:<field>" / "avg:<field>" / '
    '"min:<field>" / "max:<field>" (a number, an ISO date or date-time for min/max of dates, or '
    'for a currency field a list [{"currency": "EUR", "amount_minor": 1250000}], one item per currency).'
)


class AggregateGroup(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"description": _METRICS_DOC})

    key: dict[str, str | bool | None] = Field(
        description="The group's value per group_by field: an option value, id, text, boolean, the ISO date "
        "of a date bucket's start, or null for records without a value."
    )
    count: int


class AggregateTotals(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"description": _METRICS_DOC})

    count: int


class AggregateResult(BaseModel):
    groups: list[AggregateGroup] = Field(description="In key order, empty values last; [] without group_by.")
    totals: AggregateTotals = Field(description="Every record in scope, each counted once.")


def _check_params(request: Request) -> dict[str, str]:
    """The ``<field>[<op>]`` filters of the query string; 422 for any parameter the route does not take."""
    unknown = [k for k in request.query_params if k not in _PARAMS and not _BRACKETED.match(k)]
    malformed = [k for k in request.query_params if _BRACKETED.match(k) and not _CONDITION.match(k)]
    if unknown or malformed:
        errors = [
            FieldError(path=f"query.{k[:40]}", message="Unknown parameter.", type="unknown_parameter")
            for k in unknown
        ] + [
            FieldError(path=f"query.{k[:40]}", message="Expected <field>[<operator>].", type="invalid_filter")
            for k in malformed
        ]
        raise ValidationFailed(
            f"Unknown or malformed query parameter(s): {', '.join(k[:40] for k in unknown + malformed)}.",
            errors=errors,
        )
    return {k: v for k, v in request.query_params.items() if _CONDITION.match(k)}


@router.get("/{object:api_object}/aggregate", response_model=AggregateResult, responses=_ERRORS)
async def aggregate_records(
    object: str,
    request: Request,
    session: ReadDbSession,
    principal: CurrentPrincipal,
    group_by: Annotated[
        str | None,
        Query(
            description="Up to 2 comma-separated fields; date/datetime fields take a bucket: "
            "closed_at:month (day, week, month, quarter, year; UTC). Omit for totals only."
        ),
    ] = None,
    metrics: Annotated[
        str | None,
        Query(description="Comma-separated: count, sum:<field>, avg:<field>, min:<field>, max:<field>"),
    ] = None,
    filter: Annotated[
        str | None,
        Query(description="JSON filter tree, as for the list: {field, op, value} / {and|or: [...]}"),
    ] = None,
) -> Any:
    """Count records and sum, average, or take the minimum and maximum of their fields, grouped by up to two
    fields, e.g. ``/api/v1/deals/aggregate?group_by=stage_id&metrics=count,sum:amount&outcome[is_null]=true``.
    Filters are the list's (``filter`` and ``<field>[<op>]=<value>``). Select, multi-select, user, relation,
    boolean and text fields group by value (null is a group; a list field puts a record in each of its
    values' groups); date and datetime fields by a bucket whose key is the ISO date of its start. Currency
    metrics come per currency. ``count`` is always returned. The records counted are those the caller may
    list: object read permission, record visibility; hidden fields are unknown fields (422). More than 1,000
    groups is a 422 (``too_many_groups``)."""
    conditions = _check_params(request)
    registry = request.app.state.objects
    service = RecordService(session, registry, principal, request.app.state.db.dialect)
    await registry.definition(session, principal.tenant_id, object, version=principal.schema_version)
    query = AggregateRequest(object, group_by, metrics, filter, conditions)
    return await Aggregator(service).run(query)
