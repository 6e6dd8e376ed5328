"""Lists: filters, sorts and keyset cursors, compiled to SQLAlchemy expressions (never SQL strings).

Filter syntax (both forms may be combined; everything is ANDed):

- ``?filter=<JSON>``: a condition ``{"field": "name", "op": "eq", "value": "Acme"}`` or a group
  ``{"and": [...]}`` / ``{"or": [...]}``, nested at most 5 levels deep, with at most 50 conditions in all
  (those of the query-string form included): past either, a 422 that says the limit.
- ``?<field>[<op>]=<value>``, e.g. ``?name[starts_with]=Ac&employees[gte]=10``; lists for ``in``/``not_in``
  and ``between`` are comma-separated (``?industry[in]=software,retail``).

Operators: eq, neq, lt, lte, gt, gte, in, not_in, contains, starts_with, is_null, between. ``contains`` on a
list field (multi-select, e-mails) means "has this element"; on text it is a case-insensitive substring.
``neq``/``not_in`` include empty values. Sort: ``?sort=-amount,name`` (at most 5 keys; empty values last).
Custom fields are read from the ``custom`` JSON column with the dialect's JSON extraction; the field name
is a validated identifier and the JSON path a bound parameter.
"""

from __future__ import annotations

import base64
import json
import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import JSONB

from kronos.kit.errors import FieldError, ValidationFailed
from kronos.kit.inputs import check_text, text_errors
from kronos.kit.records import sensitive
from kronos.kit.records.fields import (
    NUMBER_KINDS,
    NUMBER_LIMIT,
    TEXT_KINDS,
    FieldInvalid,
    FieldSpec,
    FieldType,
)
from kronos.kit.records.objects import ObjectSchema

OPERATORS = {
    "eq", "neq", "lt", "lte", "gt", "gte", "in", "not_in", "contains", "starts_with", "is_null", "between",
}  # fmt: skip
_ORDERED = {"eq", "neq", "lt", "lte", "gt", "gte", "in", "not_in", "between", "is_null"}
_TEXT_OPS = _ORDERED | {"contains", "starts_with"}
_EQUALITY = {"eq", "neq", "in", "not_in", "is_null"}
MAX_DEPTH = 5
MAX_CONDITIONS = 50
MAX_SORT_KEYS = 5
MAX_AMOUNT_MINOR = 2**53
_BRACKET = re.compile(r"^([a-z][a-z0-9_]{0,62})\[([a-z_]+)\]$")


def _bad_filter(path: str, message: str, type: str = "invalid_filter") -> ValidationFailed:
    return ValidationFailed(f"{path}: {message}", errors=[FieldError(path=path, message=message, type=type)])


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: str
    value: Any
    path: str
    from_query_string: bool = False


@dataclass(frozen=True, slots=True)
class Group:
    kind: str  # "and" | "or"
    items: tuple[Condition | Group, ...]


Node = Condition | Group


def reject_unknown_parameters(unknown: Sequence[str]) -> None:
    """422 naming each query parameter a route does not take (a typo must not silently widen a query)."""
    if unknown:
        raise ValidationFailed(
            f"Unknown query parameter(s): {', '.join(u[:40] for u in unknown)}.",
            errors=[
                FieldError(path=f"query.{u[:40]}", message="Unknown parameter.", type="unknown_parameter")
                for u in unknown
            ],
        )


def parse_filters(filter_json: str | None, params: Mapping[str, str]) -> Group:
    """The filter tree from ``?filter=`` and ``?field[op]=`` parameters (not yet checked against fields)."""
    items: list[Node] = []
    counter = [0]
    if filter_json:
        try:
            raw = json.loads(filter_json)
        except ValueError:
            raise _bad_filter("query.filter", "Not valid JSON.") from None
        except RecursionError:
            # Nested deeper than the JSON parser goes (about 1,000 levels): refused before any walk.
            raise _too_deep("query.filter") from None
        items.append(_parse_node(raw, "query.filter", 0, counter))
    for key, value in params.items():
        match = _BRACKET.match(key)
        if match:
            _count(counter, f"query.{key}")
            items.append(Condition(match[1], match[2], value, f"query.{key}", from_query_string=True))
    return Group("and", tuple(items))


