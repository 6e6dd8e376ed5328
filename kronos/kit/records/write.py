"""The one write path: every create, update, delete and restore of every object goes through ``write_record``.

Inside the caller's transaction (it never commits) it checks unique values and relations, applies the
validated changes, lets the mapper bump ``version`` (``UPDATE ... WHERE version = <loaded>``), writes one
``field_history`` row per changed field — all with the same ``changed_at`` and ``change_set_id`` — and
writes an outbox event. If any of it fails, the request's transaction rolls back and nothing is stored:
neither the change nor its history nor its event.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from kronos.kit.clock import utcnow
from kronos.kit.errors import Conflict, FieldError, NotFound, PreconditionFailed, ValidationFailed
from kronos.kit.events import emit
from kronos.kit.ids import uuid7
from kronos.kit.records import sensitive, stints, unique
from kronos.kit.records.fields import FieldSpec, FieldType
from kronos.kit.records.members import check_members
from kronos.kit.records.models import FieldHistory
from kronos.kit.records.objects import (
    ObjectDefinition,
    ObjectSchema,
    Resolver,
    load_schema,
    money_value,
)
from kronos.kit.records.unique import DuplicateValue as DuplicateValue  # re-exported: routers list it
from kronos.kit.records.viewer import Viewer

Source = Literal["ui", "api", "import", "workflow", "system"]
Op = Literal["create", "update", "delete", "restore"]
_EVENT_SUFFIX = {"create": "created", "update": "updated", "delete": "deleted", "restore": "restored"}
_DEFERRED_HISTORY = "kronos.deferred_history"


class _Switches:
    # Set from ``Settings.bench_disable_history`` by the app factory; only bench/ turns it off.
    history = True


SWITCHES = _Switches()


class VersionMismatch(PreconditionFailed):
    code = "version_mismatch"


class StillReferenced(Conflict):
    code = "still_referenced"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change and through what; stored on every history row of the change set."""

    user_id: uuid.UUID | None
    api_key_id: uuid.UUID | None
    source: Source


@dataclass(frozen=True, slots=True)
class WriteContext:
    """What a ``before_write`` hook sees: the transaction, the object, the operation and who makes it."""

    session: AsyncSession
    schema: ObjectSchema
    tenant_id: uuid.UUID
    op: Op
    actor: Actor
    now: datetime
    dialect: str
    resolve: Resolver | None

    def value(self, record: Any, changes: Mapping[str, Any], name: str) -> Any:
        """The value ``name`` will have once ``changes`` apply (canonical JSON form)."""
        if name in changes:
            return changes[name]
        if self.op == "create":
            return None
        return read_value(self.schema.fields[name], record)

    def before(self, record: Any, name: str) -> Any:
        """The value ``name`` has now (None on create)."""
        return None if self.op == "create" else read_value(self.schema.fields[name], record)

    async def write(
        self, object_name: str, *, op: Op, record: Any = None, changes: Mapping[str, Any] | None = None
    ) -> WriteResult:
        """Another record changed by a rule, through the same path (its own history and event)."""
        if self.resolve is None:
            raise RuntimeError("this write path was called without an object resolver")
        schema = await load_schema(self.session, self.tenant_id, await self.resolve(object_name))
        return await write_record(
            self.session,
            schema,
            self.tenant_id,
            op=op,
            actor=self.actor,
            record=record,
            changes=changes,
            resolve=self.resolve,
            dialect=self.dialect,
        )


@dataclass(frozen=True, slots=True)
class WriteResult:
    record: Any
    changed: list[str]
    change_set_id: uuid.UUID | None


def read_value(spec: FieldSpec, record: Any) -> Any:
    """A field's canonical JSON value on a loaded record."""
    if spec.column is not None:
        if spec.currency_column is not None:
            amount = getattr(record, spec.column)
            return None if amount is None else money_value(amount, getattr(record, spec.currency_column))
        return spec.from_column(getattr(record, spec.column))
    if spec.sensitive:
        return sensitive.reveal(spec.name, record.id, (record.custom or {}).get(spec.name))
    return (record.custom or {}).get(spec.name)


