"""Serializing a page of plain rows: the hot loop of every list.

``ObjectSchema.readers`` turn one field of one record into its canonical JSON value, deciding the conversion
from the value at hand (``FieldSpec.from_column``). A list of 50 records of 11 fields makes 550 such calls per
page, each walking that chain of type checks. Here the decision is taken once per schema from the column's
SQL type, which fixes the Python type the driver hands back: text, numbers, booleans and JSON pass through,
UUIDs become strings, instants become ``format_datetime`` text, and anything else still goes through
``from_column``, so the output is the same value for value. Rows are read by position, in the order of the
columns ``row_columns`` selects, which skips attribute lookups by name, by one generated function per plan
and projection that builds a record as a single dict display.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Final

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Uuid
from sqlalchemy.types import TypeDecorator

from kronos.kit.records import sensitive
from kronos.kit.records.fields import FieldSpec, format_datetime
from kronos.kit.records.objects import ObjectSchema, money_value

_PASS: Final = 0  # the driver's value is the canonical value
_CONVERT: Final = 1  # one function of a non-null value
_CUSTOM: Final = 2  # a key of the ``custom`` JSON column
_READER: Final = 3  # a field spanning columns (money): a function of the whole row


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    kind: int
    index: int
    convert: Callable[[Any], Any] | None
    is_list: bool
    # A sensitive field: how to read it for a role that gets it masked (``convert`` decrypts).
    masked: _Field | None = None


def _sql_type(column: Any) -> Any:
    kind = column.type
    return kind.impl if isinstance(kind, TypeDecorator) else kind


def _sensitive_at(name: str, custom_at: int, id_at: int, masked: bool) -> Callable[[Sequence[Any]], Any]:
    def read(row: Sequence[Any]) -> Any:
        custom = row[custom_at]
        return sensitive.shown(name, row[id_at], None if custom is None else custom.get(name), masked)

    return read


def _plan_field(spec: FieldSpec, positions: dict[str, int], table: Any) -> _Field:
    if spec.sensitive:
        custom_at, id_at = positions["custom"], positions["id"]
        masked = _sensitive_at(spec.name, custom_at, id_at, True)
        reader = _sensitive_at(spec.name, custom_at, id_at, False)
        hidden = _Field(spec.name, _READER, -1, masked, spec.is_list)
        return _Field(spec.name, _READER, -1, reader, spec.is_list, hidden)
    if spec.column is None:
        return _Field(spec.name, _CUSTOM, positions["custom"], None, spec.is_list)
    if spec.currency_column is not None:
        amount_at, currency_at = positions[spec.column], positions[spec.currency_column]
        return _Field(spec.name, _READER, -1, _money_at(amount_at, currency_at), spec.is_list)
    sql_type = _sql_type(table.columns[spec.column])
    index = positions[spec.column]
    if isinstance(sql_type, Uuid):
        return _Field(spec.name, _CONVERT, index, str, spec.is_list)
    if isinstance(sql_type, DateTime):
        return _Field(spec.name, _CONVERT, index, format_datetime, spec.is_list)
    if isinstance(sql_type, String | Integer | Boolean | JSON):
        return _Field(spec.name, _PASS, index, None, spec.is_list)
    return _Field(spec.name, _CONVERT, index, spec.from_column, spec.is_list)


def _money_at(amount_at: int, currency_at: int) -> Callable[[Sequence[Any]], Any]:
    def read(row: Sequence[Any]) -> Any:
        amount = row[amount_at]
        return None if amount is None else money_value(amount, row[currency_at])

    return read


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
    keys: tuple[str, ...]  # the columns' attribute names
    # Record functions by the set of fields shown (a projection) and those masked; few per plan, bounded.
    functions: dict[Any, Callable[[Sequence[Any]], dict[str, Any]]] = field(default_factory=dict)

    def record_function(
        self, shown: set[str], masked: frozenset[str] = frozenset()
    ) -> Callable[[Sequence[Any]], dict[str, Any]]:
        key: Any = (frozenset(shown), masked) if masked else frozenset(shown)
        function = self.functions.get(key)
        if function is None:
            chosen = [f for f in self.fields if f.name in shown]
            function = _record_function([f.masked if f.masked and f.name in masked else f for f in chosen])
            if len(self.functions) < _FUNCTIONS_PER_PLAN:
                self.functions[key] = function
        return function


_FUNCTIONS_PER_PLAN: Final = 32


def _record_function(fields: list[_Field]) -> Callable[[Sequence[Any]], dict[str, Any]]:
    """A function turning one row into one record: a single dict display, each field's conversion decided
    here once instead of for every value of every row (as ``dataclasses`` writes an ``__init__``).

    Only integers (column positions) and ``repr`` of field names (API names, ``[a-z][a-z0-9_]*``) go into
    the source; the conversions are passed in by name."""
    namespace: dict[str, Any] = {"_get_custom": _get_custom}
    entries = []
    for n, spec in enumerate(fields):
        if spec.kind == _PASS:
            value = f"row[{spec.index}]"
        elif spec.kind == _CONVERT:
            namespace[f"convert{n}"] = spec.convert
            value = f"(None if (v := row[{spec.index}]) is None else convert{n}(v))"
        elif spec.kind == _CUSTOM:
            value = f"_get_custom(row[{spec.index}], {spec.name!r})"
        else:
            namespace[f"convert{n}"] = spec.convert
            value = f"convert{n}(row)"
        if spec.is_list:
            value = f"([] if (w := {value}) is None else w)"
        entries.append(f"{spec.name!r}: {value}")
    source = f"def record(row):\n    return {{{', '.join(entries)}}}\n"
    exec(compile(source, "<kronos.kit.records.rows>", "exec"), namespace)
    function: Callable[[Sequence[Any]], dict[str, Any]] = namespace["record"]
    return function


def _get_custom(custom: dict[str, Any] | None, name: str) -> Any:
    return None if custom is None else custom.get(name)


def _plan(schema: ObjectSchema) -> _Plan:
    table = schema.model.__table__
    columns = _columns(schema)
    positions = {column.key: i for i, column in enumerate(columns)}
    fields = [_plan_field(spec, positions, table) for spec in schema.ordered()]
    return _Plan(columns, fields, tuple(column.key for column in columns))


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


def row_object(schema: ObjectSchema, row: Sequence[Any], *, cache: bool = True) -> SimpleNamespace:
    """One row of ``select(*row_columns(schema))`` with its columns as attributes, as ``read_value`` reads
    a loaded record."""
    return SimpleNamespace(**dict(zip(plan_for(schema, cache=cache).keys, row, strict=True)))


def serialize_rows(
    schema: ObjectSchema,
    rows: Iterable[Sequence[Any]],
    shown: set[str],
    *,
    cache: bool = True,
    masked: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    """Rows of ``select(*row_columns(schema))`` as API records, with the fields in ``shown``; sensitive
    fields in ``masked`` masked (``kronos.kit.records.sensitive``), the others decrypted."""
    record = plan_for(schema, cache=cache).record_function(shown, masked)
    return [record(row) for row in rows]