def _too_deep(path: str) -> ValidationFailed:
    return _bad_filter(path, f"Filters nest at most {MAX_DEPTH} levels deep.", "filter_too_deep")


def _count(counter: list[int], path: str) -> None:
    """One more condition: ``?filter=`` and ``?<field>[<op>]=`` share the cap, which also bounds the query's
    bound parameters (each condition binds at most 500 values)."""
    counter[0] += 1
    if counter[0] > MAX_CONDITIONS:
        raise _bad_filter(path, f"At most {MAX_CONDITIONS} conditions in all.", "too_many_conditions")


def _parse_node(raw: Any, path: str, depth: int, counter: list[int]) -> Node:
    if depth > MAX_DEPTH:
        raise _too_deep(path)
    if not isinstance(raw, dict):
        raise _bad_filter(path, "Expected an object: a condition or an and/or group.")
    if set(raw) in ({"and"}, {"or"}):
        kind = next(iter(raw))
        members = raw[kind]
        if not isinstance(members, list):
            raise _bad_filter(f"{path}.{kind}", "Expected a list of conditions.")
        return Group(
            kind,
            tuple(_parse_node(m, f"{path}.{kind}.{i}", depth + 1, counter) for i, m in enumerate(members)),
        )
    if not {"field", "op"} <= set(raw) or set(raw) - {"field", "op", "value"}:
        raise _bad_filter(path, 'Expected {"field": ..., "op": ..., "value": ...} or {"and"|"or": [...]}.')
    _count(counter, path)
    if not isinstance(raw["field"], str) or not isinstance(raw["op"], str):
        raise _bad_filter(path, "field and op must be strings.")
    check_text(raw, path)  # the edge saw only the JSON's text, not what its escapes decode to
    return Condition(raw["field"], raw["op"], raw.get("value"), path)


@dataclass(frozen=True, slots=True)
class SortKey:
    spec: FieldSpec
    descending: bool