def assign_value(spec: FieldSpec, record: Any, value: Any) -> None:
    """Store a canonical value in a standard field's typed column(s)."""
    assert spec.column is not None
    if spec.currency_column is not None:
        setattr(record, spec.column, None if value is None else value["amount_minor"])
        setattr(record, spec.currency_column, None if value is None else value["currency"])
        return
    setattr(record, spec.column, spec.to_column(value))


def for_update(statement: Any, dialect: str, *, of: Any = None) -> Any:
    """``statement`` (a SELECT of records about to be written) made to lock its rows until the transaction
    ends, and to refresh objects the session already holds with what it reads.

    Why: the write path reads a record, then writes ``UPDATE ... WHERE version = <read>``. Two writers that
    read the same version both pass the If-Match check (or send none), and under PostgreSQL's READ COMMITTED
    the second UPDATE then matches no row: a lost race, not a client's mistake. With ``FOR UPDATE`` the
    second reader waits at the SELECT until the first commits and then reads the row as the first left it, so
    a write without If-Match applies on top of the one before it, and one with a stale If-Match gets its 412.
    Rows of a batch are locked in id order, so two batches never wait for each other in a cycle. SQLite has
    no row locks and needs none: a write transaction starts with ``BEGIN IMMEDIATE`` (``kronos.kit.db``), so
    writers already run one after the other from their first read."""
    if dialect == "postgresql":
        statement = statement.with_for_update(of=of)
    return statement.execution_options(populate_existing=True)


def version_mismatch(expected: int, actual: int | None) -> VersionMismatch:
    headers = {"ETag": f'"{actual}"'} if actual is not None else None
    return VersionMismatch(
        f"The record changed since you read it (you sent version {expected}"
        + (f", it is now at {actual}" if actual is not None else "")
        + "). Reload it and apply your change again.",
        headers=headers,
        extra={"current_version": actual} if actual is not None else None,
    )


