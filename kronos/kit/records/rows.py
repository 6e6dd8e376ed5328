"""Serializing a page of plain rows: the hot loop of every list.

``ObjectSchema.readers`` turn one field of one record into its canonical JSON value, deciding the conversion
from the value at hand (``FieldSpec.from_column``). A list of 50 records of 11 fields makes 550 such calls per
page, each walking that chain of type checks. Here the decision is taken once per schema from the column's
SQL type, which fixes the Python type the driver hands back: text, numbers, booleans and JSON pass through,
UUIDs become strings, instants become ``format_datetime`` text, and anything else still goes through
``from_column``, so the output is the same value for value. Rows are read by position, in the order of the
columns ``row_columns`` selects, which skips attribute lookups by name.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Uuid
from sqlalchemy.types import TypeDecorator

from kronos.kit.records.fields import FieldSpec, format_datetime
from kronos.kit.records.objects import ObjectSchema, field_reader

_PASS: Final = 0  # the driver's value is the canonical value
_CONVERT: Final = 1  # one function of a non-null value
_CUSTOM: Final = 2  # a key of the ``custom`` JSON column
_READER: Final = 3  # a field spanning columns (money): the schema's own reader, given the row


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    kind: int
    index: int
    convert: Callable[[Any], Any] | None
    is_list: bool


def _instant(value: datetime) -> str:
    """``format_datetime``, without its copy of the value for the usual case: the driver's UTC instants."""
    if value.tzinfo is UTC:
        return value.isoformat(timespec="microseconds")[:-6] + "Z"  # drop "+00:00"
    return format_datetime(value)


def _sql_type(column: Any) -> Any:
    kind = column.type
    return kind.impl if isinstance(kind, TypeDecorator) else kind


def _plan_field(spec: FieldSpec, positions: dict[str, int], table: Any) -> _Field:
    if spec.column is None:
        return _Field(spec.name, _CUSTOM, positions["custom"], None, spec.is_list)
    if spec.currency_column is not None:
        return _Field(spec.name, _READER, -1, field_reader(spec), spec.is_list)
    sql_type = _sql_type(table.columns[spec.column])
    index = positions[spec.column]
    if isinstance(sql_type, Uuid):
        return _Field(spec.name, _CONVERT, index, str, spec.is_list)
    if isinstance(sql_type, DateTime):
        return _Field(spec.name, _CONVERT, index, _instant, spec.is_list)
    if isinstance(sql_type, String | Integer | Boolean | JSON):
        return _Field(spec.name, _PASS, index, None, spec.is_list)
    return _Field(spec.name, _CONVERT, index, spec.from_column, spec.is_list)


def _columns(schema: ObjectSchema) -> list[Any]:
    """The table's columns the schema's active fields are read from, in table order: not ``tenant_id`` or
    ``deleted_at`` (no field shows them), and ``custom`` only if some field lives there (decoding a JSON
    document per row that nothing reads is most of what it would cost)."""
    needed: set[str] = set()
    for spec in schema.fields.values():
        if spec.column is None:
            needed.add("custom")
            continue
        needed.add(spec.column)
        if spec.currency_column is not None:
            needed.add(spec.currency_column)
    return [column for column in schema.model.__table__.columns if column.key in needed]


@dataclass(frozen=True, slots=True)
class _Plan:
    columns: list[Any]
    fields: list[_Field]


def _plan(schema: ObjectSchema) -> _Plan:
    table = schema.model.__table__
    columns = _columns(schema)
    positions = {column.key: i for i, column in enumerate(columns)}
    return _Plan(columns, [_plan_field(spec, positions, table) for spec in schema.ordered()])


# Schemas are cached per workspace and schema version (``ObjectRegistry``), so plans are looked up by the
# schema object itself; the entry keeps the schema alive, so its id cannot be reused while cached.
_PLANS: OrderedDict[int, tuple[ObjectSchema, _Plan]] = OrderedDict()
_PLANS_SIZE: Final = 1024


def plan_for(schema: ObjectSchema, *, cache: bool = True) -> _Plan:
    """``schema``'s plan; ``cache`` only for schemas the registry caches (others would be kept alive here)."""
    entry = _PLANS.get(id(schema))
    if entry is not None and entry[0] is schema:
        _PLANS.move_to_end(id(schema))
        return entry[1]
    plan = _plan(schema)
    if cache:
        _PLANS[id(schema)] = (schema, plan)
        if len(_PLANS) > _PLANS_SIZE:
            _PLANS.popitem(last=False)
    return plan


def row_columns(schema: ObjectSchema, *, cache: bool = True) -> list[Any]:
    """The columns to select for ``serialize_rows`` (every field of the schema can be read from them)."""
    return plan_for(schema, cache=cache).columns


def serialize_rows(
    schema: ObjectSchema, rows: Iterable[Sequence[Any]], shown: set[str], *, cache: bool = True
) -> list[dict[str, Any]]:
    """Rows of ``select(*row_columns(schema))`` as API records, with the fields in ``shown``."""
    fields = [f for f in plan_for(schema, cache=cache).fields if f.name in shown]
    items: list[dict[str, Any]] = []
    for row in rows:
        item: dict[str, Any] = {}
        for field in fields:
            kind = field.kind
            if kind == _PASS:
                value = row[field.index]
            elif kind == _CONVERT:
                value = row[field.index]
                if value is not None:
                    value = field.convert(value)  # type: ignore[misc]
            elif kind == _CUSTOM:
                value = (row[field.index] or {}).get(field.name)
            else:
                value = field.convert(row)  # type: ignore[misc]
            item[field.name] = [] if value is None and field.is_list else value
        items.append(item)
    return items
