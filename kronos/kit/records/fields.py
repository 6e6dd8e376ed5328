"""Field types of the record engine and the validators that turn incoming JSON into stored values.

Every value has one *canonical JSON form*: what the API returns, what history rows store, what the ``custom``
JSON column holds. Typed columns of standard fields hold the Python form (``date``, ``datetime``, ``UUID``);
``to_column``/``from_column`` convert at the ORM boundary, so the rest of the engine only sees JSON values.

A validator raises ``FieldInvalid(type, message)``; the caller turns it into a 422 naming the field.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from kronos.kit.records.currencies import ISO_4217


class FieldType(StrEnum):
    ID = "id"  # a record's own id; system fields only
    TEXT = "text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    DECIMAL = "decimal"
    CURRENCY = "currency"
    PERCENT = "percent"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    SELECT = "select"
    MULTI_SELECT = "multi_select"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    USER = "user"
    RELATION = "relation"
    RATING = "rating"
    # A reference to a record of any object: {"object": "<api name>", "id": "<uuid>"} (activity links).
    RECORD_LINK = "record_link"


# How values of a type compare in filters and sorts (and how a custom field is extracted from JSON).
TEXT_KINDS = {
    FieldType.TEXT,
    FieldType.LONG_TEXT,
    FieldType.SELECT,
    FieldType.EMAIL,
    FieldType.PHONE,
    FieldType.URL,
    FieldType.DATE,
    FieldType.DATETIME,  # canonical form is fixed-width ISO 8601 UTC, so text order is time order
    FieldType.USER,
    FieldType.RELATION,
    FieldType.ID,
}
NUMBER_KINDS = {FieldType.NUMBER, FieldType.DECIMAL, FieldType.PERCENT, FieldType.RATING}

API_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")
_PHONE_CHARS = re.compile(r"^\+?[0-9 ()./-]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TEXT_MAX = 255
LONG_TEXT_MAX = 100_000
NUMBER_LIMIT = 1e15
MAX_LIST_ITEMS = 100


class FieldInvalid(ValueError):
    def __init__(self, type: str, message: str) -> None:
        super().__init__(message)
        self.type = type
        self.message = message


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str

    def as_json(self) -> dict[str, str]:
        return {"value": self.value, "label": self.label}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of an object. Standard fields have ``column`` set; custom fields live in ``custom``."""

    name: str
    label: str
    type: FieldType
    required: bool = False
    unique: bool = False
    default: Any = None
    help_text: str | None = None
    options: tuple[Option, ...] = ()
    # Type settings: ``target`` (relation), ``max`` (rating), ``max_length`` (text), ``scale`` (decimal).
    settings: dict[str, Any] = field(default_factory=dict)
    # Holds a list of values (a contact's e-mails); stored as a JSON array.
    many: bool = False
    # Text stored lower-cased, so equality and uniqueness ignore case (e-mail domains, web domains).
    lowercase: bool = False
    column: str | None = None
    # Set by the engine (id, created_at...); never accepted in a write.
    system: bool = False
    position: int = 0
    archived: bool = False
    # Stored encrypted (custom text-like fields only; ``kronos.kit.records.sensitive``).
    sensitive: bool = False

    @property
    def is_custom(self) -> bool:
        return self.column is None and not self.system

    @property
    def is_list(self) -> bool:
        return self.many or self.type == FieldType.MULTI_SELECT

    def option_values(self) -> set[str]:
        return {option.value for option in self.options}

    def validate(self, value: Any) -> Any:
        """The canonical JSON value for ``value``, or ``FieldInvalid``. ``None`` (and ``[]``) mean empty."""
        if value is None:
            return None
        if self.many:
            if not isinstance(value, list):
                raise FieldInvalid("list_type", "Expected a list of values.")
            if len(value) > MAX_LIST_ITEMS:
                raise FieldInvalid("too_long", f"At most {MAX_LIST_ITEMS} values.")
            items: list[Any] = []
            for index, item in enumerate(value):
                try:
                    checked = self._validate_one(item)
                except FieldInvalid as exc:
                    raise FieldInvalid(exc.type, f"Item {index}: {exc.message}") from None
                if checked is not None and checked not in items:
                    items.append(checked)
            return items or None
        return self._validate_one(value)

    def _validate_one(self, value: Any) -> Any:
        # A blank string is how forms send "no value", whatever the type.
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        validator = _VALIDATORS[self.type]
        checked = validator(self, value)
        if self.lowercase and isinstance(checked, str):
            checked = checked.lower()
        return checked

    @property
    def currency_column(self) -> str | None:
        """A standard currency field keeps its amount in ``column`` and its ISO code in this column."""
        name = self.settings.get("currency_column")
        return str(name) if name else None

    def to_column(self, value: Any) -> Any:
        """Canonical JSON value -> the Python value a typed column holds."""
        if value is None or self.is_list:
            return value
        if self.type == FieldType.DATE:
            return date.fromisoformat(value)
        if self.type == FieldType.DATETIME:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        if self.type in (FieldType.USER, FieldType.RELATION, FieldType.ID):
            return uuid.UUID(value)
        return value

    def from_column(self, value: Any) -> Any:
        """A typed column's value -> the canonical JSON value."""
        if value is None:
            return None
        if isinstance(value, datetime):
            return format_datetime(value)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, Decimal):
            return float(value)
        return value