async def write_record(
    session: AsyncSession,
    schema: ObjectSchema,
    tenant_id: uuid.UUID,
    *,
    op: Op,
    actor: Actor,
    record: Any = None,
    changes: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    resolve: Resolver | None = None,
    dialect: str = "sqlite",
    deferred: bool = False,
    viewer: Viewer | None = None,
) -> WriteResult:
    """Apply one change set to one record. ``changes`` holds validated canonical values by field name.

    ``viewer``: the caller, whose errors tell nothing of records they may not see (``kronos.kit.records
    .viewer``): a unique value such a record holds is "taken" without its id, a relation to one is a 422 as
    for a missing one. It applies to the values the caller sent; a ``before_write`` rule is trusted with the
    values it sets (they are checked to exist, as the rule's own references).

    ``deferred``: the caller writes many records in one transaction (an all-or-nothing batch), then claims
    their unique values in one statement (``unique.claim_pending``), flushes once and inserts their history
    rows in one statement (``insert_deferred_history``): a few round trips per batch instead of a few per
    record. Errors the database finds then are the caller's to report."""
    changes = dict(changes or {})
    sent = dict(changes)
    if record is not None and expected_version is not None and record.version != expected_version:
        raise version_mismatch(expected_version, record.version)
    now = utcnow()
    if op == "create":
        record = schema.definition.new_record(tenant_id)
    assert record is not None
    if schema.definition.before_write:
        context = WriteContext(session, schema, tenant_id, op, actor, now, dialect, resolve)
        for hook in schema.definition.before_write:
            await hook(context, record, changes)
    diffs: list[tuple[str, Any, Any]] = []
    if op in ("create", "update"):
        custom = dict(record.custom or {})
        for name, new in changes.items():
            spec = schema.fields[name]
            old = None if op == "create" else read_value(spec, record)
            if old == new and type(old) is type(new):
                continue
            diffs.append((name, old, new))
            if spec.column is not None:
                assign_value(spec, record, new)
            elif new is None:
                custom.pop(name, None)
            else:
                custom[name] = sensitive.seal(name, record.id, new) if spec.sensitive else new
        if op == "update" and not diffs:
            return WriteResult(record, [], None)
        # Archived fields' values stay in ``custom`` untouched: archiving never loses data.
        record.custom = custom
        await check_members(session, schema, tenant_id, diffs, actor.user_id)
        await unique.apply_changes(
            session, schema, tenant_id, record.id, diffs, dialect, deferred=deferred, viewer=viewer
        )
        if resolve is not None:
            # Only what changes is checked (a link kept as it was is not the caller's to answer for), and
            # the caller's own values as the caller sees (a rule's as the rule's).
            await _check_relations(
                session,
                schema,
                tenant_id,
                {name: new for name, _, new in diffs},
                resolve,
                viewer=viewer,
                named={name for name, _, new in diffs if name in sent and sent[name] == new},
                before={name: old for name, old, _ in diffs},
            )
    elif op == "delete":
        diffs.append(("deleted_at", None, _iso(now)))
        record.deleted_at = now
        if unique.unique_specs(schema):  # uniqueness is among live records: a deleted one frees its values
            await unique.release_record(session, tenant_id, schema.name, record.id)
    else:  # restore
        diffs.append(("deleted_at", _iso(record.deleted_at), None))
        record.deleted_at = None
        await unique.claim_record(session, schema, tenant_id, record, dialect, viewer)
    record.updated_at = now
    if op == "create":
        record.created_at = now
        session.add(record)
    change_set_id = uuid7()
    # Sensitive values are stored sealed in history as in the record; everything else sees them plain.
    stored = sensitive.sealed_diffs(schema, record.id, diffs) if schema.sensitive else diffs
    history = [
        {
            "tenant_id": tenant_id,
            "id": uuid7(),
            "object": schema.name,
            "record_id": record.id,
            "field": name,
            "op": op,
            "old_value": old,
            "new_value": new,
            "changed_at": now,
            "change_set_id": change_set_id,
            "actor_user_id": actor.user_id,
            "actor_api_key_id": actor.api_key_id,
            "source": actor.source,
        }
        for name, old, new in (stored if SWITCHES.history else ())
    ]
    if deferred:  # plain rows, inserted for the whole batch by ``insert_deferred_history``
        session.info.setdefault(_DEFERRED_HISTORY, []).extend(history)
    else:
        session.add_all(FieldHistory(**row) for row in history)
    # The mapper sets ``version`` at flush: 1 on insert, one more on every update (deferred: not yet).
    version = 1 if op == "create" else int(record.version) + 1
    try:
        if not deferred:
            await session.flush()
    except StaleDataError:
        # Another transaction updated the row after we read it (read without ``for_update``). The failed
        # flush rolled the session back: ``record`` must not be read any more (its attributes are expired,
        # and loading them again raises PendingRollbackError), so the version is the one computed above.
        raise version_mismatch(expected_version or version - 1, None) from None
    except IntegrityError:
        # The database's unique index caught a race the check above could not see.
        raise DuplicateValue("A record with one of these unique values was just created.") from None
    if SWITCHES.history:  # the stints the history rows imply (time in state), in the same transaction
        await stints.track(session, schema, tenant_id, op, record, diffs, now)
    # The outbox row joins the same transaction: no event without the change, no change without its event.
    _emit(
        session,
        f"{schema.definition.singular}.{_EVENT_SUFFIX[op]}",
        {
            "object": schema.name,
            "id": str(record.id),
            "version": version,
            "change_set_id": str(change_set_id),
            "fields": [name for name, _, _ in diffs],
            "actor_user_id": str(actor.user_id) if actor.user_id else None,
            "source": actor.source,
        },
        tenant_id,
    )
    return WriteResult(record, [name for name, _, _ in diffs], change_set_id)


async def insert_deferred_history(session: AsyncSession) -> None:
    """The history rows of deferred writes, in one multi-row INSERT rather than as thousands of ORM objects
    (building and flushing those was most of a 1,000-record batch's time). Call after the batch's flush."""
    rows = session.info.pop(_DEFERRED_HISTORY, [])
    # A NULL renders differently from a JSON value, and each change of shape starts a new INSERT: group them.
    rows.sort(key=lambda row: (row["old_value"] is None, row["new_value"] is None))
    if rows:
        await session.execute(insert(FieldHistory), rows)


def discard_deferred_history(session: AsyncSession) -> None:
    session.info.pop(_DEFERRED_HISTORY, None)


