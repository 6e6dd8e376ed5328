"""Time in state and funnels, for any object and any select, relation or user field, from its stints.

A record's **stints** in a field are the stretches it held one value while alive (``field_stints``, kept by
the write path; see ``kronos.kit.records.stints`` for the definition, shared with a record's durations): a
change ends one and starts the next, deleting the record ends it, restoring it starts another, and the
current one is open and runs until now. Zero-length stints (two changes in one microsecond) are left out.
A report covers the stints **overlapping** ``[from, to)`` and measures each one whole (an open one up to the
request's instant), so a stint that began before ``from`` counts with its full length.

- **time-in-state**: per value, how many stints, their mean and median length in seconds.
- **funnel**: values in order (a select's option order; a relation's target object in its default sort —
  stages by ``position``: the CRM module declares ``default_sort="position"`` for stages, so the kit needs no
  hook into it); per step, how many records entered it (had a stint in it) and how many of those later
  entered a step further down the order that is not an exit (``reached_next``). An **exit** is a way out
  of the funnel, never progress: a select option valued ``lost``, or a relation target whose select field
  ``type`` holds ``lost`` (a deal stage of type lost) — a convention like ``default_sort``, so the kit
  needs no hook. Relation steps nobody entered are left out (a deal filter on one pipeline must not list
  the other pipelines' stages); select options are all listed.

Scope and permissions are the list's: object read permission, the caller's record visibility, live records
only, the same filter tree (on current values), hidden fields unknown (422) as the field, the group or in
the filter. Groups (``group_by``: a user, select or relation field) are taken from the records' **current**
values, e.g. today's owner, by joining the stints to the records in scope: nothing about groups is copied
into the stints, so a report never disagrees with the list. Everything is aggregated in SQL, on SQLite and
PostgreSQL; no stint is loaded into Python.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    text,
)

from kronos.kit.clock import utcnow
from kronos.kit.errors import FieldError, ValidationFailed
from kronos.kit.models import UTCDateTime
from kronos.kit.records.asof import parse_instant
from kronos.kit.records.fields import FieldSpec, FieldType
from kronos.kit.records.models import FieldStint
from kronos.kit.records.objects import ObjectSchema
from kronos.kit.records.query import QueryCompiler, parse_filters
from kronos.kit.records.service import RecordService

STATE_TYPES = {FieldType.SELECT, FieldType.RELATION, FieldType.USER}
GROUP_TYPES = {FieldType.SELECT, FieldType.RELATION, FieldType.USER, FieldType.BOOLEAN}
MAX_STEPS = 200
# Funnel exits: a select option with one of these values, or a relation target whose select field
# ``OUTCOME_FIELD`` holds one (a deal stage of type "lost").
EXIT_VALUES = frozenset({"lost"})
OUTCOME_FIELD = "type"
DEFAULT_SPAN = timedelta(days=90)


def _invalid(path: str, message: str, type: str) -> ValidationFailed:
    return ValidationFailed(f"{path}: {message}", errors=[FieldError(path=path, message=message, type=type)])


@dataclass(frozen=True, slots=True)
class Request:
    object: str
    field: str
    start: str | None = None
    end: str | None = None
    group_by: str | None = None
    filter: str | None = None


@dataclass(frozen=True, slots=True)
class Value:
    value: str
    display: str | None
    exit: bool = False  # a way out of the funnel (a lost stage), never progress


class Analytics:
    """One report over one object's field, with the caller's permissions (see the module docstring)."""

    def __init__(self, service: RecordService) -> None:
        self.service = service
        self.session = service.session
        self.dialect = service.dialect
        self.tenant_id = service.tenant_id

    # -- inputs ---------------------------------------------------------------------------------------
    async def _prepare(self, request: Request) -> tuple[ObjectSchema, FieldSpec, FieldSpec | None, Any, Any]:
        schema = await self.service.schema(request.object)
        self.service.principal.require(schema.name, "read")
        compiler = QueryCompiler(schema, self.service.readable(schema), self.dialect)
        spec = compiler.field(request.field, "query.field")
        if spec.type not in STATE_TYPES or spec.is_list:
            raise _invalid(
                "query.field",
                f"'{spec.name}' is a {spec.type.value} field; time in state needs a select, relation or user "
                "field holding one value.",
                "unsupported_field",
            )
        group = None
        if request.group_by:
            group = compiler.field(request.group_by, "query.group_by")
            if group.type not in GROUP_TYPES or group.is_list:
                raise _invalid(
                    "query.group_by",
                    f"Cannot group by {group.type.value} field '{group.name}': use a user, select, relation "
                    "or boolean field.",
                    "unsupported_field",
                )
        end = parse_instant(request.end, "query.to") if request.end else utcnow()
        start = parse_instant(request.start, "query.from") if request.start else end - DEFAULT_SPAN
        if start >= end:
            raise _invalid("query.from", "from must be before to.", "invalid_range")
        where = compiler.where(parse_filters(request.filter, {}))
        model = schema.model
        scope = select(
            model.id.label("rid"),
            (compiler.column(group) if group is not None else literal(None)).label("grp"),
        ).where(
            *schema.definition.scope(self.tenant_id),  # custom objects share a table: only this one's rows
            model.deleted_at.is_(None),
            self.service.visibility(schema),
            where,
        )
        if self.dialect == "postgresql":
            # One report hashes, sorts (medians, the funnel's window) and aggregates every stint in scope
            # (~600k for 200k deals): give this transaction the memory to do it without spilling to disk,
            # and skip JIT compilation, which costs more than it saves here. SET LOCAL ends with it.
            await self.session.execute(text("SET LOCAL work_mem = '64MB'"))
            await self.session.execute(text("SET LOCAL jit = off"))
        return schema, spec, group, scope.cte("scope"), (start, end)

    # -- SQL pieces -----------------------------------------------------------------------------------
    def _seconds(self, later: Any, earlier: Any) -> Any:
        if self.dialect == "postgresql":
            return func.extract("epoch", later - earlier)
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0

    def _stints(
        self, schema: ObjectSchema, spec: FieldSpec, scope: Any, span: tuple[datetime, datetime]
    ) -> Any:
        """(rid, grp, value, entered, seconds) of the records' stints overlapping the span, zero-length
        ones left out: one range of ``ix_field_stints_field`` joined to the records in scope."""
        start, end = span
        now = literal(utcnow(), UTCDateTime())
        stop = func.coalesce(FieldStint.left_at, now)
        return (
            select(
                scope.c.rid,
                scope.c.grp,
                FieldStint.value,
                FieldStint.entered_at.label("entered"),
                cast(self._seconds(stop, FieldStint.entered_at), Float).label("seconds"),
            )
            .select_from(FieldStint)
            .join(scope, scope.c.rid == FieldStint.record_id)
            .where(
                FieldStint.tenant_id == self.tenant_id,
                FieldStint.object == schema.name,
                FieldStint.field == spec.name,
                FieldStint.entered_at < literal(end, UTCDateTime()),
                or_(
                    FieldStint.left_at.is_(None),
                    and_(
                        FieldStint.left_at > literal(start, UTCDateTime()),
                        FieldStint.left_at > FieldStint.entered_at,
                    ),
                ),
            )
            .cte("stints")
        )

    def _statistics(self, stints: Any) -> Any:
        """Per (group, value): stints, mean and median seconds. PostgreSQL has the median built in
        (``percentile_cont(0.5)``: the mean of the two middle values for an even count); SQLite ranks."""
        if self.dialect == "postgresql":
            return select(
                stints.c.grp,
                stints.c.value,
                func.count().label("stints"),
                func.avg(stints.c.seconds).label("mean"),
                func.percentile_cont(0.5).within_group(stints.c.seconds).label("median"),
            ).group_by(stints.c.grp, stints.c.value)
        ranked = select(
            stints.c.grp,
            stints.c.value,
            stints.c.seconds,
            func.row_number()
            .over(partition_by=(stints.c.grp, stints.c.value), order_by=stints.c.seconds)
            .label("rn"),
            func.count().over(partition_by=(stints.c.grp, stints.c.value)).label("n"),
        ).cte("ranked")
        middle = or_(
            ranked.c.rn == (ranked.c.n + 1) // 2,
            ranked.c.rn == (ranked.c.n + 2) // 2,
        )
        return select(
            ranked.c.grp,
            ranked.c.value,
            func.count().label("stints"),
            func.avg(ranked.c.seconds).label("mean"),
            func.avg(case((middle, ranked.c.seconds))).label("median"),
        ).group_by(ranked.c.grp, ranked.c.value)

    # -- reports --------------------------------------------------------------------------------------
    async def time_in_state(self, request: Request) -> dict[str, Any]:
        schema, spec, group, scope, span = await self._prepare(request)
        stints = self._stints(schema, spec, scope, span)
        statement = self._statistics(stints)
        rows = (await self.session.execute(statement)).all()
        values = await self._values(schema, spec, {str(r.value) for r in rows})
        groups: dict[Any, list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(_canonical(row.grp), []).append(
                {
                    "value": str(row.value),
                    "count": int(row.stints),
                    "mean_seconds": round(float(row.mean), 3),
                    "median_seconds": round(float(row.median), 3),
                }
            )
        order = {v.value: i for i, v in enumerate(values)}
        display = {v.value: v.display for v in values}
        out = []
        for key in _group_order(groups):
            items = sorted(
                groups[key], key=lambda item: (order.get(item["value"], len(order)), item["value"])
            )
            out.append(
                {
                    "group": key,
                    "group_display": await self._display(schema, group, key),
                    "values": [{**item, "display": display.get(item["value"])} for item in items],
                }
            )
        return {"object": schema.name, "field": spec.name, "groups": out}

    async def funnel(self, request: Request) -> dict[str, Any]:
        schema, spec, group, scope, span = await self._prepare(request)
        if spec.type == FieldType.USER:
            raise _invalid(
                "query.field", f"'{spec.name}' has no order of values for a funnel.", "unsupported_field"
            )
        steps = await self._values(schema, spec, None)
        if not steps:
            return {"object": schema.name, "field": spec.name, "groups": []}
        stints = self._stints(schema, spec, scope, span)
        rank = case({step.value: i for i, step in enumerate(steps)}, value=stints.c.value)
        # Progress is a later stint in a step further down that is not an exit: moving to Lost is not
        # "reaching the next step", wherever Lost sits in the order.
        forward = {step.value: i for i, step in enumerate(steps) if not step.exit}
        progress = case(forward, value=stints.c.value) if forward else literal(None, Integer())
        ordered = (
            select(
                stints.c.rid,
                stints.c.grp,
                stints.c.value,
                rank.label("rank"),
                # A record's stints of one field never overlap, and zero-length ones are left out, so
                # their start instants are distinct: they order the record's stints.
                func.max(progress)
                .over(partition_by=stints.c.rid, order_by=stints.c.entered, rows=(1, None))
                .label("later"),
            )
            .where(rank.is_not(None))
            .cte("ordered")
        )
        per_record = (
            select(
                ordered.c.grp,
                ordered.c.value,
                ordered.c.rid,
                func.max(case((ordered.c.later > ordered.c.rank, 1), else_=0)).label("reached"),
            )
            .group_by(ordered.c.grp, ordered.c.value, ordered.c.rid)
            .cte("per_record")
        )
        statement = select(
            per_record.c.grp,
            per_record.c.value,
            func.count().label("entered"),
            func.sum(per_record.c.reached).label("reached"),
        ).group_by(per_record.c.grp, per_record.c.value)
        rows = (await self.session.execute(statement)).all()
        counts: dict[Any, dict[str, tuple[int, int]]] = {}
        for row in rows:
            counts.setdefault(_canonical(row.grp), {})[str(row.value)] = (int(row.entered), int(row.reached))
        keep_empty = spec.type == FieldType.SELECT
        out = []
        for key in _group_order(counts):
            items = []
            for step in steps:
                entered, reached = counts[key].get(step.value, (0, 0))
                if not entered and not keep_empty:
                    continue
                items.append(
                    {
                        "value": step.value,
                        "display": step.display,
                        "entered": entered,
                        "reached_next": reached,
                        "conversion_rate": round(reached / entered, 4) if entered else None,
                    }
                )
            out.append(
                {"group": key, "group_display": await self._display(schema, group, key), "steps": items}
            )
        return {"object": schema.name, "field": spec.name, "groups": out}

    # -- values and their labels ----------------------------------------------------------------------
    async def _values(self, schema: ObjectSchema, spec: FieldSpec, seen: set[str] | None) -> list[Value]:
        """The field's values in order: a select's options; a relation's target records in the target's
        default sort (all of them for a funnel, at most ``MAX_STEPS``; else those in ``seen``)."""
        if spec.type == FieldType.SELECT:
            return [Value(o.value, o.label, o.value in EXIT_VALUES) for o in spec.options]
        if spec.type == FieldType.USER:
            return [Value(v, None) for v in sorted(seen or ())]
        target_name = str(spec.settings.get("target", ""))
        target = await self.service.schema(target_name)
        # Ordering only needs the target's sort fields, whoever may read them; titles need read access.
        order = QueryCompiler(target, set(target.fields), self.dialect)
        keys = order.parse_sort(None)
        title = target.definition.title_field
        can_read = self.service.principal.permissions.can(
            target.name, "read"
        ) and title in self.service.readable(target)
        title_spec = target.fields.get(title)
        model = target.model
        columns = [model.id]
        if can_read and title_spec is not None:
            # A record the caller may not see shows its id only (the value the stints hold), not its title.
            title_column = case((self.service.visibility(target), order.column(title_spec)), else_=None)
            columns.append(title_column.label("title"))
        outcome = target.fields.get(OUTCOME_FIELD)
        if seen is None and outcome is not None and outcome.type == FieldType.SELECT:
            columns.append(order.column(outcome).in_(sorted(EXIT_VALUES)).label("exit"))
        statement = select(*columns).where(*target.definition.scope(self.tenant_id))
        if seen is not None:
            ids = [uuid.UUID(v) for v in seen if _is_uuid(v)]
            statement = statement.where(model.id.in_(ids))
        else:
            statement = statement.where(model.deleted_at.is_(None))
        rows = (
            await self.session.execute(statement.order_by(*order.order_by(keys, False)).limit(MAX_STEPS + 1))
        ).all()
        if seen is None and len(rows) > MAX_STEPS:
            raise _invalid(
                "query.field",
                f"'{spec.name}' points to more than {MAX_STEPS} records: too many steps for a funnel.",
                "too_many_values",
            )
        return [
            Value(str(row.id), getattr(row, "title", None), bool(getattr(row, "exit", False))) for row in rows
        ]

    async def _display(self, schema: ObjectSchema, group: FieldSpec | None, key: Any) -> str | None:
        if group is None or key is None:
            return None
        if group.type == FieldType.SELECT:
            return next((o.label for o in group.options if o.value == key), None)
        if group.type == FieldType.RELATION:
            values = await self._values(schema, group, {str(key)})
            return values[0].display if values else None
        return None


def _canonical(value: Any) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def _group_order(groups: dict[Any, Any]) -> list[Any]:
    return sorted(groups, key=lambda key: (key is None, str(key)))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
