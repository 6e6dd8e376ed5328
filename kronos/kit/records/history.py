"""Reading a record's field history back: the change list, the record ``as_of`` an instant, time in each
value. Writing the past back (revert, GDPR erasure, imported past changes) is ``history_write``.

History rows are append-only: ``write_record`` adds them, ``history_write.import_changes`` adds past ones,
and ``history_write.erase`` is the one place that rewrites stored rows.

``?as_of=`` follows **one rule, the list's**, written out in ``asof``'s docstring, so that a record reads
the same through ``GET /{object}/{id}?as_of=`` and ``GET /{object}?as_of=`` even when its history is partial
(no rows at all, update rows without their create, a deletion that left no row, an imported past before the
create). In short: a field (``deleted_at`` included) holds the ``new_value`` of its newest row at or before
the instant; else what its oldest later row says it held before (its ``old_value``, or a create's
``new_value``); else its current value. The record existed if created (``created_at``) or with a row by then,
and was not deleted by then; ``created_at`` is the record's; ``updated_at`` the latest of its rows, its
``created_at`` and its ``updated_at`` up to the instant; ``version`` its write change sets up to the instant
(plus one when the create left no row among them), at least its current version once ``updated_at`` is
reached. ``reconstruct`` folds one statement's rows in Python: the record's rows at or before the instant on
``ix_field_history_record`` (tenant, object, record, changed_at, id), oldest first (``id``, a UUIDv7 in
insertion order, orders changes that share one microsecond), followed by each field's first later row. The
instant is parsed as the list parses it (a bare date is its midnight, UTC). One difference is of shape, not
of value: without ``?fields=``, the single read also shows the fields archived since with what they held
then; a list's rows have the object's current fields, like any list.

**Who may read the past: visibility is decided by the record's owner now, not its owner then.** Every read
here (change list, ``?as_of=``, durations) and the list's ``?as_of=`` finds the record with today's
visibility rule (``RecordService.visibility``) on today's row. Record visibility is an access rule of the
present: a deal handed from Ann to Bob is Bob's to see — its whole past included, which is what he needs to
work it — and no longer Ann's, not even "as it was when it was hers": a reassignment (often the point of
one: someone left, a territory moved) must not leave the former owner a window onto the record, and a past
snapshot shows values that may still be current. Deciding by the owner then would also make one record's
readability depend on the instant asked, which a caller could probe. Hidden fields likewise follow the
caller's role today.

Kit code knows no users: the identity module registers how user ids become names (``register_user_names``)
and the access module how an erasure reaches the audit log (``register_audit``), like authenticators.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, case, distinct, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit import clock
from kronos.kit.auth import Principal
from kronos.kit.errors import FieldError, NotFound, ValidationFailed
from kronos.kit.records import sensitive
from kronos.kit.records.asof import WRITE_OPS
from kronos.kit.records.asof import parse_instant as parse_list_instant
from kronos.kit.records.fields import FieldSpec, FieldType, format_datetime
from kronos.kit.records.models import FieldHistory, FieldStint
from kronos.kit.records.objects import ObjectSchema
from kronos.kit.records.service import RecordService
from kronos.kit.records.stints import is_tracked
from kronos.kit.records.write import for_update, read_value

# What erasure leaves in place of a personal value, in the record and in every history row: a string that
# any text-like column can hold (a list field gets ``[ERASED]``). Unique fields are emptied in the record
# instead, so two erased records never collide on the marker.
ERASED = "[erased]"
SOURCES = ("ui", "api", "import", "workflow", "system")
DELETED = FieldSpec("deleted_at", "Deleted", FieldType.DATETIME, system=True)

UserNames = Callable[[AsyncSession, uuid.UUID, Collection[uuid.UUID]], Awaitable[Mapping[uuid.UUID, str]]]
AuditRecorder = Callable[[AsyncSession, Principal, str, str | None, dict[str, Any] | None], Awaitable[object]]


def register_user_names(app_state: object, resolver: UserNames) -> None:
    """How user ids become display names, for members of one workspace (the identity module's)."""
    app_state.history_user_names = resolver  # type: ignore[attr-defined]


def register_audit(app_state: object, recorder: AuditRecorder) -> None:
    """Where erasures are logged for auditors (the access module's audit log)."""
    app_state.history_audit = recorder  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Hooks:
    user_names: UserNames | None = None
    audit: AuditRecorder | None = None

    @classmethod
    def of(cls, app_state: object) -> Hooks:
        return cls(getattr(app_state, "history_user_names", None), getattr(app_state, "history_audit", None))


def invalid(path: str, message: str, type: str) -> ValidationFailed:
    return ValidationFailed(f"{path}: {message}", errors=[FieldError(path=path, message=message, type=type)])


def parse_instant(raw: str, path: str) -> datetime:
    """An ISO 8601 date-time with a time zone, as an aware UTC datetime; 422 naming ``path`` otherwise."""
    text = raw.strip()
    try:
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" and text else text)
    except ValueError:
        raise invalid(
            path, "Expected an ISO 8601 date-time such as 2026-03-01T09:30:00Z.", "datetime_parsing"
        ) from None
    if value.tzinfo is None:
        raise invalid(path, "Give a time zone offset (e.g. Z or +02:00).", "timezone_required")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 pushed off the calendar by its offset
        raise invalid(path, "Year out of range.", "datetime_parsing") from None


# -- loading ----------------------------------------------------------------------------------------------
def spec_of(schema: ObjectSchema, name: str) -> FieldSpec | None:
    if name == DELETED.name:
        return DELETED
    return schema.fields.get(name) or schema.archived.get(name)


def is_hidden(service: RecordService, schema: ObjectSchema, name: str) -> bool:
    spec = spec_of(schema, name)
    if spec is not None and spec.system:
        return False
    return service.principal.permissions.field_access(schema.name, name) == "hidden"


async def find_record(
    service: RecordService, schema: ObjectSchema, record_id: str, *, live: bool, lock: bool = False
) -> Any:
    """The record if the caller may see it (tenant and visibility, like GET), deleted ones unless ``live``.
    ``lock``: the caller writes it (or its history) next; its row is held until the transaction ends, so
    concurrent writes to it wait for each other (``write.for_update``)."""
    model = schema.model
    try:
        key = uuid.UUID(record_id)
    except ValueError:
        key = None
    record = None
    if key is not None:
        statement = select(model).where(
            *schema.definition.scope(service.tenant_id), model.id == key, service.visibility(schema)
        )
        if live:
            statement = statement.where(model.deleted_at.is_(None))
        if lock:
            statement = for_update(statement, service.dialect)
        record = await service.session.scalar(statement)
    if record is None:
        raise NotFound(f"No {schema.definition.label.lower()} with id '{record_id[:40]}'.")
    if lock:  # the caller writes it: it must be one their role may change, not only see
        service.require_editable(schema, record)
    return record


def rows_of(schema: ObjectSchema, tenant_id: uuid.UUID, record_id: uuid.UUID) -> Any:
    return (
        FieldHistory.tenant_id == tenant_id,
        FieldHistory.object == schema.name,
        FieldHistory.record_id == record_id,
    )


# -- the record at an instant -----------------------------------------------------------------------------
@dataclass(slots=True)
class State:
    values: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 0


_MISSING: Any = object()
_RECORD_KEYS = frozenset({"id", "version", "created_at", "updated_at"})  # the record's, not its history's


def _ranked(columns: tuple[Any, ...], when: Any, order: tuple[Any, ...], later: int) -> Any:
    """Each field's first row of the record's rows matching ``when`` in ``order``, tagged ``later``."""
    h = FieldHistory
    ranked = (
        select(*columns, func.row_number().over(partition_by=h.field, order_by=order).label("n"))
        .where(*_ROWS_OF, when)
        .subquery()
    )
    return select(*(ranked.c[c.key] for c in columns), literal(later).label("later")).where(ranked.c.n == 1)


_ROWS_OF = (
    FieldHistory.tenant_id == bindparam("tenant_id", type_=FieldHistory.tenant_id.type),
    FieldHistory.object == bindparam("object", type_=FieldHistory.object.type),
    FieldHistory.record_id == bindparam("record_id", type_=FieldHistory.record_id.type),
)


@cache
def _as_of_statement() -> Any:
    """The one statement of ``reconstruct``, built once (building it per request cost more than running it):
    per field, its newest row at or before ``at`` and its first row after it — a row per field, not the
    record's whole past — and, on every row, what the whole past up to ``at`` adds up to (uncorrelated
    subqueries, computed once): how many rows, its change sets (the version), whether the create is among
    them, and the last change."""
    h = FieldHistory
    at = bindparam("at", type_=h.changed_at.type)
    columns = (h.field, h.op, h.old_value, h.new_value, h.changed_at, h.id)
    past, future = h.changed_at <= at, h.changed_at > at
    newest = _ranked(columns, past, (h.changed_at.desc(), h.id.desc()), 0)
    first = _ranked(columns, future, (h.changed_at, h.id), 1)
    both = union_all(newest, first).subquery("rows")
    writes = h.op.in_(WRITE_OPS)
    totals = [
        select(total).where(*_ROWS_OF, past).scalar_subquery()
        for total in (
            func.count(),
            func.count(distinct(case((writes, h.change_set_id)))),
            func.count(case((writes & (h.op == "create"), 1))),
            func.max(h.changed_at),
        )
    ]
    return select(both, *totals).order_by(both.c.later, both.c.changed_at, both.c.id)


async def reconstruct(
    session: AsyncSession,
    schema: ObjectSchema,
    tenant_id: uuid.UUID,
    record_id: uuid.UUID,
    at: datetime,
    record: Any,
) -> State | None:
    """The record's field values at ``at`` (canonical JSON), or None if it did not exist or was deleted:
    the rule of ``asof``'s docstring. ``record`` is its row, as the caller found it."""
    params = {"tenant_id": tenant_id, "object": schema.name, "record_id": record_id, "at": at}
    rows = (await session.execute(_as_of_statement(), params)).all()
    past_rows, change_sets, creates, last = rows[0][-4:] if rows else (0, 0, 0, None)
    state = State(created_at=record.created_at)
    existed = record.created_at <= at or past_rows > 0
    deleted_at: Any = _MISSING
    created = creates > 0
    for name, op, old, new, _, _, later, *_ in rows:
        if later:  # each field's first row after ``at``: what it held before, if nothing at or before said
            if name == DELETED.name:
                deleted_at = old if deleted_at is _MISSING else deleted_at
            elif name not in state.values:
                state.values[name] = new if op == "create" else old
            continue
        if name == DELETED.name:
            deleted_at = new
        else:
            state.values[name] = new
    for name in schema.sensitive & state.values.keys():  # history rows hold them sealed
        state.values[name] = sensitive.reveal(name, record_id, state.values[name])
    if deleted_at is _MISSING:
        deleted_at = format_datetime(record.deleted_at) if record.deleted_at is not None else None
    if not existed or (deleted_at is not None and str(deleted_at) <= format_datetime(at)):
        return None
    for spec in (*schema.fields.values(), *schema.archived.values()):
        if spec.name not in state.values and spec.name not in _RECORD_KEYS:
            state.values[spec.name] = read_value(spec, record)  # no row ever changed it
    reached = record.updated_at <= at
    moments = (last, record.created_at, record.updated_at)
    state.updated_at = max(moment for moment in moments if moment is not None and moment <= at)
    state.version = int(change_sets) + (0 if created else 1)
    if reached:
        state.version = max(state.version, record.version)
    return state


async def record_as_of(
    service: RecordService, object_name: str, record_id: str, raw_at: str, fields: str | None
) -> dict[str, Any]:
    """``GET /{object}/{id}?as_of=``: the record as it was, in the shape of a normal GET."""
    at = parse_list_instant(raw_at, "query.as_of")  # the list's parser: the same strings, the same instant
    service.principal.require(object_name, "read")
    schema = await service.schema(object_name)
    shown = service.projection(schema, fields)
    record = await find_record(service, schema, record_id, live=False)
    state = await reconstruct(service.session, schema, service.tenant_id, record.id, at, record)
    if state is None:
        raise NotFound(
            f"No {schema.definition.label.lower()} with id '{record_id[:40]}' at {format_datetime(at)}: "
            "it did not exist yet or was deleted then."
        )
    system = {
        "id": str(record.id),
        "version": state.version,
        "created_at": format_datetime(state.created_at) if state.created_at else None,
        "updated_at": format_datetime(state.updated_at) if state.updated_at else None,
    }
    masked = service.masked(schema)
    out: dict[str, Any] = {}
    for spec in schema.ordered():
        if spec.name in shown:
            value = system[spec.name] if spec.name in system else state.values.get(spec.name)
            value = sensitive.mask(value) if spec.name in masked else value
            out[spec.name] = [] if value is None and spec.is_list else value
    if fields is None:
        # Fields archived since keep showing what they held then.
        for spec in sorted(schema.archived.values(), key=lambda s: (s.position, s.name)):
            value = state.values.get(spec.name)
            if value is not None and not is_hidden(service, schema, spec.name):
                out[spec.name] = sensitive.mask(value) if spec.name in masked else value
    return out


# -- display values ---------------------------------------------------------------------------------------
_ZERO_DECIMALS = {
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "ISK",
    "JPY",
    "KMF",
    "KRW",
    "PYG",
    "RWF",
    "UGX",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
}
_THREE_DECIMALS = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}


