"""Aggregates over any object's records — counts, sums, averages, minimums, maximums — grouped by up to two
fields, computed by the database (``GROUP BY``), never by loading rows into Python.

``group_by`` fields: select, multi-select, user, relation (one or many), boolean and short text fields group
by value; date and datetime fields by a bucket (``day``, ``week`` — ISO, starting Monday —, ``month``,
``quarter``, ``year``; ``day`` by default), whose key is the ISO date of the bucket's start, in UTC. Empty
values are a group of their own (key ``null``). A list field (multi-select, a many-relation) puts a record in
the group of each of its values, so those groups overlap; totals count every record once.

Metrics: ``count`` (always returned), ``sum|avg|min|max:<field>`` over number-like fields, ``min|max`` over
date/datetime fields, and all four over currency fields, per currency (a list of
``{"currency", "amount_minor"}``, never adding up amounts in different currencies).

Scope and permissions are the list's: object read permission, live records inside the caller's record
visibility, the same filters (``QueryCompiler``), and hidden fields reported exactly like unknown ones (422),
wherever they appear. On PostgreSQL, row-level security holds the tenant again underneath.

Why a subquery: every expression (JSON paths, bucket units) is computed once in an inner ``SELECT`` and the
outer one groups by its columns. Grouping by the expressions themselves fails on PostgreSQL, which sees
``custom -> $1`` in the select list and ``custom -> $2`` in GROUP BY as different expressions.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    TIMESTAMP,
    BigInteger,
    Date,
    String,
    case,
    cast,
    func,
    literal_column,
    select,
    true,
)

from kronos.kit.errors import FieldError, ValidationFailed
from kronos.kit.records import sensitive
from kronos.kit.records.fields import NUMBER_KINDS, FieldSpec, FieldType, format_datetime
from kronos.kit.records.objects import ObjectSchema
from kronos.kit.records.query import QueryCompiler, parse_filters
from kronos.kit.records.service import RecordService

BUCKETS = ("day", "week", "month", "quarter", "year")
DATED = {FieldType.DATE, FieldType.DATETIME}
# Fields whose values make groups a person can read: choices, people, records, yes/no, short text.
VALUE_GROUPS = {
    FieldType.SELECT,
    FieldType.MULTI_SELECT,
    FieldType.USER,
    FieldType.RELATION,
    FieldType.BOOLEAN,
    FieldType.TEXT,
    FieldType.EMAIL,
    FieldType.PHONE,
    FieldType.URL,
}
AGGREGATES = ("sum", "avg", "min", "max")
MAX_GROUP_FIELDS = 2
MAX_METRICS = 12
# A chart or a board column never needs more; past it the caller should filter or pick a coarser bucket.
MAX_GROUPS = 1000


def _invalid(path: str, message: str, type: str) -> ValidationFailed:
    return ValidationFailed(f"{path}: {message}", errors=[FieldError(path=path, message=message, type=type)])


@dataclass(frozen=True, slots=True)
class AggregateRequest:
    object: str
    group_by: str | None = None
    metrics: str | None = None
    filter: str | None = None
    conditions: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class GroupField:
    spec: FieldSpec
    bucket: str | None  # set for date/datetime fields only


@dataclass(frozen=True, slots=True)
class Metric:
    kind: str  # sum | avg | min | max
    spec: FieldSpec

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.spec.name}"

    @property
    def money(self) -> bool:
        return self.spec.type == FieldType.CURRENCY


class Aggregator:
    """One aggregate over one object, with the caller's permissions (see the module docstring)."""

    def __init__(self, service: RecordService) -> None:
        self.service = service
        self.session = service.session
        self.dialect = service.dialect

    # -- parsing --------------------------------------------------------------------------------------
    def parse_groups(self, compiler: QueryCompiler, raw: str | None) -> list[GroupField]:
        if not raw or not raw.strip():
            return []
        parts = [part.strip() for part in raw.split(",")]
        if len(parts) > MAX_GROUP_FIELDS or not all(parts):
            raise _invalid(
                "query.group_by",
                f"Give one or {MAX_GROUP_FIELDS} fields, comma-separated.",
                "invalid_group_by",
            )
        groups: list[GroupField] = []
        for part in parts:
            name, _, bucket = part.partition(":")
            spec = compiler.field(name, "query.group_by")
            if spec.sensitive:
                raise sensitive.refused(spec, "query.group_by", "grouped by")
            if any(group.spec.name == spec.name for group in groups):
                raise _invalid("query.group_by", f"'{spec.name}' appears twice.", "invalid_group_by")
            groups.append(GroupField(spec, self._bucket(spec, bucket, part)))
        return groups

    def _bucket(self, spec: FieldSpec, bucket: str, part: str) -> str | None:
        if spec.type in DATED:
            if bucket and bucket not in BUCKETS:
                raise _invalid(
                    "query.group_by",
                    f"Unknown bucket '{bucket[:20]}' for '{spec.name}': use one of {', '.join(BUCKETS)}.",
                    "invalid_bucket",
                )
            return bucket or "day"
        if spec.type not in VALUE_GROUPS:
            raise _invalid(
                "query.group_by",
                f"Cannot group by {spec.type.value} field '{spec.name}': use a select, user, relation, "
                "boolean, text, date or datetime field.",
                "unsupported_field",
            )
        if bucket or ":" in part:
            raise _invalid(
                "query.group_by", f"'{spec.name}' is not a date: it takes no bucket.", "invalid_bucket"
            )
        return None

    def parse_metrics(self, compiler: QueryCompiler, raw: str | None) -> list[Metric]:
        parts = [part.strip() for part in (raw or "count").split(",")]
        if len(parts) > MAX_METRICS or not all(parts):
            raise _invalid(
                "query.metrics", f"Give at most {MAX_METRICS} metrics, comma-separated.", "invalid_metric"
            )
        metrics: list[Metric] = []
        seen: set[str] = set()
        for part in parts:
            if part in seen:
                raise _invalid("query.metrics", f"'{part[:70]}' appears twice.", "invalid_metric")
            seen.add(part)
            if part == "count":
                continue  # always returned
            kind, _, name = part.partition(":")
            if kind not in AGGREGATES or not name:
                raise _invalid(
                    "query.metrics",
                    f"Unknown metric '{part[:70]}': use count, sum:<field>, avg:<field>, min:<field> or "
                    "max:<field>.",
                    "invalid_metric",
                )
            spec = compiler.field(name, "query.metrics")
            metrics.append(self._metric(kind, spec))
        return metrics

    def _metric(self, kind: str, spec: FieldSpec) -> Metric:
        numeric = spec.type in NUMBER_KINDS or spec.type == FieldType.CURRENCY
        ordered = numeric or spec.type in DATED
        if spec.is_list or not (numeric if kind in ("sum", "avg") else ordered):
            takes = "number or currency" if kind in ("sum", "avg") else "number, currency, date or datetime"
            raise _invalid(
                "query.metrics",
                f"{kind} needs a {takes} field; '{spec.name}' is a {spec.type.value} field.",
                "unsupported_field",
            )
        return Metric(kind, spec)

    # -- SQL ------------------------------------------------------------------------------------------
    async def run(self, request: AggregateRequest) -> dict[str, Any]:
        schema = await self.service.schema(request.object)
        self.service.principal.require(schema.name, "read")
        compiler = QueryCompiler(schema, self.service.readable(schema), self.dialect)
        groups = self.parse_groups(compiler, request.group_by)
        metrics = self.parse_metrics(compiler, request.metrics)
        where = compiler.where(parse_filters(request.filter, request.conditions or {}))
        scope = _Scope(self, schema, compiler, where, metrics)
        out_groups: list[dict[str, Any]] = []
        if groups:  # first: too many groups is a 422 before the totals cost anything
            by_key = await self._compute(scope, groups)
            for key, values in by_key.items():
                named = {group.spec.name: value for group, value in zip(groups, key, strict=True)}
                out_groups.append({"key": named, **values})
        # Totals are their own query: a list field's groups overlap, so they do not add up to them.
        totals = (await self._compute(scope, []))[()]
        return {"groups": out_groups, "totals": totals}

    async def _compute(
        self, scope: _Scope, groups: list[GroupField]
    ) -> dict[tuple[Any, ...], dict[str, Any]]:
        """Count and metrics per group key (one key, ``()``, without groups), in key order, nulls last."""
        inner = scope.inner(groups)
        keys = [inner.c[f"k{i}"] for i in range(len(groups))]
        scalar = [(i, m) for i, m in enumerate(scope.metrics) if not m.money]
        columns = [
            *keys,
            func.count().label("n"),
            *(getattr(func, m.kind)(inner.c[f"v{i}"]).label(f"m{i}") for i, m in scalar),
        ]
        order = [part for key in keys for part in (key.is_(None), key)]
        statement = select(*columns).select_from(inner).group_by(*keys).order_by(*order).limit(MAX_GROUPS + 1)
        rows = (await self.session.execute(statement)).all()
        if len(rows) > MAX_GROUPS:
            raise _invalid(
                "query.group_by",
                f"More than {MAX_GROUPS} groups: filter the records or use a coarser bucket.",
                "too_many_groups",
            )
        result: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in rows:
            key = tuple(_key_value(row[i]) for i in range(len(groups)))
            values: dict[str, Any] = {"count": int(row.n)}
            for i, metric in scalar:
                values[metric.name] = _scalar_value(metric, row._mapping[f"m{i}"])
            for metric in scope.metrics:
                if metric.money:
                    values[metric.name] = []
            result[key] = values
        await self._add_money(scope, inner, keys, result)
        return result

    async def _add_money(
        self, scope: _Scope, inner: Any, keys: list[Any], result: dict[tuple[Any, ...], dict[str, Any]]
    ) -> None:
        """Currency metrics: one query per currency field, grouped by the keys and the currency code."""
        for field_name, indexes in scope.money_fields().items():
            code, amount = inner.c[f"c_{field_name}"], inner.c[f"a_{field_name}"]
            columns = [
                *keys,
                code.label("code"),
                *(getattr(func, scope.metrics[i].kind)(amount).label(f"m{i}") for i in indexes),
            ]
            statement = (
                select(*columns)
                .select_from(inner)
                .where(amount.is_not(None))
                .group_by(*keys, code)
                .order_by(code)
            )
            for row in (await self.session.execute(statement)).all():
                key = tuple(_key_value(row[i]) for i in range(len(keys)))
                values = result.get(key)
                if values is None:  # cannot happen: the same rows make the groups; a guard, not a path
                    continue
                for i in indexes:
                    metric = scope.metrics[i]
                    amount_minor = _money_amount(metric, row._mapping[f"m{i}"])
                    values[metric.name].append(
                        {"currency": str(row.code).strip(), "amount_minor": amount_minor}
                    )

    # -- expressions ----------------------------------------------------------------------------------
    def key_expression(self, compiler: QueryCompiler, group: GroupField) -> Any:
        spec = group.spec
        column = compiler.column(spec)
        if group.bucket is not None:
            return self.bucket(spec, column, group.bucket)
        return column

    def bucket(self, spec: FieldSpec, column: Any, bucket: str) -> Any:
        """The ISO date of the start of the bucket ``column`` falls in, in UTC."""
        if self.dialect == "postgresql":
            unit: Any = literal_column(f"'{bucket}'")  # one of BUCKETS: never caller text
            local: Any
            if spec.type == FieldType.DATETIME:
                instant = column if spec.column is not None else cast(column, TIMESTAMP(timezone=True))
                local = func.timezone(literal_column("'UTC'"), instant)
            else:
                local = cast(column if spec.column is not None else cast(column, Date), TIMESTAMP())
            return cast(func.date_trunc(unit, local), Date)
        # SQLite keeps dates and datetimes as ISO text ("2026-03-02", "2026-03-02 09:00:00.000000", a custom
        # field's "2026-03-02T09:00:00.000000Z"), which its date functions read as UTC.
        if bucket == "day":
            return func.date(column)
        if bucket == "week":
            return func.date(column, "-6 days", "weekday 1")  # back to the Monday on or before
        if bucket == "month":
            return func.strftime("%Y-%m-01", column)
        if bucket == "year":
            return func.strftime("%Y-01-01", column)
        month = cast(func.strftime("%m", column), BigInteger)
        # Back to the quarter's first month; date() of an empty value stays empty (printf would not).
        return func.date(column, "start of month", func.printf("-%d months", (month - 1) % 3))

    def value_expression(self, compiler: QueryCompiler, spec: FieldSpec) -> Any:
        if spec.type in DATED and spec.column is None:
            return compiler.model.custom[spec.name].as_string()  # canonical ISO text orders like time
        return compiler.column(spec)

    def money_expressions(self, compiler: QueryCompiler, spec: FieldSpec) -> tuple[Any, Any]:
        """(currency code, amount in minor units) of a currency field, standard or custom."""
        model = compiler.model
        if spec.currency_column is not None:
            return getattr(model, spec.currency_column), compiler.column(spec)
        amount = cast(model.custom[(spec.name, "amount_minor")].as_string(), BigInteger)
        code = cast(model.custom[(spec.name, "currency")].as_string(), String)
        return code, amount

    def elements(self, compiler: QueryCompiler, spec: FieldSpec) -> Any:
        """A list field's values as a table joined to each record (one row per value): the records'
        values are the groups, and a record without any still has its null row."""
        model = compiler.model
        if self.dialect == "postgresql":
            column = getattr(model, spec.column) if spec.column is not None else model.custom[spec.name]
            as_array = case((func.jsonb_typeof(column) == "array", column))
            return func.jsonb_array_elements_text(as_array).table_valued("value").lateral()
        if spec.column is not None:
            return func.json_each(getattr(model, spec.column)).table_valued("value")
        path = f'$."{spec.name}"'  # spec.name matched API_NAME: no quotes or dots can appear
        return func.json_each(model.custom, path).table_valued("value")