class QueryCompiler:
    """Compiles filters and sorts for one object, seeing only the fields the caller may read."""

    def __init__(self, schema: ObjectSchema, readable: set[str], dialect: str) -> None:
        self.schema = schema
        self.readable = readable
        self.dialect = dialect
        self.model = schema.model
        self.columns = schema.model.__table__.c

    def field(self, name: str, path: str) -> FieldSpec:
        spec = self.schema.fields.get(name)
        # A hidden field is reported exactly like a missing one: filters must not reveal it exists.
        if spec is None or name not in self.readable:
            raise _bad_filter(path, f"Unknown field '{name[:64]}'.", "unknown_field")
        return spec

    # -- expressions -----------------------------------------------------------------------------------
    def column(self, spec: FieldSpec) -> Any:
        if spec.column is not None:
            # The table's column, not the mapped attribute: the same SQL, built (and its cache key computed)
            # without the ORM's annotations.
            return self.columns[spec.column]
        element = self.model.custom[spec.name]
        if spec.is_list or spec.type == FieldType.CURRENCY:
            return element
        if spec.type in NUMBER_KINDS:
            return element.as_float()
        if spec.type == FieldType.BOOLEAN:
            return element.as_boolean()
        return element.as_string()

    def nullable(self, spec: FieldSpec) -> bool:
        if spec.column is None:
            return True
        return bool(getattr(self.model, spec.column).expression.nullable)

    def bind(self, spec: FieldSpec, value: Any) -> Any:
        """A canonical value as the SQL expression of ``spec`` compares it."""
        if spec.currency_column is not None:
            # A standard currency field compares (and sorts) by its amount in minor units.
            return value["amount_minor"] if isinstance(value, dict) else int(value)
        if spec.column is not None:
            return spec.to_column(value)
        if spec.type in NUMBER_KINDS:
            return float(value)
        return value

    def is_null(self, spec: FieldSpec) -> ColumnElement[bool]:
        if spec.column is None:
            expression: ColumnElement[bool] = self.model.custom[spec.name].as_string().is_(None)
            return expression
        # Lists are stored as NULL when empty: an empty JSON array is never written.
        result: ColumnElement[bool] = self.column(spec).is_(None)
        return result

    def array_contains(self, spec: FieldSpec, value: Any) -> ColumnElement[bool]:
        column = self.column(spec)
        if self.dialect == "postgresql":
            # JSONB containment also matches a record link ({"object", "id"}) inside a list of links.
            return column.op("@>")(cast(literal(json.dumps([value])), JSONB))  # type: ignore[no-any-return]
        if spec.column is not None:
            each = func.json_each(column).table_valued("value")
        else:
            path = f'$."{spec.name}"'  # spec.name matched API_NAME: no quotes or dots can appear
            each = func.json_each(self.model.custom, path).table_valued("value")
        if isinstance(value, dict):
            match = and_(
                *(func.json_extract(each.c.value, f"$.{key}") == item for key, item in value.items())
            )
            return exists(select(literal(1)).select_from(each).where(match))
        return exists(select(literal(1)).select_from(each).where(each.c.value == value))

    # -- filters ----------------------------------------------------------------------------------------
    def where(self, node: Node) -> ColumnElement[bool]:
        if isinstance(node, Group):
            parts = [self.where(item) for item in node.items]
            if not parts:
                return true()
            return and_(*parts) if node.kind == "and" else or_(*parts)
        return self._condition(node)

    def _condition(self, cond: Condition) -> ColumnElement[bool]:
        spec = self.field(cond.field, cond.path)
        if cond.op not in OPERATORS:
            raise _bad_filter(cond.path, f"Unknown operator '{cond.op[:20]}'.", "unknown_operator")
        if cond.op == "is_null":
            flag = self._flag(cond)
            return self.is_null(spec) if flag else not_(self.is_null(spec))
        if spec.sensitive:
            raise sensitive.refused(spec, cond.path, f"filtered with {cond.op}")
        if spec.is_list:
            if cond.op != "contains":
                raise _bad_filter(cond.path, f"'{spec.name}' is a list: use contains or is_null.")
            return self.array_contains(spec, self._scalar(spec, cond.value, cond))
        allowed = _TEXT_OPS if spec.type in TEXT_KINDS - {FieldType.DATE, FieldType.DATETIME} else _ORDERED
        if spec.type in (FieldType.BOOLEAN, FieldType.USER, FieldType.RELATION, FieldType.ID):
            allowed = _EQUALITY
        if spec.type == FieldType.CURRENCY:
            if spec.currency_column is not None and cond.op in _ORDERED - {"in", "not_in"}:
                return self._money(spec, cond)
            allowed = {"is_null"}
        if cond.op not in allowed:
            raise _bad_filter(
                cond.path, f"Operator '{cond.op}' does not apply to {spec.type.value} field '{spec.name}'."
            )
        column = self.column(spec)
        op = cond.op
        if op in ("in", "not_in", "between"):
            values = self._list(spec, cond)
            if op == "between":
                if len(values) != 2:
                    raise _bad_filter(cond.path, "between takes exactly two values: [low, high].")
                return and_(column >= values[0], column <= values[1])
            if not values:
                return false() if op == "in" else true()
            if op == "in":
                return column.in_(values)  # type: ignore[no-any-return]
            return or_(column.not_in(values), column.is_(None))
        value = self._scalar(spec, cond.value, cond)
        bound = self.bind(spec, value)
        if op == "contains":
            return column.icontains(value, autoescape=True)  # type: ignore[no-any-return]
        if op == "starts_with":
            return column.istartswith(value, autoescape=True)  # type: ignore[no-any-return]
        if op == "eq":
            return column == bound  # type: ignore[no-any-return]
        if op == "neq":
            return or_(column != bound, column.is_(None))
        comparisons = {
            "lt": column < bound,
            "lte": column <= bound,
            "gt": column > bound,
            "gte": column >= bound,
        }
        result: ColumnElement[bool] = comparisons[op]
        return result

    def _money(self, spec: FieldSpec, cond: Condition) -> ColumnElement[bool]:
        """A standard currency field filtered by amount (minor units), optionally in one currency:
        ``amount[gte]=100000``, ``amount[gte]=100000 EUR``, ``{"op": "eq", "value": {"amount_minor": 5,
        "currency": "EUR"}}``, ``amount[between]=100,500``. Amounts in other currencies are not converted."""
        raw = cond.value
        if cond.op == "between":
            if cond.from_query_string and isinstance(raw, str):
                raw = raw.split(",")
            if not isinstance(raw, list) or len(raw) != 2:
                raise _bad_filter(cond.path, "between takes exactly two values: [low, high].")
            low, high = (self._amount(spec, item, cond) for item in raw)
            parts = [self.column(spec) >= low[0], self.column(spec) <= high[0]]
            codes = {code for _, code in (low, high) if code}
        else:
            amount, code = self._amount(spec, raw, cond)
            column = self.column(spec)
            comparisons = {
                "eq": column == amount, "neq": column == amount, "lt": column < amount,
                "lte": column <= amount, "gt": column > amount, "gte": column >= amount,
            }  # fmt: skip
            parts = [comparisons[cond.op]]  # neq: the negation of eq, below
            codes = {code} if code else set()
        if len(codes) > 1:
            raise _bad_filter(cond.path, "Both bounds must be in the same currency.")
        assert spec.currency_column is not None
        parts.extend(getattr(self.model, spec.currency_column) == code for code in codes)
        if cond.op == "neq":
            return or_(not_(and_(*parts)), self.is_null(spec))
        return and_(*parts)

    def _amount(self, spec: FieldSpec, value: Any, cond: Condition) -> tuple[int, str | None]:
        code: str | None = None
        if isinstance(value, str):
            words = value.split()
            numbers = [w for w in words if w.lstrip("-").isdigit()]
            codes = [w for w in words if not w.lstrip("-").isdigit()]
            if len(numbers) != 1 or len(codes) > 1:
                raise _bad_filter(cond.path, "Expected an amount in minor units, optionally with a currency.")
            value, code = int(numbers[0]), (codes[0] if codes else None)
        elif isinstance(value, dict):
            try:
                checked = FieldSpec(spec.name, spec.label, FieldType.CURRENCY).validate(value)
            except FieldInvalid as exc:
                raise _bad_filter(
                    cond.path, f"Bad value for '{spec.name}': {exc.message}", exc.type
                ) from None
            return int(checked["amount_minor"]), str(checked["currency"])
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad_filter(
                cond.path, f"Bad value for '{spec.name}': expected an integer amount in minor units."
            )
        if abs(value) >= MAX_AMOUNT_MINOR:  # what amounts may be (fields.py), and what the column holds
            raise _bad_filter(cond.path, f"Bad value for '{spec.name}': the amount is too large.")
        if code is not None:
            try:
                code = FieldSpec(spec.name, spec.label, FieldType.CURRENCY).validate(
                    {"amount_minor": 0, "currency": code}
                )["currency"]
            except FieldInvalid as exc:
                raise _bad_filter(
                    cond.path, f"Bad value for '{spec.name}': {exc.message}", exc.type
                ) from None
        return value, code

    def _flag(self, cond: Condition) -> bool:
        value = cond.value
        if value in (True, "true", "1", None, ""):
            return True
        if value in (False, "false", "0"):
            return False
        raise _bad_filter(cond.path, "is_null takes true or false.")

    def _list(self, spec: FieldSpec, cond: Condition) -> list[Any]:
        raw = cond.value
        if cond.from_query_string and isinstance(raw, str):
            raw = raw.split(",") if raw else []
        if not isinstance(raw, list) or len(raw) > 500:
            raise _bad_filter(cond.path, f"{cond.op} takes a list of at most 500 values.")
        return [self.bind(spec, self._scalar(spec, item, cond)) for item in raw]

    def _scalar(self, spec: FieldSpec, value: Any, cond: Condition) -> Any:
        """A filter value in canonical form. Query-string values arrive as text and are parsed first."""
        if isinstance(value, str) and cond.from_query_string:
            value = _from_text(spec, value)
        try:
            if spec.type == FieldType.SELECT or spec.type == FieldType.MULTI_SELECT:
                if not isinstance(value, str):
                    raise FieldInvalid("string_type", "Expected an option value.")
                return value
            if spec.type == FieldType.RECORD_LINK and isinstance(value, str) and ":" in value:
                target, _, record_id = value.partition(":")  # ?links[contains]=contacts:<id>
                value = {"object": target, "id": record_id}
            if spec.type == FieldType.DATETIME and isinstance(value, str) and "T" not in value:
                value = f"{value}T00:00:00Z"  # a bare date means its midnight, UTC
            element = FieldSpec(spec.name, spec.label, spec.type, settings={}, lowercase=spec.lowercase)
            if spec.type in (
                FieldType.TEXT,
                FieldType.LONG_TEXT,
                FieldType.EMAIL,
                FieldType.PHONE,
                FieldType.URL,
            ):
                if not isinstance(value, str):
                    raise FieldInvalid("string_type", "Expected a string.")
                return value.lower() if spec.lowercase else value
            if spec.type == FieldType.RATING:
                element = FieldSpec(spec.name, spec.label, FieldType.NUMBER)
            checked = element.validate(value)
        except FieldInvalid as exc:
            raise _bad_filter(cond.path, f"Bad value for '{spec.name}': {exc.message}", exc.type) from None
        if checked is None:
            raise _bad_filter(cond.path, "Use is_null to match empty values.")
        return checked

    # -- sorting and cursors ----------------------------------------------------------------------------
    def parse_sort(self, raw: str | None) -> list[SortKey]:
        text = raw or self.schema.definition.default_sort
        keys: list[SortKey] = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            descending = part.startswith("-")
            name = part.lstrip("-+")
            spec = self.schema.fields.get(name)
            if spec is None or name not in self.readable:
                raise _bad_filter("query.sort", f"Unknown field '{name[:64]}'.", "unknown_field")
            if spec.is_list or (spec.type == FieldType.CURRENCY and spec.currency_column is None):
                raise _bad_filter("query.sort", f"Cannot sort by {spec.type.value} field '{name}'.")
            if spec.sensitive:
                raise sensitive.refused(spec, "query.sort", "sorted by")
            if name == "id":
                continue  # always the last key anyway
            if any(key.spec.name == name for key in keys):
                raise _bad_filter("query.sort", f"'{name}' appears twice.")
            keys.append(SortKey(spec, descending))
        if len(keys) > MAX_SORT_KEYS:
            raise _bad_filter("query.sort", f"At most {MAX_SORT_KEYS} sort keys.")
        return keys

    def order_by(self, keys: list[SortKey], id_descending: bool) -> list[Any]:
        clauses: list[Any] = []
        for key in keys:
            column = self.column(key.spec)
            if self.nullable(key.spec):
                clauses.append(column.is_(None).asc())  # empty values last, both directions
            clauses.append(column.desc() if key.descending else column.asc())
        clauses.append(self.model.id.desc() if id_descending else self.model.id.asc())
        return clauses

    def after(self, keys: list[SortKey], values: list[Any], last_id: uuid.UUID, id_desc: bool) -> Any:
        """Rows strictly after the cursor in the order ``order_by`` gives.

        The general form is an OR of AND-prefixes, which handles empty values and mixed directions but which
        PostgreSQL cannot turn into an index range: a deep page would walk every row before it. So when every
        key runs in the id's direction and none can be empty, it is a row comparison
        ``(k1, k2, id) < (v1, v2, last_id)``, an index range on both backends; otherwise the OR form gets a
        redundant bound on the leading key, so the index still starts at the cursor.
        """
        self._check_cursor(keys, values)
        simple = all(
            key.descending == id_desc and value is not None and not self.nullable(key.spec)
            for key, value in zip(keys, values, strict=True)
        )
        if simple:
            left = tuple_(*(self.column(key.spec) for key in keys), self.model.id)
            right = tuple_(
                *(self.bind(key.spec, value) for key, value in zip(keys, values, strict=True)),
                literal(last_id, self.model.id.type),
            )
            return left < right if id_desc else left > right
        general = self._after_or(keys, values, last_id, id_desc)
        if keys and values[0] is not None and not self.nullable(keys[0].spec):
            lead, bound = self.column(keys[0].spec), self.bind(keys[0].spec, values[0])
            return and_(lead <= bound if keys[0].descending else lead >= bound, general)
        return general

    def _check_cursor(self, keys: list[SortKey], values: list[Any]) -> None:
        """A cursor is the client's to send back, so it may be forged: each value must have the JSON type the
        key's expression compares with (a driver error otherwise, a 500) and survive ``bind``."""
        for key, value in zip(keys, values, strict=True):
            if value is None:
                continue
            spec = key.spec
            if spec.currency_column is not None:
                amount = value.get("amount_minor") if isinstance(value, dict) else value
                fits = _is_number(amount, integer=True)
            elif spec.type in NUMBER_KINDS:
                fits = _is_number(value, integer=spec.column is not None and self._integer_column(spec))
            elif spec.type == FieldType.BOOLEAN:
                fits = isinstance(value, bool)
            else:
                fits = isinstance(value, str)
            try:
                if not fits:
                    raise ValueError
                self.bind(spec, value)
            except (ValueError, TypeError, KeyError, AttributeError):
                raise _invalid_cursor() from None

    def _integer_column(self, spec: FieldSpec) -> bool:
        assert spec.column is not None
        try:
            return self.columns[spec.column].type.python_type is int
        except NotImplementedError:
            return False

    def _after_or(self, keys: list[SortKey], values: list[Any], last_id: uuid.UUID, id_desc: bool) -> Any:
        equal: list[Any] = []
        branches: list[Any] = []
        for key, value in zip(keys, values, strict=True):
            column = self.column(key.spec)
            if value is None:
                # The cursor row is in the trailing block of empty values: later rows are empty too.
                equal.append(column.is_(None))
                continue
            bound = self.bind(key.spec, value)
            if self.nullable(key.spec):
                branches.append(and_(*equal, column.is_(None)))
            branches.append(and_(*equal, column < bound if key.descending else column > bound))
            equal.append(column == bound)
        branches.append(and_(*equal, self.model.id < last_id if id_desc else self.model.id > last_id))
        return or_(*branches)


