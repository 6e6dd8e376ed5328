"""Converting a field's stored values to what its ``sensitive`` flag says: sealed under the current key,
or plain.

Three callers: an admin switching ``sensitive`` on or off (``switch``), the job that finishes a switch on a
big table (``step``, run by ``kronos.kit.records.tasks``), and ``kronos keys reencrypt`` after a key rotation
(``convert``). Every pass walks the field's record rows by id, then its history rows by (changed_at, id), and
rewrites only the values not yet in the wanted form, so any pass can stop anywhere and a later one picks up
where it matters: the work is resumable by construction, and repeating it is harmless.

A record row is rewritten with ``UPDATE ... WHERE version = <read>``. When a value changes form (plain to
sealed or back), ``version`` goes up by one: a writer that read the record before the conversion then gets a
412 instead of writing the old form back. Re-sealing under a new key leaves ``version`` alone (the value
stays sealed either way, and rotation should not invalidate every client's ETag). A row whose version moved
between our read and our write is read again and retried.

Switching on flips the flag first (new writes are sealed at once; plain values left are read as they are),
then converts. Switching off converts first and flips the flag at the end: until every value is plain, the
field stays sensitive (``decrypting`` marks the switch in progress), so nothing ever reads an envelope as a
value. Up to ``INLINE_LIMIT`` values (records + history rows) are converted in the admin's request; beyond,
a chain of ``field.convert_values`` jobs does ``BATCH`` rows per transaction. A job checks at every step
that the field still wants what it is doing (an admin may have switched back meanwhile) and stops if not.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.crypto import KEYS
from kronos.kit.db import Database
from kronos.kit.errors import NotFound
from kronos.kit.events import emit
from kronos.kit.records import sensitive
from kronos.kit.records.models import CustomRecord, FieldDefinition, FieldHistory
from kronos.kit.records.objects import ObjectDefinition, ObjectRegistry, bump_schema_version

INLINE_LIMIT = 2000
BATCH = 500
JOB = "field.convert_values"
_SAME: Any = object()
_RETRIES = 5
_HISTORY = cast(Table, FieldHistory.__table__)


@dataclass(frozen=True, slots=True)
class Target:
    """One field of one object in one workspace, and the form its values should take."""

    tenant_id: uuid.UUID
    object: str
    field: str
    table: Table
    custom_object: bool
    encrypt: bool

    @classmethod
    def of(cls, definition: ObjectDefinition, tenant_id: uuid.UUID, name: str, *, encrypt: bool) -> Target:
        table: Table = definition.model.__table__
        return cls(tenant_id, definition.name, name, table, definition.custom, encrypt)

    def rows(self) -> list[Any]:
        """The conditions selecting this object's rows of the workspace that hold a value of the field."""
        table = self.table
        clauses = [table.c.tenant_id == self.tenant_id, table.c.custom[self.field].as_string().is_not(None)]
        if self.custom_object:
            clauses.append(table.c.object == self.object)
        return clauses

    def history(self) -> list[Any]:
        return [
            FieldHistory.tenant_id == self.tenant_id,
            FieldHistory.object == self.object,
            FieldHistory.field == self.field,
        ]

    def convert(self, record_id: uuid.UUID, stored: Any) -> Any:
        """``stored`` in the wanted form, or ``_SAME`` when it already is (or is empty)."""
        if stored is None:
            return _SAME
        if self.encrypt:
            if sensitive.key_of(stored) == KEYS.for_writing().current:
                return _SAME
            return sensitive.seal(self.field, record_id, sensitive.reveal(self.field, record_id, stored))
        if not sensitive.is_sealed(stored):
            return _SAME
        return sensitive.reveal(self.field, record_id, stored)


@dataclass(slots=True)
class Progress:
    records_seen: int = 0
    records_changed: int = 0
    history_seen: int = 0
    history_changed: int = 0
    # Records that kept changing while we converted them: left as they were, for the next pass.
    unsettled: int = 0
    # Where the next step starts: ("records", last id) or ("history", last instant, last id); None when done.
    cursor: tuple[Any, ...] | None = ("records", None)

    @property
    def done(self) -> bool:
        return self.cursor is None


async def count_values(session: AsyncSession, target: Target, up_to: int) -> int:
    """How many stored values a full pass would look at (record rows with a value, plus history rows),
    counted no further than ``up_to`` + 1: the question is only whether there are more, and a big table
    need not be counted to the end to say so."""
    table = target.table
    found = 0
    for statement in (
        select(table.c.id).where(*target.rows()),
        select(FieldHistory.id).where(*target.history()),
    ):
        counted = select(func.count()).select_from(statement.limit(up_to + 1 - found).subquery())
        found += int(await session.scalar(counted) or 0)
        if found > up_to:
            break
    return found


