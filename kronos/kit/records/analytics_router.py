"""HTTP for the history analytics: time in state and funnels over any object's select/relation/user field.

"analytics" is a reserved segment (``kronos.kit.records.paths``): the generic ``/api/v1/{object}`` routes,
matched first, leave ``/api/v1/analytics/...`` to these.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from kronos.kit.auth import CurrentPrincipal
from kronos.kit.deps import ReadDbSession
from kronos.kit.errors import Forbidden, NotFound, Unauthorized, ValidationFailed, responses
from kronos.kit.records.analytics import Analytics
from kronos.kit.records.analytics import Request as Report
from kronos.kit.records.query import reject_unknown_parameters
from kronos.kit.records.service import RecordService

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])
_ERRORS = responses(Unauthorized, Forbidden, NotFound, ValidationFailed)
_PARAMS = {"object", "field", "from", "to", "group_by", "filter"}


class StateValue(BaseModel):
    value: str = Field(description="The field's value (an option value, a record id or a user id)")
    display: str | None = Field(description="Its label: the option's label or the related record's title")
    count: int = Field(description="Stints in this value overlapping [from, to)")
    mean_seconds: float
    median_seconds: float


class StateGroup(BaseModel):
    group: str | bool | None = Field(description="The group's current value; null without group_by")
    group_display: str | None
    values: list[StateValue]


class TimeInState(BaseModel):
    object: str
    field: str
    groups: list[StateGroup]


class FunnelStep(BaseModel):
    value: str
    display: str | None
    entered: int = Field(description="Records with a stint in this step overlapping [from, to)")
    reached_next: int = Field(
        description="Of those, records that later entered a step further down that is not an exit (a lost "
        "stage, a select option valued lost): moving to Lost is no progress"
    )
    conversion_rate: float | None = Field(description="reached_next / entered; null when nobody entered")


class FunnelGroup(BaseModel):
    group: str | bool | None
    group_display: str | None
    steps: list[FunnelStep]


class Funnel(BaseModel):
    object: str
    field: str
    groups: list[FunnelGroup]


ObjectName = Annotated[str, Query(description="The object's API name, e.g. deals or leads")]
FieldName = Annotated[str, Query(description="A select, relation or user field, e.g. stage_id or status")]
From = Annotated[
    str | None, Query(alias="from", description="ISO 8601 instant; default: 90 days before `to`")
]
To = Annotated[str | None, Query(description="ISO 8601 instant (exclusive); default: now")]
GroupBy = Annotated[
    str | None,
    Query(description="A user, select, relation or boolean field (its current value), e.g. owner_id"),
]
Filter = Annotated[
    str | None,
    Query(description="The list filter tree (JSON), on current values, e.g. a pipeline_id eq condition"),
]


def _analytics(request: Request, session: ReadDbSession, principal: CurrentPrincipal) -> Analytics:
    unknown = sorted(set(request.query_params) - _PARAMS)
    reject_unknown_parameters(unknown)
    registry = request.app.state.objects
    return Analytics(RecordService(session, registry, principal, request.app.state.db.dialect))


@router.get("/time-in-state", response_model=TimeInState, responses=_ERRORS)
async def time_in_state(
    request: Request,
    session: ReadDbSession,
    principal: CurrentPrincipal,
    object: ObjectName,
    field: FieldName,
    from_: From = None,
    to: To = None,
    group_by: GroupBy = None,
    filter: Filter = None,
) -> dict[str, object]:
    """How long records stay in each value of a field — deal stages (filter one pipeline with
    ``{"field": "pipeline_id", "op": "eq", "value": "<id>"}``), lead statuses, ticket states — from their
    history: per value, the number of stints overlapping ``[from, to)`` and their mean and median length in
    seconds (whole stints; open ones up to now; deleting a record ends its stint, restoring it starts
    another, as in the record's durations). Optionally per group (``group_by``, e.g. ``owner_id``).
    Respects object read permission, hidden fields and record visibility; deleted records are left out."""
    report = Report(object, field, from_, to, group_by, filter)
    return await _analytics(request, session, principal).time_in_state(report)


@router.get("/funnel", response_model=Funnel, responses=_ERRORS)
async def funnel(
    request: Request,
    session: ReadDbSession,
    principal: CurrentPrincipal,
    object: ObjectName,
    field: FieldName,
    from_: From = None,
    to: To = None,
    group_by: GroupBy = None,
    filter: Filter = None,
) -> dict[str, object]:
    """A funnel over a field's ordered values (select options in their order; relation targets in the
    target's default order, e.g. stages by position): per step, how many records entered it during
    ``[from, to)`` and how many of those later entered a step further down — an open or won one: entering
    an exit (a lost stage, a select option valued ``lost``) is not progress — and the conversion rate."""
    report = Report(object, field, from_, to, group_by, filter)
    return await _analytics(request, session, principal).funnel(report)