def encode_cursor(sort: str, values: list[Any], last_id: uuid.UUID) -> str:
    raw = json.dumps({"s": sort, "v": values, "id": str(last_id)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _is_number(value: Any, *, integer: bool) -> bool:
    if isinstance(value, bool) or not isinstance(value, int if integer else int | float):
        return False
    return math.isfinite(value) and abs(value) < NUMBER_LIMIT


def _invalid_cursor() -> ValidationFailed:
    return ValidationFailed(
        "query.after: The cursor is not valid for this list; start again without it.",
        errors=[FieldError(path="query.after", message="Invalid cursor.", type="invalid_cursor")],
    )


def decode_cursor(cursor: str, sort: str, key_count: int) -> tuple[list[Any], uuid.UUID]:
    problem = _invalid_cursor()
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        values, last_id = data["v"], uuid.UUID(data["id"])
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise problem from None
    if data.get("s") != sort or not isinstance(values, list) or len(values) != key_count:
        raise problem
    if text_errors(values, "query.after"):
        raise problem  # not a cursor this list gave out: its values came from stored text
    return values, last_id


def _from_text(spec: FieldSpec, text: str) -> Any:
    if spec.type in NUMBER_KINDS:
        try:
            number = float(text)
        except ValueError:
            return text  # the validator reports it
        return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    if spec.type == FieldType.BOOLEAN:
        return {"true": True, "false": False}.get(text.lower(), text)
    return text
