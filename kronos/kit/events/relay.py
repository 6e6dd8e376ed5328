"""The outbox relay: moves committed events from the ``outbox_events`` table to the bus.

It wakes when a transaction that emitted events commits, and polls every ``poll_interval`` seconds as a
safety net (another process's commits, a missed wake-up). Rows are claimed in id order. On PostgreSQL the
claim is ``FOR UPDATE SKIP LOCKED`` held while publishing to a durable bus, so several relays share the work
without publishing a row twice at once; SQLite has one writer and so one relay.

Delivery is at-least-once: a row is marked published only after the bus confirmed it (or, in process, after
every consumer settled it). If the process dies at any point the row is still pending and goes out again;
consumer receipts make the repeat harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select, update

from kronos.kit.clock import utcnow
from kronos.kit.db import Database
from kronos.kit.events.bus import Bus
from kronos.kit.events.models import OutboxEvent
from kronos.kit.events.outbox import REPLAY_EVENT, loop_waker, register_waker, unregister_waker
from kronos.kit.events.registry import Event
from kronos.kit.logging import get_logger

_log = get_logger("kronos.events.relay")


@dataclass(frozen=True, slots=True)
class RelayOptions:
    batch_size: int = 100
    poll_interval: float = 1.0
    # Woken by a commit: wait this long before the pass, so that the commits of a busy moment share one pass
    # (two to four statements) instead of each paying for its own. What an event waits, at most, in addition.
    coalesce: float = 0.005
    # Bus down: wait this long before the next try, doubling up to the maximum.
    backoff: float = 0.5
    max_backoff: float = 30.0
    # In-process bus: events handed over but not yet settled, at most.
    max_in_flight: int = 1000


def to_bus_event(row: OutboxEvent) -> tuple[str | None, Event]:
    """The event a row carries, and the one consumer it is for when it is a replay."""
    if row.name == REPLAY_EVENT:
        body = row.payload
        event = Event(
            id=uuid.UUID(body["event_id"]),
            name=body["event_name"],
            tenant_id=row.tenant_id,
            payload=body["payload"],
            occurred_at=_parse_time(body["occurred_at"]),
        )
        return body["consumer"], event
    return None, Event(row.id, row.name, row.tenant_id, row.payload, row.created_at)


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


class Relay:
    def __init__(self, db: Database, bus: Bus, options: RelayOptions | None = None) -> None:
        self.db = db
        self.bus = bus
        self.options = options or RelayOptions()
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[uuid.UUID] = set()
        self._settled: set[uuid.UUID] = set()
        self._wake: Callable[[], None] | None = None
        self.published = 0
        self.last_error: str | None = None
        bus.on_settled(self._on_settled)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._wake = loop_waker(self._wakeup)
        register_waker(self._wake)
        self._task = asyncio.create_task(self._run(), name="kronos-outbox-relay")

    def wake(self) -> None:
        self._wakeup.set()

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the claim in progress (never interrupt a publish halfway) and stop."""
        self._stopping = True
        if self._wake is not None:
            unregister_waker(self._wake)
        self._wakeup.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task

    async def flush_settled(self) -> None:
        """Mark what the in-process bus settled as published (also done at shutdown, after the bus)."""
        if not self._settled:
            return
        ids, self._settled = list(self._settled), set()
        try:
            async with self.db.write_session() as session:
                await session.execute(
                    update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(published_at=utcnow())
                )
        except BaseException:
            self._settled.update(ids)
            raise
        self._in_flight.difference_update(ids)
        self.published += len(ids)

    def _on_settled(self, outbox_id: uuid.UUID) -> None:
        self._settled.add(outbox_id)
        self._wakeup.set()

    async def _run(self) -> None:
        backoff = self.options.backoff
        while not self._stopping:
            self._wakeup.clear()
            try:
                await self.flush_settled()
                claimed, failed = await self.relay_once()
            except Exception as exc:
                claimed, failed = 0, True
                self.last_error = f"{type(exc).__name__}: {exc}"[:500]
                _log.exception("relay pass failed")
            if failed:
                _log.warning("relay backing off", seconds=backoff, error=self.last_error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.options.max_backoff)
                continue
            backoff = self.options.backoff
            if claimed >= self.options.batch_size or self._stopping:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.options.poll_interval)
                if self.options.coalesce > 0 and not self._stopping:
                    await asyncio.sleep(self.options.coalesce)

    async def relay_once(self) -> tuple[int, bool]:
        """One pass; returns (rows handed to the bus, whether the bus failed)."""
        if self.bus.durable:
            return await self._relay_durable()
        return await self._relay_in_process()

    def _pending(self, limit: int) -> Select[OutboxEvent]:
        return (
            select(OutboxEvent)
            .where(OutboxEvent.published_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(limit)
        )

    async def _relay_durable(self) -> tuple[int, bool]:
        async with self.db.write_session() as session:
            statement = self._pending(self.options.batch_size)
            if self.db.dialect == "postgresql":
                statement = statement.with_for_update(skip_locked=True)
            rows = list((await session.scalars(statement)).all())
            if not rows:
                return 0, False
            # Concurrently, so publisher confirms overlap; order across events is not a promise consumers
            # may rely on anyway (retries reorder).
            results = await asyncio.gather(*(self._hand_over(row) for row in rows), return_exceptions=True)
            now, failed = utcnow(), False
            for row, result in zip(rows, results, strict=True):
                if isinstance(result, BaseException):
                    failed = True
                    row.attempts += 1
                    row.last_error = f"{type(result).__name__}: {result}"[:2000]
                    self.last_error = row.last_error
                else:
                    row.published_at = now
            self.published += sum(1 for r in results if not isinstance(r, BaseException))
        return len(rows), failed

    async def _relay_in_process(self) -> tuple[int, bool]:
        room = self.options.max_in_flight - len(self._in_flight)
        if room <= 0:
            return 0, False
        limit = min(self.options.batch_size, room)
        # The rows already handed over are still pending in the table: read past them.
        async with self.db.read_session() as session:
            rows = list((await session.scalars(self._pending(limit + len(self._in_flight)))).all())
        rows = [row for row in rows if row.id not in self._in_flight][:limit]
        for row in rows:
            self._in_flight.add(row.id)
            try:
                await self._hand_over(row)
            except Exception as exc:
                self._in_flight.discard(row.id)
                self.last_error = f"{type(exc).__name__}: {exc}"[:500]
                return len(rows), True
        return len(rows), False

    async def _hand_over(self, row: OutboxEvent) -> None:
        target, event = to_bus_event(row)
        if target is None:
            await self.bus.publish(event, outbox_id=row.id)
        else:
            await self.bus.deliver_to(target, event, outbox_id=row.id)