_ISO_UTC = "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ"


def format_datetime(value: datetime) -> str:
    """Fixed-width UTC ISO 8601 with microseconds: text order is time order.

    Formatted from the fields: ``isoformat`` on an aware value costs twice as much (it asks the zone for
    its offset), and a list page formats a hundred instants."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return _ISO_UTC % (
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )


def _text(spec: FieldSpec, value: Any, default_max: int = TEXT_MAX) -> str:
    if not isinstance(value, str):
        raise FieldInvalid("string_type", "Expected a string.")
    text: str = value.strip()
    limit = int(spec.settings.get("max_length", default_max))
    if len(text) > limit:
        raise FieldInvalid("string_too_long", f"At most {limit} characters.")
    return text


def _long_text(spec: FieldSpec, value: Any) -> str:
    return _text(spec, value, LONG_TEXT_MAX)


def _finite_number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldInvalid("number_type", "Expected a number.")
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldInvalid("number_type", "Expected a finite number.")
    if abs(value) >= NUMBER_LIMIT:
        raise FieldInvalid("number_too_large", f"Must be between -{NUMBER_LIMIT:.0e} and {NUMBER_LIMIT:.0e}.")
    return value


def _number(spec: FieldSpec, value: Any) -> int | float:
    number = _finite_number(value)
    if "min" in spec.settings and number < spec.settings["min"]:
        raise FieldInvalid("number_too_small", f"Must be at least {spec.settings['min']}.")
    if "max" in spec.settings and number > spec.settings["max"]:
        raise FieldInvalid("number_too_large", f"Must be at most {spec.settings['max']}.")
    return number


def _decimal(spec: FieldSpec, value: Any) -> int | float:
    # Accepted as a number or a numeric string ("12.50"); the scale is checked on the exact decimal.
    if isinstance(value, str):
        try:
            exact = Decimal(value.strip())
        except InvalidOperation:
            raise FieldInvalid("decimal_parsing", "Expected a decimal number such as 12.50.") from None
        if not exact.is_finite():
            raise FieldInvalid("decimal_parsing", "Expected a finite decimal number.")
    else:
        exact = Decimal(str(_finite_number(value)))
    scale = int(spec.settings.get("scale", 6))
    exponent = exact.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > scale:
        raise FieldInvalid("decimal_max_places", f"At most {scale} decimal places.")
    as_number = float(exact)
    _finite_number(as_number)
    return int(exact) if exact == exact.to_integral_value() and abs(exact) < 2**53 else as_number


def _currency(spec: FieldSpec, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != {"amount_minor", "currency"}:
        raise FieldInvalid(
            "currency_type", 'Expected {"amount_minor": <integer>, "currency": "<ISO 4217 code>"}.'
        )
    amount, code = value["amount_minor"], value["currency"]
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise FieldInvalid("currency_amount", "amount_minor must be an integer (minor units, e.g. cents).")
    if abs(amount) >= 2**53:
        raise FieldInvalid("currency_amount", "amount_minor is too large.")
    if not isinstance(code, str) or code.upper() not in ISO_4217:
        raise FieldInvalid("currency_code", "currency must be an ISO 4217 code such as EUR or USD.")
    return {"amount_minor": amount, "currency": code.upper()}


def _percent(spec: FieldSpec, value: Any) -> int | float:
    return _number(spec, value)


def _date(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str) or not _DATE.match(value):
        raise FieldInvalid("date_parsing", "Expected a date as YYYY-MM-DD.")
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise FieldInvalid("date_parsing", "Not a valid calendar date.") from None


def _datetime(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str) or "T" not in value:
        raise FieldInvalid("datetime_parsing", "Expected an ISO 8601 date-time such as 2026-03-01T09:30:00Z.")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise FieldInvalid("datetime_parsing", "Not a valid ISO 8601 date-time.") from None
    if parsed.tzinfo is None:
        raise FieldInvalid("timezone_required", "Give a time zone offset (e.g. Z or +02:00).")
    try:  # 0001-01-01T00:00:00+05:00 is before the calendar starts in UTC: astimezone overflows
        year = parsed.astimezone(UTC).year
    except OverflowError:
        year = 0
    if not 1 <= year <= 9998:
        raise FieldInvalid("datetime_parsing", "Year out of range.")
    return format_datetime(parsed)


def _boolean(spec: FieldSpec, value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldInvalid("bool_type", "Expected true or false.")
    return value


def _select(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise FieldInvalid("string_type", "Expected one of the field's option values.")
    if value not in spec.option_values():
        allowed = ", ".join(sorted(spec.option_values()))
        raise FieldInvalid("invalid_option", f"'{value[:50]}' is not an option; expected one of: {allowed}.")
    return value


def _multi_select(spec: FieldSpec, value: Any) -> list[str] | None:
    if not isinstance(value, list):
        raise FieldInvalid("list_type", "Expected a list of option values.")
    chosen: list[str] = []
    for item in value:
        checked = _select(spec, item)
        if checked not in chosen:
            chosen.append(checked)
    return chosen or None


def _email(spec: FieldSpec, value: Any) -> str:
    text = _text(spec, value, 320)
    if not _EMAIL.match(text):
        raise FieldInvalid("email_invalid", "Not a valid e-mail address.")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}" if not spec.lowercase else text.lower()


def _phone(spec: FieldSpec, value: Any) -> str:
    text = _text(spec, value, 40)
    digits = re.sub(r"\D", "", text)
    if not _PHONE_CHARS.match(text) or not 5 <= len(digits) <= 15:
        raise FieldInvalid("phone_invalid", "Not a valid phone number (5 to 15 digits, optional leading +).")
    return ("+" if text.startswith("+") else "") + digits


def _url(spec: FieldSpec, value: Any) -> str:
    text = _text(spec, value, 2048)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in text:
        raise FieldInvalid("url_invalid", "Expected an http(s) URL such as https://example.com.")
    return text


def _uuid(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise FieldInvalid("uuid_type", "Expected an id (a UUID string).")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise FieldInvalid("uuid_parsing", "Not a valid id (UUID).") from None


def _record_link(spec: FieldSpec, value: Any) -> dict[str, str]:
    # Whether the object and the record exist is the write path's check (it knows the registry).
    if not isinstance(value, dict) or set(value) != {"object", "id"}:
        raise FieldInvalid(
            "record_link_type", 'Expected {"object": "<object api name>", "id": "<record id>"}.'
        )
    target = value["object"]
    if not isinstance(target, str) or not API_NAME.match(target):
        raise FieldInvalid("record_link_object", "object must be an object's API name, e.g. contacts.")
    return {"object": target, "id": _uuid(spec, value["id"])}


def _rating(spec: FieldSpec, value: Any) -> int:
    top = int(spec.settings.get("max", 5))
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
        raise FieldInvalid("rating_range", f"Expected a whole number from 1 to {top}.")
    return value


_VALIDATORS: dict[FieldType, Callable[[FieldSpec, Any], Any]] = {
    FieldType.ID: _uuid,
    FieldType.TEXT: _text,
    FieldType.LONG_TEXT: _long_text,
    FieldType.NUMBER: _number,
    FieldType.DECIMAL: _decimal,
    FieldType.CURRENCY: _currency,
    FieldType.PERCENT: _percent,
    FieldType.DATE: _date,
    FieldType.DATETIME: _datetime,
    FieldType.BOOLEAN: _boolean,
    FieldType.SELECT: _select,
    FieldType.MULTI_SELECT: _multi_select,
    FieldType.EMAIL: _email,
    FieldType.PHONE: _phone,
    FieldType.URL: _url,
    FieldType.USER: _uuid,
    FieldType.RELATION: _uuid,
    FieldType.RATING: _rating,
    FieldType.RECORD_LINK: _record_link,
}
