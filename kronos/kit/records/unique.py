"""Workspace-unique values, kept in the ``unique_values`` side table by the write path.

Why a side table: asking the record table "does a live record hold this value?" is an index lookup only for a
plain column. A list field (a contact's e-mails, a JSON array) or a custom field (inside the ``custom`` JSON)
needs a jsonb operator, and under row-level security PostgreSQL will not use a GIN index for ``@>`` (not
leakproof): every check scanned the workspace's records (~45 ms at 50k contacts, ~1 s at 1M). Here every value
of a unique field held by a live record is one row keyed by (tenant, object, field, normalized value): the
primary key both answers "who holds it?" with an equality lookup and refuses a second holder, even when two
transactions race (the loser's ``INSERT ... ON CONFLICT DO NOTHING`` waits for the winner, then inserts
nothing, and the request answers 409 naming the winner's record).

The 409 names the holder only to a caller who may see it (``viewer``): to anyone else it says the value is
taken, and nothing more — a record they may not see stays like one that does not exist, but for the value
(uniqueness cannot be kept without refusing it). A field their role hides is not named either.

Only live records hold claims: a soft delete frees them, a restore claims them again (409 if another record
took one meanwhile), a purge or an erasure drops them. Every function runs in the caller's transaction.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.errors import Conflict, FieldError
from kronos.kit.records.fields import FieldSpec, FieldType
from kronos.kit.records.models import UniqueValue
from kronos.kit.records.objects import ObjectSchema, field_reader
from kronos.kit.records.viewer import Viewer

# Longer values are stored as their SHA-256: an index entry stays small (PostgreSQL refuses btree entries
# over ~2.7 kB, and a unique text field may allow 100,000 characters).
MAX_PLAIN_KEY = 200
_INSERT_CHUNK = 1000
_PENDING = "kronos.pending_claims"
_SHOWN_DUPLICATES = 10


class DuplicateValue(Conflict):
    code = "duplicate_value"


class DuplicateValues(Conflict):
    """Records that already share a value, found when an admin makes a field unique."""

    code = "duplicate_values"


@dataclass(frozen=True, slots=True)
class Claim:
    field: str
    key: str
    value: Any  # the item as the record holds it, for the error message


@dataclass(frozen=True, slots=True)
class _Pending:
    """Claims a deferred write left for ``claim_pending``."""

    schema: ObjectSchema
    tenant_id: uuid.UUID
    record_id: uuid.UUID
    claims: list[Claim]


# -- normalization -------------------------------------------------------------------------------------------
def normalize(type: FieldType, lowercase: bool, value: Any) -> str:
    """The key a value is unique by: trimmed; e-mails and lower-cased fields (domains) case-insensitive;
    numbers by value (1 and 1.0 are the same); long values hashed. The migration backfill uses it too."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float):
        text = str(int(value)) if float(value).is_integer() and abs(value) < 2**53 else repr(float(value))
    else:
        text = str(value).strip()
    if type == FieldType.EMAIL or lowercase:
        text = text.lower()
    if len(text) > MAX_PLAIN_KEY:
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


def value_key(spec: FieldSpec, value: Any) -> str:
    return normalize(spec.type, spec.lowercase, value)


