"""Running one handler for one event, the same way on both buses.

The receipt is written in the handler's own transaction: the event counts as handled exactly when the
handler's effects are committed, so a redelivery (after a crash before the ack, a relay that published twice,
a replay of something that meanwhile succeeded) is skipped.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kronos.kit.db import Database
from kronos.kit.events.models import ConsumerReceipt, DeadLetter
from kronos.kit.events.registry import Consumer, ConsumerContext, Event
from kronos.kit.logging import get_logger

_log = get_logger("kronos.events")

Outcome = Literal["handled", "duplicate"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a failing handler is retried before its event is dead-lettered."""

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed ``attempt`` (1-based): exponential, capped."""
        return float(min(self.base_delay * 2 ** (attempt - 1), self.max_delay))


async def _has_receipt(db: Database, consumer: str, event_id: uuid.UUID) -> bool:
    async with db.read_session() as session:
        return await session.get(ConsumerReceipt, (consumer, event_id)) is not None


async def run_handler(
    db: Database, consumer: Consumer, event: Event, *, attempt: int = 1, redelivered: bool = False
) -> Outcome:
    """Run ``consumer`` on ``event`` in its own transaction, unless it already handled it. Raises what the
    handler raises (after rolling back)."""
    log = _log.bind(consumer=consumer.name, event_name=event.name, event_id=str(event.id), attempt=attempt)
    try:
        async with db.write_session() as session:
            if await session.get(ConsumerReceipt, (consumer.name, event.id)) is not None:
                log.debug("already handled; skipped")
                return "duplicate"
            session.add(ConsumerReceipt(consumer=consumer.name, event_id=event.id))
            # Flushing the receipt first takes the (consumer, event) key: on PostgreSQL a concurrent delivery
            # of the same event waits here and then fails on the key instead of running the handler twice.
            await session.flush()
            ctx = ConsumerContext(
                session=session, consumer=consumer.name, attempt=attempt, redelivered=redelivered, log=log
            )
            await consumer.handler(ctx, event)
    except IntegrityError:
        if await _has_receipt(db, consumer.name, event.id):
            log.debug("handled concurrently by another delivery; skipped")
            return "duplicate"
        raise
    return "handled"


async def record_dead_letter(
    db: Database, consumer: str, event: Event, error: BaseException, attempts: int
) -> None:
    """Keep an event a consumer gave up on. Idempotent: a redelivered last attempt adds no second row."""
    async with db.write_session() as session:
        pending = await session.scalar(
            select(DeadLetter.id).where(
                DeadLetter.consumer == consumer,
                DeadLetter.event_id == event.id,
                DeadLetter.replayed_at.is_(None),
            )
        )
        if pending is not None:
            return
        session.add(
            DeadLetter(
                tenant_id=event.tenant_id,
                consumer=consumer,
                event_id=event.id,
                event_name=event.name,
                payload=event.payload,
                error=f"{type(error).__name__}: {error}"[:4000],
                attempts=attempts,
            )
        )
    _log.error(
        "event dead-lettered",
        consumer=consumer,
        event_name=event.name,
        event_id=str(event.id),
        attempts=attempts,
        error=f"{type(error).__name__}: {error}"[:500],
    )
