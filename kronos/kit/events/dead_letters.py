"""The dead-letter store: what consumers gave up on, for an admin to inspect and replay (per workspace)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.clock import utcnow
from kronos.kit.errors import Conflict, NotFound
from kronos.kit.events.models import DeadLetter, OutboxEvent
from kronos.kit.events.outbox import add_replay


class DeadLetterNotFound(NotFound):
    code = "dead_letter_not_found"


class DeadLetterAlreadyReplayed(Conflict):
    code = "dead_letter_already_replayed"


async def list_dead_letters(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    consumer: str | None = None,
    limit: int = 50,
    after: uuid.UUID | None = None,
) -> Sequence[DeadLetter]:
    """Newest first; ``after`` is the id of the last row of the previous page (keyset, never OFFSET)."""
    statement = select(DeadLetter).where(DeadLetter.tenant_id == tenant_id)
    if consumer is not None:
        statement = statement.where(DeadLetter.consumer == consumer)
    if after is not None:
        statement = statement.where(DeadLetter.id < after)
    rows = await session.scalars(statement.order_by(DeadLetter.id.desc()).limit(limit))
    return rows.all()


async def get_dead_letter(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> DeadLetter:
    row = await session.scalar(
        select(DeadLetter).where(DeadLetter.tenant_id == tenant_id, DeadLetter.id == id)
    )
    if row is None:
        raise DeadLetterNotFound(f"No dead letter {id} in this workspace.")
    return row


async def replay_dead_letter(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> DeadLetter:
    """Deliver the event again to the consumer that gave up on it, once the caller's transaction commits.

    If it fails again it is retried and, in the end, dead-lettered anew as a new row.
    """
    row = await get_dead_letter(session, tenant_id, id)
    if row.replayed_at is not None:
        raise DeadLetterAlreadyReplayed(f"Dead letter {id} was already replayed at {row.replayed_at}.")
    row.replayed_at = utcnow()
    original = await session.get(OutboxEvent, row.event_id)
    occurred_at = original.created_at if original is not None else row.created_at
    add_replay(
        session,
        consumer=row.consumer,
        event_id=row.event_id,
        event_name=row.event_name,
        payload=row.payload,
        occurred_at=occurred_at.isoformat(),
        tenant_id=row.tenant_id,
    )
    await session.flush()
    return row
