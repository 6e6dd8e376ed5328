"""The interface both buses share, and the in-process bus of embedded mode.

A *durable* bus (RabbitMQ) holds an event safely once ``publish`` returns, so the relay marks the outbox row
published right away. The in-process bus holds events in memory only: it reports back (``on_settled``) once
every consumer has handled (or dead-lettered) an event, and only then is the outbox row marked. A crash
in between leaves the row unpublished, so it is delivered again on the next start and the receipts skip the
consumers that were already done: at-least-once without a broker.
"""

from __future__ import annotations

import asyncio
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, replace

from kronos.kit.db import Database
from kronos.kit.events.delivery import RetryPolicy, record_dead_letter, run_handler
from kronos.kit.events.registry import Consumer, Event, Registry
from kronos.kit.logging import get_logger

_log = get_logger("kronos.events")


class Bus(ABC):
    durable: bool
    # Called with the outbox row id once a non-durable bus is done with it; set by the relay.
    _settled_callback: Callable[[uuid.UUID], None] | None = None

    def on_settled(self, callback: Callable[[uuid.UUID], None]) -> None:
        """Have ``callback(outbox_id)`` called once a non-durable bus is done with an event (the relay)."""
        self._settled_callback = callback

    def _notify_settled(self, outbox_id: uuid.UUID) -> None:
        if self._settled_callback is not None:
            self._settled_callback(outbox_id)

    @abstractmethod
    async def start(self, *, consume: bool) -> None:
        """Connect; with ``consume``, also start running the registry's consumers."""

    @abstractmethod
    async def publish(self, event: Event, *, outbox_id: uuid.UUID) -> None:
        """Hand ``event`` to every consumer that wants it. Raises if the bus cannot take it."""

    @abstractmethod
    async def deliver_to(self, consumer: str, event: Event, *, outbox_id: uuid.UUID) -> None:
        """Hand ``event`` to one consumer only (a dead-letter replay)."""

    @abstractmethod
    async def stop(self, timeout: float) -> None:
        """Stop taking work, let in-flight handlers finish (up to ``timeout`` seconds), disconnect."""


@dataclass(frozen=True, slots=True)
class _Delivery:
    consumer: Consumer
    event: Event
    outbox_id: uuid.UUID
    attempt: int = 1


class InProcessBus(Bus):
    """asyncio queues, one per consumer with one worker each: a consumer sees its events one at a time, in
    the order the relay published them, while a slow consumer never holds up another."""

    durable = False

    def __init__(self, db: Database, registry: Registry, retry: RetryPolicy | None = None) -> None:
        self.db = db
        self.registry = registry
        self.retry = retry or RetryPolicy()
        self._queues: dict[str, asyncio.Queue[_Delivery]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._inflight: set[asyncio.Task[None]] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        # Outbox row id -> deliveries not yet settled.
        self._remaining: dict[uuid.UUID, int] = {}
        self._closing = False
        self._consuming = False

    async def start(self, *, consume: bool) -> None:
        self._consuming = consume
        if not consume:
            return
        for consumer in self.registry:
            queue: asyncio.Queue[_Delivery] = asyncio.Queue()
            self._queues[consumer.name] = queue
            self._workers.append(
                asyncio.create_task(self._work(queue), name=f"kronos-consumer-{consumer.name}")
            )

    async def publish(self, event: Event, *, outbox_id: uuid.UUID) -> None:
        self._dispatch([c for c in self.registry.matching(event.name)], event, outbox_id)

    async def deliver_to(self, consumer: str, event: Event, *, outbox_id: uuid.UUID) -> None:
        target = self.registry.get(consumer)
        if target is None:
            _log.warning("replay for an unknown consumer dropped", consumer=consumer, event_id=str(event.id))
        self._dispatch([target] if target else [], event, outbox_id)

    def _dispatch(self, consumers: list[Consumer], event: Event, outbox_id: uuid.UUID) -> None:
        if self._closing:
            raise RuntimeError("the in-process bus is stopping")
        if not self._consuming:
            # Nothing runs consumers here; the row must stay unpublished for a process that does.
            raise RuntimeError("the in-process bus is not consuming")
        if not consumers:
            self._notify_settled(outbox_id)
            return
        self._remaining[outbox_id] = self._remaining.get(outbox_id, 0) + len(consumers)
        for consumer in consumers:
            self._queues[consumer.name].put_nowait(_Delivery(consumer, event, outbox_id))

    async def _work(self, queue: asyncio.Queue[_Delivery]) -> None:
        while not self._closing:
            delivery = await queue.get()
            if self._closing:
                return
            # The handler runs in its own task, shielded, so stopping (which cancels this loop) lets an
            # in-flight handler finish its transaction instead of interrupting it.
            task = asyncio.create_task(self._deliver(delivery))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
            await asyncio.shield(task)

    async def _deliver(self, delivery: _Delivery) -> None:
        consumer, event = delivery.consumer, delivery.event
        try:
            await run_handler(
                self.db, consumer, event, attempt=delivery.attempt, redelivered=delivery.attempt > 1
            )
        except Exception as exc:
            if delivery.attempt >= self.retry.max_attempts:
                try:
                    await record_dead_letter(self.db, consumer.name, event, exc, delivery.attempt)
                except Exception:
                    _log.exception("could not store a dead letter; retrying", consumer=consumer.name)
                else:
                    self._settle(delivery.outbox_id)
                    return
            delay = self.retry.delay(delivery.attempt)
            _log.warning(
                "consumer failed; will retry",
                consumer=consumer.name,
                event_name=event.name,
                event_id=str(event.id),
                attempt=delivery.attempt,
                retry_in=delay,
                error=f"{type(exc).__name__}: {exc}"[:500],
            )
            self._schedule(replace(delivery, attempt=delivery.attempt + 1), delay)
        else:
            self._settle(delivery.outbox_id)

    def _schedule(self, delivery: _Delivery, delay: float) -> None:
        if self._closing:
            return  # left unsettled: the outbox row stays pending and is delivered after the restart
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._timers.discard(handle)
            if not self._closing:
                self._queues[delivery.consumer.name].put_nowait(delivery)

        handle = loop.call_later(delay, fire)
        self._timers.add(handle)

    def _settle(self, outbox_id: uuid.UUID) -> None:
        left = self._remaining.get(outbox_id, 1) - 1
        if left > 0:
            self._remaining[outbox_id] = left
            return
        self._remaining.pop(outbox_id, None)
        self._notify_settled(outbox_id)

    async def stop(self, timeout: float) -> None:
        self._closing = True
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers.clear()
        if self._inflight:
            _done, pending = await asyncio.wait(set(self._inflight), timeout=timeout)
            for task in pending:
                # Past the grace period: the handler's transaction rolls back, the event stays pending.
                _log.warning("in-flight handler cancelled at shutdown", task=task.get_name())
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