def format_money(value: Mapping[str, Any]) -> str:
    code = str(value.get("currency", ""))
    digits = 0 if code in _ZERO_DECIMALS else 3 if code in _THREE_DECIMALS else 2
    amount = int(value.get("amount_minor", 0))
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10**digits)
    return f"{sign}{code} {whole:,}" + (f".{fraction:0{digits}d}" if digits else "")


class Displays:
    """Turns canonical values into what a person reads: option labels, user names, related records' titles.

    Ids are collected first (``want``) and resolved in one query per kind (``resolve``), so a page of
    history costs a fixed number of queries whatever it holds. Titles follow the caller's permissions: a
    related record they may not read shows its id.
    """

    def __init__(self, service: RecordService, hooks: Hooks) -> None:
        self.service = service
        self.hooks = hooks
        self.users: set[uuid.UUID] = set()
        self.records: dict[str, set[uuid.UUID]] = {}
        self.names: dict[uuid.UUID, str] = {}
        self.titles: dict[tuple[str, str], str] = {}

    def want(self, spec: FieldSpec | None, value: Any) -> None:
        if spec is None or value is None or value == ERASED:
            return
        for item in value if isinstance(value, list) else [value]:
            try:
                if spec.type == FieldType.USER:
                    self.users.add(uuid.UUID(str(item)))
                elif spec.type == FieldType.RELATION:
                    self.records.setdefault(str(spec.settings.get("target")), set()).add(uuid.UUID(str(item)))
                elif spec.type == FieldType.RECORD_LINK and isinstance(item, dict):
                    self.records.setdefault(str(item["object"]), set()).add(uuid.UUID(str(item["id"])))
            except (ValueError, KeyError):
                continue  # not an id (an imported oddity): shown as it is

    def want_user(self, user_id: uuid.UUID | None) -> None:
        if user_id is not None:
            self.users.add(user_id)

    async def resolve(self) -> None:
        service = self.service
        if self.users and self.hooks.user_names is not None:
            self.names = dict(await self.hooks.user_names(service.session, service.tenant_id, self.users))
        for object_name, ids in self.records.items():
            if not service.principal.permissions.can(object_name, "read"):
                continue
            try:
                schema = await service.schema(object_name)
            except NotFound:
                continue
            title = schema.fields.get(schema.definition.title_field)
            if title is None or is_hidden(service, schema, title.name):
                continue
            model = schema.model
            rows = await service.session.scalars(
                select(model).where(
                    *schema.definition.scope(service.tenant_id),
                    model.id.in_(sorted(ids, key=str)),
                    service.visibility(schema),
                )
            )
            for row in rows:
                value = read_value(title, row)
                if value is not None:
                    self.titles[(object_name, str(row.id))] = str(value)

    def user_name(self, user_id: uuid.UUID | None) -> str | None:
        return None if user_id is None else self.names.get(user_id)

    def show(self, spec: FieldSpec | None, value: Any) -> str | None:
        if value is None:
            return None
        if value == ERASED or value == [ERASED]:
            return ERASED
        if spec is None:
            return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        if isinstance(value, list):
            return ", ".join(self._one(spec, item) for item in value)
        return self._one(spec, value)

    def _one(self, spec: FieldSpec, value: Any) -> str:
        if spec.type in (FieldType.SELECT, FieldType.MULTI_SELECT):
            return next((o.label for o in spec.options if o.value == value), str(value))
        if spec.type == FieldType.USER:
            user = _uuid_or_none(value)
            return self.names.get(user, str(value)) if user else str(value)
        if spec.type == FieldType.RELATION:
            return self.titles.get((str(spec.settings.get("target")), str(value)), str(value))
        if spec.type == FieldType.RECORD_LINK and isinstance(value, dict):
            title = self.titles.get((str(value.get("object")), str(value.get("id"))), str(value.get("id")))
            return f"{value.get('object')}: {title}"
        if spec.type == FieldType.CURRENCY and isinstance(value, dict):
            return format_money(value)
        if spec.type == FieldType.BOOLEAN:
            return "Yes" if value is True else "No" if value is False else str(value)
        if spec.type == FieldType.PERCENT:
            return f"{value}%"
        if spec.type == FieldType.RATING:
            return f"{value}/{spec.settings.get('max', 5)}"
        return value if isinstance(value, str) else json.dumps(value)


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# -- the change list --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class HistoryQuery:
    field: str | None = None
    actor_user_id: str | None = None
    source: str | None = None
    since: str | None = None
    until: str | None = None
    after: str | None = None
    limit: int = 50