def claims_of(spec: FieldSpec, value: Any) -> list[Claim]:
    """One claim per distinct key of a value (each item of a list), in order."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    claims: dict[str, Claim] = {}
    for item in items:
        if item is None:
            continue
        key = value_key(spec, item)
        claims.setdefault(key, Claim(spec.name, key, item))
    return list(claims.values())


def unique_specs(schema: ObjectSchema) -> list[FieldSpec]:
    """Unique fields, archived ones included: an archived field keeps its values (and so its claims), so
    that unarchiving it cannot reveal two records sharing a value."""
    return [spec for spec in (*schema.fields.values(), *schema.archived.values()) if spec.unique]


# -- the write path ------------------------------------------------------------------------------------------
async def apply_changes(
    session: AsyncSession,
    schema: ObjectSchema,
    tenant_id: uuid.UUID,
    record_id: uuid.UUID,
    diffs: Iterable[tuple[str, Any, Any]],
    dialect: str,
    *,
    deferred: bool = False,
    viewer: Viewer | None = None,
) -> None:
    """A create or update changed ``diffs`` (name, old, new): release the keys a unique field no longer
    holds and claim the new ones. 409 if another live record has one of them (naming it if ``viewer`` may
    see it). ``deferred``: the claims wait in the session for ``claim_pending`` (a batch claims all at
    once)."""
    released: list[tuple[str, str]] = []
    wanted: list[Claim] = []
    for name, old, new in diffs:
        spec = schema.fields.get(name)
        if spec is None or not spec.unique:
            continue
        before = {claim.key for claim in claims_of(spec, old)}
        after = claims_of(spec, new)
        released += [(name, key) for key in before - {claim.key for claim in after}]
        wanted += [claim for claim in after if claim.key not in before]
    if released:
        await session.execute(
            delete(UniqueValue).where(
                UniqueValue.tenant_id == tenant_id,
                UniqueValue.object == schema.name,
                tuple_(UniqueValue.field, UniqueValue.value_key).in_(released),
                UniqueValue.record_id == record_id,
            )
        )
    if deferred:
        if wanted:
            session.info.setdefault(_PENDING, []).append(_Pending(schema, tenant_id, record_id, wanted))
        return
    await claim(session, schema, tenant_id, record_id, wanted, dialect, viewer=viewer)


async def claim_pending(
    session: AsyncSession, dialect: str, viewer: Viewer | None = None
) -> dict[uuid.UUID, DuplicateValue]:
    """Insert the claims deferred writes left in the session, a few statements for a whole batch. Returns
    the records that lost one (to a live record, or to an earlier record of the same batch: rows go in in
    write order), each with the 409 it would have had alone (as ``viewer`` may hear it: the batch's own
    records are the caller's to see). Nothing is rolled back here: the caller fails the transaction (an
    all-or-nothing batch does)."""
    pending: list[_Pending] = session.info.pop(_PENDING, [])
    # In key order (a stable sort: equal keys stay in write order), as every claim goes in: two
    # transactions claiming the same keys wait for each other in one order, never in a cycle (deadlock).
    rows = sorted(
        ((p, c) for p in pending for c in p.claims),
        key=lambda row: (row[0].schema.name, row[1].field, row[1].key),
    )
    values = [
        {"tenant_id": p.tenant_id, "object": p.schema.name, "field": c.field, "value_key": c.key,
         "record_id": p.record_id}
        for p, c in rows
    ]  # fmt: skip
    inserted = (
        {tuple(row) for row in (await session.execute(_claims(dialect), values)).all()} if values else set()
    )
    lost = [
        (p, c) for p, c in rows if (p.tenant_id, p.schema.name, c.field, c.key, p.record_id) not in inserted
    ]
    errors: dict[uuid.UUID, DuplicateValue] = {}
    by_scope: dict[tuple[uuid.UUID, str], list[tuple[str, str]]] = {}
    for p, c in lost:
        by_scope.setdefault((p.tenant_id, p.schema.name), []).append((c.field, c.key))
    holders: dict[tuple[uuid.UUID, str], dict[tuple[str, str], uuid.UUID]] = {}
    seen: set[uuid.UUID] = {p.record_id for p in pending}
    for (tenant_id, object_name), keys in by_scope.items():
        found = holders[(tenant_id, object_name)] = await holders_of(session, tenant_id, object_name, keys)
        schema = next(p.schema for p, _ in lost if (p.tenant_id, p.schema.name) == (tenant_id, object_name))
        seen |= await visible(session, schema, tenant_id, set(found.values()) - seen, viewer)
    for p, c in lost:
        holder = holders[(p.tenant_id, p.schema.name)].get((c.field, c.key))
        if holder != p.record_id and p.record_id not in errors:
            errors[p.record_id] = duplicate(
                p.schema, c, holder, named=holder in seen, field_shown=_shows(viewer, p.schema, c.field)
            )
    return errors


def discard_pending(session: AsyncSession) -> None:
    """Forget deferred claims of a batch that failed before claiming them."""
    session.info.pop(_PENDING, None)


async def claim_record(
    session: AsyncSession,
    schema: ObjectSchema,
    tenant_id: uuid.UUID,
    record: Any,
    dialect: str,
    viewer: Viewer | None = None,
) -> None:
    """A restored record claims every unique value it holds again."""
    wanted = [c for spec in unique_specs(schema) for c in claims_of(spec, field_reader(spec)(record))]
    await claim(session, schema, tenant_id, record.id, wanted, dialect, viewer=viewer)


async def release_record(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    object_name: str,
    record_id: uuid.UUID,
    fields: Collection[str] | None = None,
) -> None:
    """Drop a record's claims (all, or those of ``fields``): deleted, purged or erased."""
    statement = delete(UniqueValue).where(
        UniqueValue.tenant_id == tenant_id,
        UniqueValue.object == object_name,
        UniqueValue.record_id == record_id,
    )
    if fields is not None:
        if not fields:
            return
        statement = statement.where(UniqueValue.field.in_(sorted(fields)))
    await session.execute(statement)