async def _convert_record(
    session: AsyncSession, target: Target, record_id: uuid.UUID, version: int, custom: dict[str, Any]
) -> int:
    """1: rewritten; 0: already in form (or gone); -1: it kept changing under us (left for the next pass)."""
    table = target.table
    for _ in range(_RETRIES):
        stored = (custom or {}).get(target.field)
        new = target.convert(record_id, stored)
        if new is _SAME:
            return 0
        bump = int(sensitive.is_sealed(stored) != sensitive.is_sealed(new))
        result = await session.execute(
            update(table)
            .where(table.c.tenant_id == target.tenant_id, table.c.id == record_id, table.c.version == version)
            .values(custom={**custom, target.field: new}, version=version + bump)
        )
        if getattr(result, "rowcount", 0):
            return 1
        fresh = (
            await session.execute(
                select(table.c.version, table.c.custom).where(
                    table.c.tenant_id == target.tenant_id, table.c.id == record_id
                )
            )
        ).first()
        if fresh is None:  # purged meanwhile: nothing left to convert
            return 0
        version, custom = fresh
    return -1


async def step(
    session: AsyncSession, target: Target, progress: Progress, limit: int | None = None
) -> Progress:
    """Convert up to ``limit`` (default ``BATCH``) rows from ``progress.cursor`` on. Updates ``progress``,
    whose cursor is None once everything is done."""
    limit = limit or BATCH
    cursor = progress.cursor
    if cursor is None:
        return progress
    if cursor[0] == "records":
        table = target.table
        statement = select(table.c.id, table.c.version, table.c.custom).where(*target.rows())
        if cursor[1] is not None:
            statement = statement.where(table.c.id > cursor[1])
        rows = (await session.execute(statement.order_by(table.c.id).limit(limit))).all()
        for record_id, version, custom in rows:
            progress.records_seen += 1
            outcome = await _convert_record(session, target, record_id, version, custom)
            progress.records_changed += outcome > 0
            progress.unsettled += outcome < 0
        progress.cursor = ("records", rows[-1][0]) if len(rows) == limit else ("history", None, None)
        return progress
    h = FieldHistory
    query = select(h.id, h.record_id, h.old_value, h.new_value, h.changed_at).where(*target.history())
    if cursor[1] is not None:
        at, last = cursor[1], cursor[2]
        query = query.where(or_(h.changed_at > at, and_(h.changed_at == at, h.id > last)))
    found = (await session.execute(query.order_by(h.changed_at, h.id).limit(limit))).all()
    for row_id, record_id, old, new, _ in found:
        progress.history_seen += 1
        old_form, new_form = target.convert(record_id, old), target.convert(record_id, new)
        if old_form is _SAME and new_form is _SAME:
            continue
        values = {}
        if old_form is not _SAME:
            values["old_value"] = old_form
        if new_form is not _SAME:
            values["new_value"] = new_form
        await session.execute(
            update(_HISTORY)
            .where(FieldHistory.tenant_id == target.tenant_id, FieldHistory.id == row_id)
            .values(**values)
        )
        progress.history_changed += 1
    progress.cursor = ("history", found[-1][4], found[-1][0]) if len(found) == limit else None
    return progress


async def convert(
    session: AsyncSession,
    target: Target,
    *,
    limit: int | None = None,
    after_step: Callable[[Progress], Awaitable[None]] | None = None,
) -> Progress:
    """Every value of the field, step by step; ``after_step`` (e.g. commit and report) after each."""
    progress = Progress()
    while not progress.done:
        await step(session, target, progress, limit)
        if after_step is not None:
            await after_step(progress)
    return progress


# -- switching a field -----------------------------------------------------------------------------------
async def switch(
    session: AsyncSession, definition: ObjectDefinition, row: FieldDefinition, *, on: bool
) -> None:
    """An admin switched ``row`` (a field of ``definition``) on or off: convert its values now if there are
    few, else start the job; the flag follows the module docstring's order. The caller bumps the schema."""
    if on:
        KEYS.for_writing()  # 409 on a production server without keys, before anything changes
        row.sensitive, row.decrypting = True, False
    target = Target.of(definition, row.tenant_id, row.api_name, encrypt=on)
    if await count_values(session, target, INLINE_LIMIT) <= INLINE_LIMIT:
        await convert(session, target)
        row.sensitive, row.decrypting = on, False
        return
    if not on:
        row.decrypting = True  # still sensitive until the job has decrypted everything
    emit(session, JOB, job_payload(target, Progress()), tenant_id=row.tenant_id)