async def purge_record(
    session: AsyncSession, schema: ObjectSchema, tenant_id: uuid.UUID, record: Any, actor: Actor
) -> None:
    """Delete a (soft-deleted) record's row for good. History is kept and gains a ``purge`` row; the
    outbox gets ``<singular>.purged``. A foreign key still pointing at the row: a 409 that changes nothing."""
    now = utcnow()
    change_set_id = uuid7()
    session.add(
        FieldHistory(
            tenant_id=tenant_id,
            id=uuid7(),
            object=schema.name,
            record_id=record.id,
            field="deleted_at",
            op="purge",
            old_value=_iso(record.deleted_at),
            new_value=None,
            changed_at=now,
            change_set_id=change_set_id,
            actor_user_id=actor.user_id,
            actor_api_key_id=actor.api_key_id,
            source=actor.source,
        )
    )
    await session.delete(record)
    await unique.release_record(session, tenant_id, schema.name, record.id)  # none left, unless data drifted
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise StillReferenced(
            f"Other records still point at this {schema.definition.label.lower()}; "
            "change or purge them first."
        ) from None
    _emit(
        session,
        f"{schema.definition.singular}.purged",
        {
            "object": schema.name,
            "id": str(record.id),
            "change_set_id": str(change_set_id),
            "actor_user_id": str(actor.user_id) if actor.user_id else None,
            "source": actor.source,
        },
        tenant_id,
    )


def _iso(value: Any) -> Any:
    return FieldSpec("deleted_at", "", FieldType.DATETIME).from_column(value)


# A batch's relation lookups (``prefetch_relations``): (workspace, object, as the viewer sees) -> related id
# -> live (and visible)?
_KNOWN_RELATIONS = "kronos.known_relations"
# Ids per lookup query: a 1,000-record batch's relations stay one query, under the drivers' parameter limits.
_IDS_PER_QUERY = 5000


def _related(
    schema: ObjectSchema, changes: Mapping[str, Any], before: Mapping[str, Any] | None = None
) -> list[tuple[str, str, set[uuid.UUID]]]:
    """(field, target object, ids) for each object a change set's relations, relation lists and record links
    point into, in field order; with ``before`` (the fields' values until now), only the ids they add."""
    related: list[tuple[str, str, set[uuid.UUID]]] = []
    for name, value in changes.items():
        spec = schema.fields[name]
        if value is None or spec.type not in (FieldType.RELATION, FieldType.RECORD_LINK):
            continue
        wanted: dict[str, set[uuid.UUID]] = {}
        for item in value if isinstance(value, list) else [value]:
            if spec.type == FieldType.RECORD_LINK:
                wanted.setdefault(item["object"], set()).add(uuid.UUID(item["id"]))
            else:
                wanted.setdefault(str(spec.settings["target"]), set()).add(uuid.UUID(item))
        had = _related(schema, {name: before[name]}) if before and before.get(name) is not None else []
        for _, object_name, ids in had:
            wanted[object_name] = wanted.get(object_name, set()) - ids
        related += [(name, object_name, ids) for object_name, ids in wanted.items() if ids]
    return related


def _live(target: ObjectDefinition, tenant_id: uuid.UUID, viewer: Viewer | None) -> list[Any]:
    """The conditions of a record a relation may point at: live, in this workspace, seen by ``viewer``."""
    model = target.model
    conditions = [*target.scope(tenant_id), model.deleted_at.is_(None)]
    return conditions if viewer is None else [*conditions, viewer.sees(target)]


async def _look_up(
    session: AsyncSession,
    target: ObjectDefinition,
    tenant_id: uuid.UUID,
    ids: Collection[uuid.UUID],
    known: dict[uuid.UUID, bool],
    viewer: Viewer | None,
) -> None:
    """Record in ``known`` whether each of ``ids`` is a live record of ``target`` in this workspace (that
    ``viewer`` may see)."""
    model, ordered = target.model, sorted(ids)
    for start in range(0, len(ordered), _IDS_PER_QUERY):
        chunk = ordered[start : start + _IDS_PER_QUERY]
        live = set(
            await session.scalars(
                select(model.id).where(*_live(target, tenant_id, viewer), model.id.in_(chunk))
            )
        )
        known.update((key, key in live) for key in chunk)


def _known(
    known: dict[tuple[uuid.UUID, str, bool], dict[uuid.UUID, bool]],
    tenant_id: uuid.UUID,
    target: ObjectDefinition,
    viewer: Viewer | None,
) -> dict[uuid.UUID, bool]:
    # A batch has one viewer: answers are kept apart only from those for a rule's values (no viewer).
    return known.setdefault((tenant_id, target.name, viewer is not None), {})