def _insert(dialect: str) -> Any:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _claims(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING`` the rows that went in, run with a list of rows: one
    statement whatever their number (SQLAlchemy's insertmanyvalues), compiled once and cached, unlike a
    VALUES list built per call."""
    table = UniqueValue.__table__
    return (
        _insert(dialect)(table)
        .on_conflict_do_nothing(index_elements=["tenant_id", "object", "field", "value_key"])
        .returning(table.c.tenant_id, table.c.object, table.c.field, table.c.value_key, table.c.record_id)
    )


async def claim(
    session: AsyncSession,
    schema: ObjectSchema,
    tenant_id: uuid.UUID,
    record_id: uuid.UUID,
    wanted: Sequence[Claim],
    dialect: str,
    *,
    viewer: Viewer | None = None,
) -> None:
    """Insert ``wanted`` for ``record_id``; 409 (naming the first holder if ``viewer`` may see it) if another
    record has one.

    One round trip when nothing clashes: ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` says which rows
    went in. Under PostgreSQL's READ COMMITTED, a clash with a transaction still in flight waits for it; if it
    commits, the row is not inserted and the lookup that follows (a new statement, a new snapshot) sees its
    holder. A caller that catches the 409 must roll back to a savepoint: the rows that did go in stay."""
    if not wanted:
        return
    rows = [
        {
            "tenant_id": tenant_id,
            "object": schema.name,
            "field": c.field,
            "value_key": c.key,
            "record_id": record_id,
        }
        for c in sorted(wanted, key=lambda c: (c.field, c.key))  # key order: see ``claim_pending``
    ]
    # One row (the usual single write): a plain execute of the cached statement, cheaper than executemany.
    result = await session.execute(_claims(dialect), rows[0] if len(rows) == 1 else rows)
    inserted = {(row.field, row.value_key) for row in result.all()}
    missing = [c for c in wanted if (c.field, c.key) not in inserted]
    if not missing:
        return
    holders = await holders_of(session, tenant_id, schema.name, [(c.field, c.key) for c in missing])
    for c in missing:
        holder = holders.get((c.field, c.key))
        if holder != record_id:  # None: held a moment ago by a transaction that has let go since
            named = holder is not None and holder in await visible(
                session, schema, tenant_id, {holder}, viewer
            )
            raise duplicate(schema, c, holder, named=named, field_shown=_shows(viewer, schema, c.field))


async def visible(
    session: AsyncSession,
    schema: ObjectSchema,
    tenant_id: uuid.UUID,
    ids: Collection[uuid.UUID],
    viewer: Viewer | None,
) -> set[uuid.UUID]:
    """Those of ``ids`` (live records of ``schema``) that ``viewer`` may see; all of them without one."""
    if viewer is None or not ids:
        return set(ids)
    model = schema.model
    found = await session.scalars(
        select(model.id).where(
            *schema.definition.scope(tenant_id),
            model.id.in_(sorted(ids)),
            model.deleted_at.is_(None),
            viewer.sees(schema.definition),
        )
    )
    return set(found)


def _shows(viewer: Viewer | None, schema: ObjectSchema, field: str) -> bool:
    return viewer is None or viewer.shows(schema, field)


async def holders_of(
    session: AsyncSession, tenant_id: uuid.UUID, object_name: str, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], uuid.UUID]:
    """(field, key) -> the live record holding it: one indexed query for any number of keys."""
    if not keys:
        return {}
    rows = await session.execute(
        select(UniqueValue.field, UniqueValue.value_key, UniqueValue.record_id).where(
            UniqueValue.tenant_id == tenant_id,
            UniqueValue.object == object_name,
            tuple_(UniqueValue.field, UniqueValue.value_key).in_(list(keys)),
        )
    )
    return {(field, key): record_id for field, key, record_id in rows.all()}


def duplicate(
    schema: ObjectSchema,
    claim: Claim,
    holder: uuid.UUID | None,
    *,
    named: bool = True,
    field_shown: bool = True,
) -> DuplicateValue:
    """The 409 for ``claim``, held by ``holder`` (None: by a transaction that let go since). ``named``: the
    caller may see the holder, and is told its id; ``field_shown``: they may see the field (a hidden one,
    claimed again by a restore, is named neither by its label nor its path, nor is its value repeated)."""
    if not field_shown:
        return DuplicateValue(
            "Another record already has one of this record's unique values.",
            errors=[FieldError(path="body", message="A unique value is in use.", type="duplicate_value")],
        )
    spec = schema.fields.get(claim.field) or schema.archived[claim.field]
    shown = str(claim.value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    if holder is not None and not named:
        # A record the caller may not see: the value is taken, and that is all they learn.
        return DuplicateValue(
            f"The {spec.label.lower()} '{shown}' is already in use.",
            errors=[
                FieldError(path=f"body.{claim.field}", message="Already in use.", type="duplicate_value")
            ],
            extra={"field": claim.field},
        )
    if holder is None:
        return DuplicateValue(
            f"Another record has just taken the {spec.label.lower()} '{shown}'. Reload and try again.",
            errors=[
                FieldError(path=f"body.{claim.field}", message="Already in use.", type="duplicate_value")
            ],
            extra={"field": claim.field},
        )
    return DuplicateValue(
        f"Another record already has the {spec.label.lower()} '{shown}' (id {holder}).",
        errors=[FieldError(path=f"body.{claim.field}", message="Already in use.", type="duplicate_value")],
        extra={"existing_id": str(holder), "field": claim.field},
    )


# -- metadata: a field becomes unique, or stops being --------------------------------------------------------
async def backfill_field(
    session: AsyncSession, schema: ObjectSchema, tenant_id: uuid.UUID, spec: FieldSpec, dialect: str
) -> None:
    """Claims for every live record's value of ``spec``, a field an admin just made unique; 409 naming the
    records that already share a value (nothing is written then: the admin fixes the data first)."""
    model = schema.model
    if spec.column is not None:
        selected, present = getattr(model, spec.column), getattr(model, spec.column).is_not(None)
    else:
        selected, present = model.custom[spec.name], model.custom[spec.name].as_string().is_not(None)
    rows = await session.execute(
        select(model.id, selected)
        .where(*schema.definition.scope(tenant_id), model.deleted_at.is_(None), present)
        .order_by(model.created_at, model.id)
    )
    holders: dict[str, list[uuid.UUID]] = {}
    claims: list[tuple[uuid.UUID, Claim]] = []
    for record_id, raw in rows.all():
        value = spec.from_column(raw) if spec.column is not None else raw
        for c in claims_of(spec, value):
            ids = holders.setdefault(c.key, [])
            ids.append(record_id)
            if len(ids) == 1:
                claims.append((record_id, c))
    clashes = [(key, ids) for key, ids in holders.items() if len(ids) > 1]
    if clashes:
        raise _clashes(spec, clashes, {c.key: c.value for _, c in claims})
    await release_field(session, tenant_id, schema.name, spec.name)
    for start in range(0, len(claims), _INSERT_CHUNK):
        await session.execute(
            _insert(dialect)(UniqueValue),
            [
                {
                    "tenant_id": tenant_id,
                    "object": schema.name,
                    "field": spec.name,
                    "value_key": c.key,
                    "record_id": record_id,
                }
                for record_id, c in claims[start : start + _INSERT_CHUNK]
            ],
        )


def _clashes(
    spec: FieldSpec, clashes: list[tuple[str, list[uuid.UUID]]], values: Mapping[str, Any]
) -> DuplicateValues:
    shown = [
        {"value": values[key], "record_ids": [str(record_id) for record_id in ids]}
        for key, ids in clashes[:_SHOWN_DUPLICATES]
    ]
    return DuplicateValues(
        f"{len(clashes)} value(s) of '{spec.name}' are shared by several live records; make them "
        "distinct (or delete the extra records) before making the field unique.",
        errors=[
            FieldError(path="body.unique", message="Existing records share values.", type="duplicate_values")
        ],
        extra={"field": spec.name, "duplicates": shown, "duplicate_count": len(clashes)},
    )


async def release_field(session: AsyncSession, tenant_id: uuid.UUID, object_name: str, field: str) -> None:
    """Drop every claim of one field (it stopped being unique)."""
    await session.execute(
        delete(UniqueValue).where(
            UniqueValue.tenant_id == tenant_id,
            UniqueValue.object == object_name,
            UniqueValue.field == field,
        )
    )