def job_payload(target: Target, progress: Progress) -> dict[str, Any]:
    cursor = progress.cursor
    assert cursor is not None
    return {
        "object": target.object,
        "field": target.field,
        "table": target.table.name,
        "custom_object": target.custom_object,
        "encrypt": target.encrypt,
        "cursor": [cursor[0], *(None if part is None else str(part) for part in cursor[1:])],
    }


def _cursor(raw: list[Any]) -> tuple[Any, ...]:
    if raw[0] == "records":
        return ("records", None if raw[1] is None else uuid.UUID(raw[1]))
    if raw[1] is None:
        return ("history", None, None)
    return ("history", datetime.fromisoformat(raw[1]), uuid.UUID(raw[2]))


async def wanted(session: AsyncSession, target: Target) -> FieldDefinition | None:
    """The field's definition if it still wants ``target``'s form, else None (a newer switch took over)."""
    row = await session.scalar(
        select(FieldDefinition).where(
            FieldDefinition.tenant_id == target.tenant_id,
            FieldDefinition.object == target.object,
            FieldDefinition.api_name == target.field,
            FieldDefinition.deleted_at.is_(None),
        )
    )
    if row is None or not row.sensitive or row.decrypting == target.encrypt:
        return None
    return row


async def run_job(session: AsyncSession, tenant_id: uuid.UUID, payload: dict[str, Any]) -> Progress:
    """One step of the job ``switch`` started; the next one is emitted in the same transaction."""
    from kronos.models import Base  # every table, also in a worker that imported nothing else

    table = Base.metadata.tables[str(payload["table"])]
    target = Target(
        tenant_id,
        str(payload["object"]),
        str(payload["field"]),
        table,
        bool(payload["custom_object"]),
        bool(payload["encrypt"]),
    )
    progress = Progress(cursor=_cursor(list(payload["cursor"])))
    row = await wanted(session, target)
    if row is None:
        progress.cursor = None
        return progress
    await step(session, target, progress)
    if not progress.done:
        emit(session, JOB, job_payload(target, progress), tenant_id=tenant_id)
    elif not target.encrypt:
        row.sensitive, row.decrypting = False, False
        await bump_schema_version(session, tenant_id)
    return progress


# -- every sensitive field: after a key rotation (``kronos keys reencrypt``) ---------------------------------
async def reencrypt(
    db: Database, registry: ObjectRegistry, *, batch: int, report: Callable[[str, Progress], None]
) -> list[tuple[str, Progress]]:
    """Every value of every sensitive field, in every workspace, sealed under the current key (and switches
    off that a job has not finished, finished): one transaction per ``batch`` rows, ``report`` after each.
    Resumable: run it again after an interruption and it rewrites only what is still to do."""
    KEYS.for_writing()
    async with db.read_session() as session:
        fields = (
            await session.scalars(
                select(FieldDefinition)
                .where(FieldDefinition.sensitive.is_(True), FieldDefinition.deleted_at.is_(None))
                .order_by(FieldDefinition.tenant_id, FieldDefinition.object, FieldDefinition.api_name)
            )
        ).all()
    done: list[tuple[str, Progress]] = []
    for row in fields:
        label = f"{row.object}.{row.api_name} (workspace {row.tenant_id})"
        async with db.read_session() as session:
            try:
                definition = await registry.definition(session, row.tenant_id, row.object, archived=True)
            except NotFound:  # a custom object no longer served: its records are still in custom_records
                definition = ObjectDefinition(
                    row.object, row.object, row.object, row.object, CustomRecord, (), custom=True
                )
        target = Target.of(definition, row.tenant_id, row.api_name, encrypt=not row.decrypting)
        progress = Progress()
        while not progress.done:
            async with db.write_session() as session:
                current = await wanted(session, target)
                if current is None:  # switched meanwhile: the switch's own job has it
                    break
                await step(session, target, progress, batch)
                if progress.done and not target.encrypt:
                    current.sensitive, current.decrypting = False, False
                    await bump_schema_version(session, row.tenant_id)
            report(label, progress)
        done.append((label, progress))
    return done
