"""Lists evaluated at a past instant: ``GET /api/v1/{object}?as_of=<ts>`` ("deals in Negotiation on 1 March").

What a record looked like at ``ts`` is read from ``field_history`` (one row per changed field, written by the
one write path). History may be **partial**: a record loaded in bulk has no rows at all, one loaded before
history existed (or whose history was imported without its create) has update rows but no create row, an
import can bring a past that starts before the create. One rule covers them all; ``GET /{object}/{id}?as_of=``
(``history.reconstruct``) applies exactly the same one, so a record reads the same alone and in a list:

- A field's **value** at ``ts`` (``deleted_at`` included) is (1) the ``new_value`` of its newest row with
  ``changed_at <= ts`` (``id`` breaks ties inside one microsecond: ids are UUIDv7, increasing); else (2) what
  its oldest later row says it held before: that row's ``old_value`` — or its ``new_value`` if that row is the
  create, the value the record arrived with (an imported past can precede the create; the create's own
  ``old_value`` is "not here yet", not a value); else (3) its **current** value: no row says it ever changed.
  For complete history (a create row, every change since recorded) (2) and (3) give empty, as before: a field
  the create did not set has ``old_value`` null on its first change, and a field never written is empty now.
- It **existed** at ``ts`` if it was created at or before ``ts`` (``created_at``), or has a history row at or
  before ``ts`` (an imported past older than its creation here), and it was **not deleted** then: its
  ``deleted_at`` at ``ts`` (by the rule above) is empty or later than ``ts`` (a deletion that left no row is
  dated by its own value, e.g. a restore row's ``old_value``).
- ``created_at`` is the record's: it never changes.
- ``updated_at`` is the latest of: its history rows at or before ``ts`` (imported ones included), its
  ``created_at`` and its current ``updated_at``, the last two if at or before ``ts``.
- ``version`` counts the write change sets (create, update, delete, restore, erase — not imported past
  changes, which never bump the version) at or before ``ts``, plus one if none of them is the create (the
  record was created by something that wrote no row, or after an imported past); and once ``ts`` reaches its
  current ``updated_at``, at least its current version (writes that left no row still counted). A record
  with no history rows at all therefore reads as its current values since ``created_at``, until its
  ``deleted_at``, with version 1 until its ``updated_at`` and its current version from then on.

Filters, sorts and keyset cursors are the list's own (``QueryCompiler``), compiled over these past values:
``AsOfCompiler`` swaps each field's column for correlated scalar subqueries on ``ix_field_history_record``
(tenant, object, record, changed_at desc, id desc) — index probes per row and field (the rule's later steps
only when the earlier ones find no row), on SQLite and PostgreSQL alike. Permissions are the list's: object
read, hidden fields unknown, and record visibility, which is decided by the record's **current** owner
(visibility is an access rule of today, not a fact of the past: a record handed to someone else since ``ts``
is theirs to see, also in the past, and no longer its former owner's; the reasons are in ``history``'s
docstring).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Float,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB

from kronos.kit.errors import FieldError, ValidationFailed
from kronos.kit.models import UTCDateTime
from kronos.kit.records.fields import NUMBER_KINDS, FieldInvalid, FieldSpec, FieldType, format_datetime
from kronos.kit.records.models import FieldHistory
from kronos.kit.records.objects import ObjectSchema
from kronos.kit.records.query import QueryCompiler, decode_cursor, encode_cursor, parse_filters
from kronos.kit.records.service import MAX_LIMIT, ListParams, Page, RecordService
from kronos.kit.records.write import read_value

_AS_OF = FieldSpec("as_of", "As of", FieldType.DATETIME)
DELETED_AT = "deleted_at"
# Change sets that are versions of the record (each bumps ``version``); ``import`` rows are another CRM's
# past and ``purge`` removes the row.
WRITE_OPS = ("create", "update", "delete", "restore", "erase")


def parse_instant(raw: str, path: str = "query.as_of") -> datetime:
    """An ISO 8601 date-time with a time zone (a bare date means its midnight, UTC), or a 422."""
    text = raw.strip()
    if text and "T" not in text and len(text) == 10:
        text = f"{text}T00:00:00Z"
    try:
        canonical = _AS_OF.validate(text)
    except FieldInvalid as exc:
        raise ValidationFailed(
            f"{path}: {exc.message}", errors=[FieldError(path=path, message=exc.message, type=exc.type)]
        ) from None
    except OverflowError:  # an offset pushing year 1 or 9999 off the calendar when turned to UTC
        message = "Year out of range."
        raise ValidationFailed(
            f"{path}: {message}", errors=[FieldError(path=path, message=message, type="datetime_parsing")]
        ) from None
    if canonical is None:
        message = "Give an ISO 8601 date-time such as 2026-03-01T00:00:00Z."
        raise ValidationFailed(
            f"{path}: {message}", errors=[FieldError(path=path, message=message, type="datetime_parsing")]
        )
    return datetime.fromisoformat(canonical.replace("Z", "+00:00"))


class _PastModel:
    """Stands in for the model inside ``QueryCompiler``: the currency column of a standard currency field
    (used by amount filters with a currency) is its past value; every other attribute is the real one."""

    def __init__(self, model: Any, currencies: dict[str, ColumnElement[Any]]) -> None:
        self._model = model
        self._currencies = currencies

    def __getattr__(self, name: str) -> Any:
        if name in self._currencies:
            return self._currencies[name]
        return getattr(self._model, name)


class AsOfCompiler(QueryCompiler):
    """``QueryCompiler`` over the values fields had at ``at``: the same filters, sorts and cursors."""

    def __init__(
        self, schema: ObjectSchema, readable: set[str], dialect: str, tenant_id: uuid.UUID, at: datetime
    ) -> None:
        super().__init__(schema, readable, dialect)
        self.real = schema.model
        self.tenant_id = tenant_id
        self.at = at
        currencies = {
            spec.currency_column: self._past_currency(spec)
            for spec in schema.fields.values()
            if spec.currency_column is not None
        }
        self.model = _PastModel(self.real, currencies)

    # -- history subqueries -----------------------------------------------------------------------------
    def _rows(self, *where: Any) -> Any:
        return and_(
            FieldHistory.tenant_id == self.tenant_id,
            FieldHistory.object == self.schema.name,
            FieldHistory.record_id == self.real.id,
            *where,
        )

    def _latest(self, field: str, value: Any) -> Any:
        """``value`` (an expression over the row) of the newest row of ``field`` at or before ``at``."""
        return (
            select(value)
            .where(self._rows(FieldHistory.field == field, FieldHistory.changed_at <= self.at))
            .order_by(FieldHistory.changed_at.desc(), FieldHistory.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    def _next(self, field: str, value: Any) -> Any:
        """``value`` of the oldest row of ``field`` after ``at``."""
        return (
            select(value)
            .where(self._rows(FieldHistory.field == field, FieldHistory.changed_at > self.at))
            .order_by(FieldHistory.changed_at.asc(), FieldHistory.id.asc())
            .limit(1)
            .scalar_subquery()
        )

    def _any(self, field: str, *, later: bool) -> ColumnElement[bool]:
        when = FieldHistory.changed_at > self.at if later else FieldHistory.changed_at <= self.at
        return exists(select(literal(1)).where(self._rows(FieldHistory.field == field, when)))

    def _past(self, field: str, typed: Callable[[Any], Any], current: Any) -> Any:
        """The module docstring's rule for one field, as ``typed`` (a stored JSON value -> SQL) sees it:
        the newest row at or before ``at``, else what the oldest later row says it held, else ``current``."""
        held = case((FieldHistory.op == "create", FieldHistory.new_value), else_=FieldHistory.old_value)
        return case(
            (self._any(field, later=False), self._latest(field, typed(FieldHistory.new_value))),
            (self._any(field, later=True), self._next(field, typed(held))),
            else_=current,
        )

    def existed(self) -> ColumnElement[bool]:
        """Created (or with a history row) at or before ``at``, and not deleted then."""
        created = or_(
            self.real.created_at <= self.at,
            exists(select(literal(1)).where(self._rows(FieldHistory.changed_at <= self.at))),
        )
        # A delete row's new_value is its own instant (<= at); a later restore's old_value may say a
        # deletion that left no row happened after ``at``.
        undeleted_after = self._next(DELETED_AT, self._text(FieldHistory.old_value)) > literal(
            format_datetime(self.at)
        )
        alive = case(
            (self._any(DELETED_AT, later=False), self._latest(DELETED_AT, FieldHistory.new_value).is_(None)),
            (self._any(DELETED_AT, later=True), func.coalesce(undeleted_after, true())),
            else_=or_(self.real.deleted_at.is_(None), self.real.deleted_at > self.at),
        )
        return and_(created, alive)

    def _text(self, json_value: Any) -> Any:
        """A JSON scalar as SQL text (strings unquoted), or the SQL number/boolean on SQLite."""
        if self.dialect == "postgresql":
            return json_value.op("#>>")(literal_column("'{}'"))
        return func.json_extract(json_value, "$")

    def _key(self, json_value: Any, key: str) -> Any:
        if self.dialect == "postgresql":
            return json_value.op("->>")(literal(key))
        return func.json_extract(json_value, f"$.{key}")

    def _typed(self, spec: FieldSpec, json_value: Any) -> Any:
        """A stored canonical JSON value as the SQL value ``QueryCompiler.column`` compares for ``spec``."""
        if spec.is_list or (spec.type == FieldType.CURRENCY and spec.currency_column is None):
            return json_value
        if spec.column is None:  # custom fields compare in their canonical JSON form
            text = self._text(json_value)
            if spec.type in NUMBER_KINDS:
                return cast(text, Float)
            if spec.type == FieldType.BOOLEAN and self.dialect == "postgresql":
                return cast(text, Boolean)
            return text
        column = getattr(self.real, spec.column)
        if spec.currency_column is not None:
            amount = self._key(json_value, "amount_minor")
            return (
                cast(amount, column.type)
                if self.dialect == "postgresql"
                else type_coerce(amount, column.type)
            )
        text = self._text(json_value)
        if self.dialect == "postgresql":
            return cast(text, column.type)
        if spec.type in (FieldType.USER, FieldType.RELATION, FieldType.ID):
            # SQLite keeps UUIDs as 32 hex digits.
            return type_coerce(func.replace(text, "-", ""), column.type)
        if isinstance(column.type, UTCDateTime):
            # SQLite keeps naive UTC as 'YYYY-MM-DD HH:MM:SS.ffffff'; canonical is '...THH:MM:SS.ffffffZ'.
            return type_coerce(func.replace(func.substr(text, 1, 26), "T", " "), column.type)
        return type_coerce(text, column.type)

    def _past_currency(self, spec: FieldSpec) -> Any:
        assert spec.currency_column is not None
        column = getattr(self.real, spec.currency_column)
        return type_coerce(self._past(spec.name, lambda v: self._key(v, "currency"), column), column.type)

    def _greatest(self, *values: Any) -> Any:
        return func.greatest(*values) if self.dialect == "postgresql" else func.max(*values)

    # -- QueryCompiler's hooks ------------------------------------------------------------------------
    def column(self, spec: FieldSpec) -> Any:
        real = self.real
        if spec.name in ("id", "created_at"):
            return getattr(real, spec.name)
        if spec.name == "updated_at":
            last = (
                select(func.max(FieldHistory.changed_at))
                .where(self._rows(FieldHistory.changed_at <= self.at))
                .scalar_subquery()
            )
            legacy = case(
                (real.updated_at <= self.at, real.updated_at),
                (real.created_at <= self.at, real.created_at),
                else_=null(),
            )
            latest = self._greatest(func.coalesce(last, legacy), func.coalesce(legacy, last))
            return type_coerce(latest, real.updated_at.type)
        if spec.name == "version":
            writes = (
                select(func.count(distinct(FieldHistory.change_set_id)))
                .where(self._rows(FieldHistory.changed_at <= self.at, FieldHistory.op.in_(WRITE_OPS)))
                .scalar_subquery()
            )
            created = exists(
                select(literal(1)).where(
                    self._rows(FieldHistory.changed_at <= self.at, FieldHistory.op == "create")
                )
            )
            counted = writes + case((created, 0), else_=1)
            return case((real.updated_at <= self.at, self._greatest(counted, real.version)), else_=counted)
        current = super().column(spec)
        past = self._past(spec.name, lambda v: self._typed(spec, v), current)
        return type_coerce(past, _type_of(current))

    def nullable(self, spec: FieldSpec) -> bool:
        # Any field may have been empty at some instant (before the record existed, a value set later).
        return spec.name not in ("id", "created_at", "updated_at", "version")

    def is_null(self, spec: FieldSpec) -> ColumnElement[bool]:
        result: ColumnElement[bool] = self.column(spec).is_(None)
        return result

    def array_contains(self, spec: FieldSpec, value: Any) -> ColumnElement[bool]:
        column = self.column(spec)
        if self.dialect == "postgresql":
            return column.op("@>")(cast(literal(json.dumps([value])), JSONB))  # type: ignore[no-any-return]
        each = func.json_each(column).table_valued("value")
        if isinstance(value, dict):
            match = and_(
                *(func.json_extract(each.c.value, f"$.{key}") == item for key, item in value.items())
            )
            return exists(select(literal(1)).select_from(each).where(match))
        return exists(select(literal(1)).select_from(each).where(each.c.value == value))

    # -- output ---------------------------------------------------------------------------------------
    def value_columns(self, names: set[str]) -> list[Any]:
        """Labelled past values of ``names`` (and the currency columns they need), for the page's rows."""
        out: list[Any] = [self.real.id.label("id")]
        for name in sorted(names - {"id"}):
            spec = self.schema.fields[name]
            if spec.column is None and not spec.system:
                json_value = self._past(name, lambda v: v, self.real.custom[name])
                out.append(type_coerce(json_value, JSON).label(f"custom__{name}"))
                continue
            key = spec.column or name
            out.append(self.column(spec).label(key))
            if spec.currency_column is not None:
                out.append(getattr(self.model, spec.currency_column).label(spec.currency_column))
        return out