async def prefetch_relations(
    session: AsyncSession,
    schema: ObjectSchema,
    tenant_id: uuid.UUID,
    batch: Iterable[Mapping[str, Any]],
    resolve: Resolver,
    viewer: Viewer | None = None,
) -> None:
    """Look up every record the change sets of ``batch`` point at, one query per target object (per 5,000
    ids), and remember for the session which are live (and seen by ``viewer``, the batch's caller):
    ``_check_relations`` then answers from memory, so a batch of 1,000 contacts costs one query on
    companies, not 1,000. The caller ends the batch with ``forget_relations``: a remembered answer must not
    outlive the batch (a later write of the transaction may delete the record). A single write never
    prefetches and is checked as it always was."""
    known = session.info.setdefault(_KNOWN_RELATIONS, {})
    wanted: dict[str, set[uuid.UUID]] = {}
    for changes in batch:
        for _, object_name, ids in _related(schema, changes):
            wanted.setdefault(object_name, set()).update(ids)
    for object_name, ids in wanted.items():
        try:
            target = await resolve(object_name)
        except NotFound:
            continue  # each change set naming it gets its own error from ``_check_relations``
        live = _known(known, tenant_id, target, viewer)
        await _look_up(session, target, tenant_id, ids - live.keys(), live, viewer)


def forget_relations(session: AsyncSession) -> None:
    session.info.pop(_KNOWN_RELATIONS, None)


async def relation_error(
    session: AsyncSession,
    schema: ObjectSchema,
    tenant_id: uuid.UUID,
    changes: Mapping[str, Any],
    resolve: Resolver,
    *,
    viewer: Viewer | None = None,
    before: Mapping[str, Any] | None = None,
) -> ValidationFailed | None:
    """The 422 ``write_record`` answers when a related record of ``changes`` (that ``before`` did not hold
    already) does not exist or ``viewer`` may not see it, or None."""
    try:
        await _check_relations(session, schema, tenant_id, changes, resolve, viewer=viewer, before=before)
    except ValidationFailed as exc:
        return exc
    return None


async def _check_relations(
    session: AsyncSession,
    schema: ObjectSchema,
    tenant_id: uuid.UUID,
    changes: Mapping[str, Any],
    resolve: Resolver,
    *,
    viewer: Viewer | None = None,
    named: Collection[str] | None = None,
    before: Mapping[str, Any] | None = None,
) -> None:
    """Every related record (relations, relation lists, record links) exists, live, in this workspace, and
    ``viewer`` may see it if given (for the fields in ``named``; all when None): a record they may not see
    answers exactly like a missing one. With ``before``, ids a field already held are not asked about again.

    Inside a batch (``prefetch_relations``) the answers come from the batch's lookups, and an id they did not
    cover (a value a ``before_write`` hook set) is looked up once and remembered with them."""
    known: dict[tuple[uuid.UUID, str, bool], dict[uuid.UUID, bool]] | None = session.info.get(
        _KNOWN_RELATIONS
    )
    errors: list[FieldError] = []
    for name, object_name, ids in _related(schema, changes, before):
        try:
            target = await resolve(object_name)
        except NotFound:
            errors.append(
                FieldError(
                    path=f"body.{name}",
                    message=f"No object named '{object_name}'.",
                    type="unknown_object",
                )
            )
            continue
        seen_by = viewer if named is None or name in named else None
        if known is None:
            model = target.model
            found = await session.scalar(
                select(func.count())
                .select_from(model)
                .where(*_live(target, tenant_id, seen_by), model.id.in_(ids))
            )
            exists = found == len(ids)
        else:
            live = _known(known, tenant_id, target, seen_by)
            await _look_up(session, target, tenant_id, ids - live.keys(), live, seen_by)
            exists = all(live[key] for key in ids)
        if not exists:
            errors.append(
                FieldError(path=f"body.{name}", message="No such record.", type="relation_not_found")
            )
    if errors:
        raise ValidationFailed("; ".join(f"{e.path}: {e.message}" for e in errors), errors=errors)


def _emit(session: AsyncSession, name: str, payload: dict[str, Any], tenant_id: uuid.UUID) -> None:
    emit(session, name, payload, tenant_id=tenant_id)
