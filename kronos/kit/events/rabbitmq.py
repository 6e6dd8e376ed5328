"""The production bus: RabbitMQ through aio-pika.

Topology (all durable, all named from ``settings.namespace`` so deployments and test runs sharing a broker
never meet):

- ``{ns}.events``: a topic exchange; the relay publishes each event with its name as the routing key.
- ``{ns}.{consumer}``: one queue per consumer, bound to the consumer's patterns.
- ``{ns}.{consumer}.retry``: where a failed delivery waits out its delay (per-message TTL) before the
  broker dead-letters it back into the consumer's queue through the default exchange.

Both sides declare the whole topology: a publisher that started before any worker must not publish into an
exchange with no queues bound, or the broker would drop the events. Messages are persistent and published
with confirms; a consumer acks only after its handler's transaction committed (with the receipt), so a
worker that dies mid-handler leaves the message unacked and the broker redelivers it.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractConnection,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
)

from kronos.kit.db import Database
from kronos.kit.events.bus import Bus
from kronos.kit.events.delivery import RetryPolicy, record_dead_letter, run_handler
from kronos.kit.events.registry import Consumer, Event, Registry
from kronos.kit.logging import get_logger
from kronos.kit.services import connect_broker

_log = get_logger("kronos.events.rabbitmq")
ATTEMPT_HEADER = "x-kronos-attempt"
PUBLISH_TIMEOUT = 10.0
CLOSE_TIMEOUT = 5.0


@dataclass(slots=True)
class _Subscription:
    consumer: Consumer
    channel: AbstractChannel
    queue: AbstractQueue
    tag: str


class RabbitMQBus(Bus):
    durable = True

    def __init__(
        self,
        db: Database,
        registry: Registry,
        *,
        namespace: str,
        url: str | None = None,
        connection: AbstractConnection | None = None,
        retry: RetryPolicy | None = None,
        prefetch: int = 8,
    ) -> None:
        if connection is None and url is None:
            raise ValueError("RabbitMQBus needs a broker url or a connection")
        self.db = db
        self.registry = registry
        self.namespace = namespace
        self.retry = retry or RetryPolicy()
        self.prefetch = prefetch
        self._url = url
        self._connection = connection
        # A connection we opened is ours to close; the app's shared one is closed by the app.
        self._owns_connection = connection is None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._subscriptions: list[_Subscription] = []
        self._inflight: set[asyncio.Task[object]] = set()
        self._closing = False

    @property
    def exchange_name(self) -> str:
        return f"{self.namespace}.events"

    def queue_name(self, consumer: str) -> str:
        return f"{self.namespace}.{consumer}"

    @property
    def connection(self) -> AbstractConnection:
        if self._connection is None:
            raise RuntimeError("the bus is not started")
        return self._connection

    async def start(self, *, consume: bool) -> None:
        if self._connection is None:
            assert self._url is not None
            self._connection = await connect_broker(self._url)
        # One confirming channel for everything we publish (events, retries, replays).
        self._channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await self._channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        for consumer in self.registry:
            await self._declare_queues(self._channel, consumer)
        if consume:
            for consumer in self.registry:
                await self._subscribe(consumer)

    async def _declare_queues(self, channel: AbstractChannel, consumer: Consumer) -> AbstractQueue:
        name = self.queue_name(consumer.name)
        queue = await channel.declare_queue(name, durable=True)
        for pattern in consumer.patterns:
            await queue.bind(self.exchange_name, routing_key=pattern)
        await channel.declare_queue(
            f"{name}.retry",
            durable=True,
            arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": name},
        )
        return queue

    async def _subscribe(self, consumer: Consumer) -> None:
        # A channel per consumer: its prefetch bounds that consumer's concurrency only.
        channel = await self.connection.channel()
        await channel.set_qos(prefetch_count=self.prefetch)
        queue = await channel.declare_queue(self.queue_name(consumer.name), durable=True, passive=True)

        async def on_message(message: AbstractIncomingMessage) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._inflight.add(task)
            try:
                await self._handle(consumer, message)
            finally:
                if task is not None:
                    self._inflight.discard(task)

        tag = await queue.consume(on_message, no_ack=False)
        self._subscriptions.append(_Subscription(consumer, channel, queue, tag))

    async def _handle(self, consumer: Consumer, message: AbstractIncomingMessage) -> None:
        try:
            event = Event.from_json(message.body)
        except (ValueError, KeyError, TypeError):
            # Not ours or corrupt: retrying cannot help, and there is no event to dead-letter.
            _log.error("unreadable message dropped", consumer=consumer.name, message_id=message.message_id)
            await message.reject(requeue=False)
            return
        raw_attempt = (message.headers or {}).get(ATTEMPT_HEADER, 1)
        attempt = raw_attempt if isinstance(raw_attempt, int) else 1
        try:
            await run_handler(
                self.db, consumer, event, attempt=attempt, redelivered=bool(message.redelivered)
            )
        except Exception as exc:
            await self._after_failure(consumer, event, message, attempt, exc)
            return
        # Only now: the handler's effects and its receipt are committed.
        await message.ack()

    async def _after_failure(
        self,
        consumer: Consumer,
        event: Event,
        message: AbstractIncomingMessage,
        attempt: int,
        exc: Exception,
    ) -> None:
        error = f"{type(exc).__name__}: {exc}"[:500]
        if attempt >= self.retry.max_attempts:
            try:
                await record_dead_letter(self.db, consumer.name, event, exc, attempt)
            except Exception:
                _log.exception("could not store a dead letter; message requeued", consumer=consumer.name)
                await message.nack(requeue=True)
                return
            await message.ack()
            return
        delay = self.retry.delay(attempt)
        _log.warning(
            "consumer failed; will retry",
            consumer=consumer.name,
            event_name=event.name,
            event_id=str(event.id),
            attempt=attempt,
            retry_in=delay,
            error=error,
        )
        try:
            # The copy is confirmed before the original is acked: a crash in between means one extra
            # delivery (skipped by the receipt), never none.
            await self._publish_direct(
                f"{self.queue_name(consumer.name)}.retry", event, attempt=attempt + 1, delay=delay
            )
        except Exception:
            _log.exception("could not schedule a retry; message requeued", consumer=consumer.name)
            await message.nack(requeue=True)
            return
        await message.ack()

    def _message(self, event: Event, *, attempt: int = 1, delay: float | None = None) -> aio_pika.Message:
        return aio_pika.Message(
            event.to_json(),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=str(event.id),
            type=event.name,
            headers={ATTEMPT_HEADER: attempt},
            expiration=delay,
        )

    async def _publish_direct(
        self, queue: str, event: Event, *, attempt: int = 1, delay: float | None = None
    ) -> None:
        if self._channel is None:
            raise RuntimeError("the bus is not started")
        await self._channel.default_exchange.publish(
            self._message(event, attempt=attempt, delay=delay),
            routing_key=queue,
            mandatory=False,
            timeout=PUBLISH_TIMEOUT,
        )

    async def publish(self, event: Event, *, outbox_id: uuid.UUID) -> None:
        if self._exchange is None:
            raise RuntimeError("the bus is not started")
        # No consumer bound to this name is fine (mandatory=False): the event simply has no audience.
        await self._exchange.publish(
            self._message(event), routing_key=event.name, mandatory=False, timeout=PUBLISH_TIMEOUT
        )

    async def deliver_to(self, consumer: str, event: Event, *, outbox_id: uuid.UUID) -> None:
        if self.registry.get(consumer) is None:
            _log.warning("replay for an unknown consumer dropped", consumer=consumer, event_id=str(event.id))
            return
        await self._publish_direct(self.queue_name(consumer), event)

    async def stop(self, timeout: float) -> None:
        self._closing = True
        # A connection already gone (the broker or network died) has nothing left to cancel or close, and
        # aio-pika would wait for replies that never come.
        alive = self._connection is not None and not self._connection.is_closed
        for subscription in self._subscriptions if alive else []:
            try:
                # No new deliveries; prefetched ones go back to the queue when the channel closes.
                await asyncio.wait_for(subscription.queue.cancel(subscription.tag), CLOSE_TIMEOUT)
            except Exception:
                _log.warning("could not cancel consumer", consumer=subscription.consumer.name)
        if self._inflight:
            _done, pending = await asyncio.wait(set(self._inflight), timeout=timeout)
            for task in pending:
                _log.warning("in-flight handler cancelled at shutdown", task=task.get_name())
                task.cancel()
        channels = [s.channel for s in self._subscriptions]
        channels += [self._channel] if self._channel is not None else []
        for channel in channels if alive else []:
            await _close_quietly(channel)
        self._subscriptions.clear()
        self._channel = None
        if self._owns_connection and self._connection is not None:
            await _close_quietly(self._connection)
            self._connection = None


async def _close_quietly(closable: AbstractChannel | AbstractConnection) -> None:
    try:
        if not closable.is_closed:
            await asyncio.wait_for(closable.close(), CLOSE_TIMEOUT)
    except Exception:
        _log.debug("close failed", exc_info=True)