def _type_of(expression: Any) -> Any:
    return getattr(expression, "type", None)


def _record(row: Any) -> SimpleNamespace:
    """A row of ``value_columns`` as something ``read_value`` reads like a loaded record."""
    values = dict(row._mapping)
    custom = {k[8:]: v for k, v in values.items() if k.startswith("custom__") and v is not None}
    plain = {k: v for k, v in values.items() if not k.startswith("custom__")}
    return SimpleNamespace(**plain, custom=custom)


async def list_as_of(service: RecordService, object_name: str, params: ListParams, raw_as_of: str) -> Page:
    """The list of ``object_name`` as it was at ``raw_as_of`` (see the module docstring)."""
    at = parse_instant(raw_as_of)
    service.principal.require(object_name, "read")
    schema = await service.schema(object_name)
    shown = service.projection(schema, params.fields)
    compiler = AsOfCompiler(schema, service.readable(schema), service.dialect, service.tenant_id, at)
    where = compiler.where(parse_filters(params.filter, params.conditions or {}))
    keys = compiler.parse_sort(params.sort)
    # The instant is part of the cursor's signature: a cursor of another instant's list is refused.
    signature = ",".join(("-" if k.descending else "") + k.spec.name for k in keys) + "@" + raw_as_of.strip()
    id_desc = bool(keys) and keys[-1].descending
    model = schema.model
    # ``scope``: custom objects share one table; a row of another object is never this object's, then or now.
    scope = schema.definition.scope(service.tenant_id)
    statement = select(model.id).where(*scope, service.visibility(schema), compiler.existed(), where)
    total = None
    if params.count:
        total = int(await service.session.scalar(select(func.count()).select_from(statement.subquery())) or 0)
    if params.after:
        values, last_id = decode_cursor(params.after, signature, len(keys))
        statement = statement.where(compiler.after(keys, values, last_id, id_desc))
    limit = max(1, min(params.limit, MAX_LIMIT))
    ids = list(
        (
            await service.session.scalars(
                statement.order_by(*compiler.order_by(keys, id_desc)).limit(limit + 1)
            )
        ).all()
    )
    more = len(ids) > limit
    ids = ids[:limit]
    if not ids:
        return Page([], None, total)
    needed = shown | {key.spec.name for key in keys}
    rows = (
        await service.session.execute(
            select(*compiler.value_columns(needed)).where(*scope, model.id.in_(ids))
        )
    ).all()
    records = {row.id: _record(row) for row in rows}
    ordered = [records[i] for i in ids if i in records]
    next_cursor = None
    if more:
        last = ordered[-1]
        next_cursor = encode_cursor(signature, [read_value(key.spec, last) for key in keys], last.id)
    return Page([service.serialize(schema, record, shown) for record in ordered], next_cursor, total)