class _Scope:
    """The records in scope (tenant, live, visible, filtered) and the per-row values the metrics read."""

    def __init__(
        self,
        aggregator: Aggregator,
        schema: ObjectSchema,
        compiler: QueryCompiler,
        where: Any,
        metrics: list[Metric],
    ) -> None:
        self.aggregator = aggregator
        self.schema = schema
        self.compiler = compiler
        self.where = where
        self.metrics = metrics

    def money_fields(self) -> dict[str, list[int]]:
        fields: dict[str, list[int]] = {}
        for i, metric in enumerate(self.metrics):
            if metric.money:
                fields.setdefault(metric.spec.name, []).append(i)
        return fields

    def inner(self, groups: list[GroupField]) -> Any:
        model = self.schema.model
        aggregator = self.aggregator
        columns: list[Any] = []
        source: Any = model.__table__
        for i, group in enumerate(groups):
            if group.spec.is_list:
                each = aggregator.elements(self.compiler, group.spec)
                source = source.outerjoin(each, true())
                columns.append(cast(each.c.value, String).label(f"k{i}"))
            else:
                columns.append(aggregator.key_expression(self.compiler, group).label(f"k{i}"))
        for i, metric in enumerate(self.metrics):
            if not metric.money:
                columns.append(aggregator.value_expression(self.compiler, metric.spec).label(f"v{i}"))
        for name in self.money_fields():
            code, amount = aggregator.money_expressions(self.compiler, self.schema.fields[name])
            columns.extend([code.label(f"c_{name}"), amount.label(f"a_{name}")])
        if not columns:
            columns.append(model.id.label("rid"))
        return (
            select(*columns)
            .select_from(source)
            .where(
                *self.schema.definition.scope(aggregator.service.tenant_id),
                model.deleted_at.is_(None),
                aggregator.service.visibility(self.schema),
                self.where,
            )
            .subquery("scoped")
        )


def _key_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def _number(value: Any) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, int | float):
        return value
    return float(value)


def _scalar_value(metric: Metric, value: Any) -> Any:
    if metric.spec.type in DATED:
        if isinstance(value, datetime):
            return format_datetime(value)
        if isinstance(value, date):
            return value.isoformat()
        return value
    number = _number(value)
    if metric.kind == "sum" and number is None:
        return 0  # the sum of nothing
    if metric.kind == "avg" and number is not None:
        return round(float(number), 6)
    return number


def _money_amount(metric: Metric, value: Any) -> int:
    number = _number(value) or 0
    # An average of minor units is rounded to a whole minor unit, like every amount the API returns.
    return round(number) if metric.kind == "avg" else int(number)