def _encode_cursor(changed_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([format_datetime(changed_at), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        at, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return parse_instant(str(at), "query.after"), uuid.UUID(str(row_id))
    except (ValueError, TypeError, binascii.Error, ValidationFailed, RecursionError):
        raise invalid("query.after", "Not a cursor this endpoint gave out.", "invalid_cursor") from None


async def list_history(
    service: RecordService, hooks: Hooks, object_name: str, record_id: str, query: HistoryQuery
) -> dict[str, Any]:
    """A record's changes, newest first, without fields hidden from the caller; keyset pages."""
    service.principal.require(object_name, "read")
    schema = await service.schema(object_name)
    record = await find_record(service, schema, record_id, live=False)
    conditions = list(rows_of(schema, service.tenant_id, record.id))
    if query.field is not None:
        if spec_of(schema, query.field) is None or is_hidden(service, schema, query.field):
            raise invalid("query.field", f"Unknown field '{query.field[:64]}'.", "unknown_field")
        conditions.append(FieldHistory.field == query.field)
    hidden = sorted(
        name
        for name in (*schema.fields, *schema.archived)
        if name != query.field and is_hidden(service, schema, name)
    )
    if hidden:
        conditions.append(FieldHistory.field.not_in(hidden))
    if query.actor_user_id is not None:
        actor = _uuid_or_none(query.actor_user_id)
        if actor is None:
            raise invalid("query.actor_user_id", "Not a valid id (UUID).", "uuid_parsing")
        conditions.append(FieldHistory.actor_user_id == actor)
    if query.source is not None:
        if query.source not in SOURCES:
            raise invalid("query.source", f"Expected one of: {', '.join(SOURCES)}.", "invalid_option")
        conditions.append(FieldHistory.source == query.source)
    if query.since is not None:
        conditions.append(FieldHistory.changed_at >= parse_instant(query.since, "query.since"))
    if query.until is not None:
        conditions.append(FieldHistory.changed_at <= parse_instant(query.until, "query.until"))
    if query.after is not None:
        at, last_id = _decode_cursor(query.after)
        conditions.append(
            or_(FieldHistory.changed_at < at, and_(FieldHistory.changed_at == at, FieldHistory.id < last_id))
        )
    limit = max(1, min(query.limit, 200))
    rows = list(
        (
            await service.session.scalars(
                select(FieldHistory)
                .where(*conditions)
                .order_by(FieldHistory.changed_at.desc(), FieldHistory.id.desc())
                .limit(limit + 1)
            )
        ).all()
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _encode_cursor(rows[-1].changed_at, rows[-1].id)
    # Fields that no longer exist are not in the schema: their role rules still apply.
    rows = [row for row in rows if spec_of(schema, row.field) or not is_hidden(service, schema, row.field)]
    values = {row.id: _values(service, schema, row) for row in rows}
    displays = Displays(service, hooks)
    for row in rows:
        spec = spec_of(schema, row.field)
        old, new = values[row.id]
        displays.want(spec, old)
        displays.want(spec, new)
        displays.want_user(row.actor_user_id)
    await displays.resolve()
    return {
        "items": [_item(schema, displays, row, *values[row.id]) for row in rows],
        "next_cursor": next_cursor,
    }


def _values(service: RecordService, schema: ObjectSchema, row: FieldHistory) -> tuple[Any, Any]:
    """A row's old and new values as the caller may see them: sensitive ones decrypted or masked (a sealed
    value is treated as sensitive even when its field is not any more, or no longer exists)."""
    old, new = row.old_value, row.new_value
    if row.field not in schema.sensitive and not (sensitive.is_sealed(old) or sensitive.is_sealed(new)):
        return old, new
    hide = not sensitive.reveals(service.principal.permissions, schema.name, row.field)
    return (
        sensitive.shown(row.field, row.record_id, old, hide),
        sensitive.shown(row.field, row.record_id, new, hide),
    )


def _item(schema: ObjectSchema, displays: Displays, row: FieldHistory, old: Any, new: Any) -> dict[str, Any]:
    spec = spec_of(schema, row.field)
    if row.actor_api_key_id is not None:
        kind = "api_key"
    elif row.actor_user_id is not None:
        kind = "user"
    else:
        kind = "system"
    return {
        "id": str(row.id),
        "change_set_id": str(row.change_set_id),
        "op": row.op,
        "field": row.field,
        "field_label": spec.label if spec else row.field,
        "field_type": str(spec.type) if spec else None,
        "old_value": old,
        "new_value": new,
        "old_display": displays.show(spec, old),
        "new_display": displays.show(spec, new),
        "changed_at": format_datetime(row.changed_at),
        "source": row.source,
        "actor": {
            "type": kind,
            "id": str(row.actor_api_key_id or row.actor_user_id) if kind != "system" else None,
            "user_id": str(row.actor_user_id) if row.actor_user_id else None,
            "name": displays.user_name(row.actor_user_id),
        },
    }


# -- time in each value -----------------------------------------------------------------------------------
async def durations(
    service: RecordService, hooks: Hooks, object_name: str, record_id: str, field_name: str
) -> dict[str, Any]:
    """Stints of a single-valued select/relation/user field, read from ``field_stints`` (the definition is
    ``stints``'s, shared with the reports): a stint ends when the value changes or the record is deleted,
    and a restore starts a new one. Empty values make no stint; the current one runs to now."""
    service.principal.require(object_name, "read")
    schema = await service.schema(object_name)
    spec = spec_of(schema, field_name)
    if spec is None or spec is DELETED or is_hidden(service, schema, field_name):
        raise invalid("query.field", f"Unknown field '{field_name[:64]}'.", "unknown_field")
    if not is_tracked(spec):
        raise invalid(
            "query.field",
            "Durations need a single-valued select, relation or user field.",
            "unsupported_field",
        )
    record = await find_record(service, schema, record_id, live=False)
    rows = await service.session.execute(
        select(FieldStint.value, FieldStint.entered_at, FieldStint.left_at)
        .where(
            FieldStint.tenant_id == service.tenant_id,
            FieldStint.object == schema.name,
            FieldStint.record_id == record.id,
            FieldStint.field == spec.name,
        )
        .order_by(FieldStint.entered_at, FieldStint.id)
    )
    # The fields stints are kept for hold strings (option values, ids): the stored text is the value.
    stints = [(value, entered, left) for value, entered, left in rows]
    now = clock.utcnow()
    displays = Displays(service, hooks)
    for value, _, _ in stints:
        displays.want(spec, value)
    await displays.resolve()
    items: list[dict[str, Any]] = []
    totals: dict[str, dict[str, Any]] = {}
    for value, entered, left in stints:
        seconds = ((left or now) - entered).total_seconds()
        items.append(
            {
                "value": value,
                "display": displays.show(spec, value),
                "entered_at": format_datetime(entered),
                "left_at": format_datetime(left) if left else None,
                "duration_seconds": seconds,
            }
        )
        key = json.dumps(value, sort_keys=True)
        total = totals.setdefault(
            key,
            {"value": value, "display": displays.show(spec, value), "total_seconds": 0.0, "times_entered": 0},
        )
        total["total_seconds"] += seconds
        total["times_entered"] += 1
    return {"field": spec.name, "items": items, "totals": list(totals.values())}
