"""Helpers for the event machinery's tests: a probe consumer that records what it saw, bounded waiting."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from kronos.kit.db import Database
from kronos.kit.events import ConsumerContext, Event, Registry, emit
from kronos.kit.events.models import ConsumerReceipt, DeadLetter, OutboxEvent
from kronos.kit.events.relay import RelayOptions

FAST_RELAY = RelayOptions(poll_interval=0.05, backoff=0.05, max_backoff=0.2)
TENANT = uuid.UUID("0190a000-0000-7000-8000-000000000001")


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float = 5.0, what: str = "") -> None:
    """Wait until ``check()`` holds, polling; fail after ``timeout`` seconds (a bound, not a measurement)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"not reached within {timeout}s: {what or check}")
        await asyncio.sleep(0.01)


@dataclass
class Probe:
    """A consumer that records each call; ``fail_times`` makes its first calls raise."""

    name: str = field(default_factory=lambda: f"probe_{uuid.uuid4().hex[:10]}")
    fail_times: int = 0
    calls: list[tuple[Event, int, bool]] = field(default_factory=list)
    registry: Registry = field(default_factory=Registry)
    patterns: tuple[str, ...] = ("probe.*",)
    on_call: Callable[[ConsumerContext, Event], Awaitable[None]] | None = None

    def __post_init__(self) -> None:
        @self.registry.consumer(self.name, events=self.patterns)
        async def handle(ctx: ConsumerContext, event: Event) -> None:
            self.calls.append((event, ctx.attempt, ctx.redelivered))
            if self.on_call is not None:
                await self.on_call(ctx, event)
            if len(self.calls) <= self.fail_times:
                raise RuntimeError(f"probe failure {len(self.calls)}")
            # A transactional effect, visible only if the handler's transaction committed.
            emit(ctx.session, "probe_seen.recorded", {"event_id": str(event.id)}, tenant_id=event.tenant_id)

    def names(self) -> list[str]:
        return [event.name for event, _, _ in self.calls]


async def emit_committed(db: Database, name: str, payload: dict[str, Any] | None = None) -> uuid.UUID:
    async with db.write_session() as session:
        row = emit(session, name, payload or {}, tenant_id=TENANT)
        await session.flush()
        return row.id


async def count(db: Database, model: Any, *where: Any) -> int:
    async with db.read_session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def effects(db: Database, event_id: uuid.UUID) -> int:
    """How many committed handler runs saw ``event_id`` (the probe's follow-up events)."""
    async with db.read_session() as session:
        rows = await session.scalars(select(OutboxEvent).where(OutboxEvent.name == "probe_seen.recorded"))
        return sum(1 for row in rows if row.payload["event_id"] == str(event_id))


async def receipts(db: Database, consumer: str) -> int:
    return await count(db, ConsumerReceipt, ConsumerReceipt.consumer == consumer)


async def dead_letters(db: Database, consumer: str) -> list[DeadLetter]:
    async with db.read_session() as session:
        rows = await session.scalars(
            select(DeadLetter).where(DeadLetter.consumer == consumer).order_by(DeadLetter.id)
        )
        return list(rows)


async def pending(db: Database, event_id: uuid.UUID) -> bool:
    async with db.read_session() as session:
        row = await session.get(OutboxEvent, event_id)
        assert row is not None
        return row.published_at is None
