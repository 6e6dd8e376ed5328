"""The RabbitMQ bus against a real broker (KRONOS_TEST_BROKER_URL); skipped when none is configured."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aio_pika
import pytest

from kronos.config import Settings
from kronos.kit.db import Database
from kronos.kit.events import ConsumerContext, Event
from kronos.kit.events.dead_letters import replay_dead_letter
from kronos.kit.events.delivery import RetryPolicy
from kronos.kit.events.rabbitmq import RabbitMQBus
from kronos.kit.events.runtime import EventRuntime
from tests.conftest import make_settings
from tests.kit.events.support import (
    FAST_RELAY,
    TENANT,
    Probe,
    dead_letters,
    effects,
    emit_committed,
    eventually,
    pending,
)
from tests.support import TEST_BROKER_URL

pytestmark = pytest.mark.skipif(TEST_BROKER_URL is None, reason="KRONOS_TEST_BROKER_URL is not set")
FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)


class SimulatedCrash(BaseException):
    """Escapes every ``except Exception``: the worker dies mid-handler, before any ack."""


@pytest.fixture
def broker(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path, broker_url=TEST_BROKER_URL, shutdown_timeout=5.0)


@pytest.fixture
async def probe_queues(broker: Settings) -> AsyncIterator[list[str]]:
    """Consumer names a test used; their queues are deleted afterwards so the shared broker stays clean."""
    names: list[str] = []
    yield names
    assert TEST_BROKER_URL is not None
    connection = await aio_pika.connect(TEST_BROKER_URL)
    try:
        for name in names:
            for queue in (f"{broker.namespace}.{name}", f"{broker.namespace}.{name}.retry"):
                channel = await connection.channel()
                with contextlib.suppress(aio_pika.exceptions.ChannelClosed):  # never declared
                    await channel.queue_delete(queue)
    finally:
        await connection.close()


def serve(settings: Settings, db: Database, probe: Probe) -> EventRuntime:
    """What `kronos serve` runs with a broker: the relay, publishing; no consumers."""
    return EventRuntime(settings, db, registry=probe.registry, relay_options=FAST_RELAY)


def worker(settings: Settings, db: Database, probe: Probe, *, relay: bool = False) -> EventRuntime:
    return EventRuntime(
        settings,
        db,
        registry=probe.registry,
        consume=True,
        relay=relay,
        retry=FAST_RETRY,
        relay_options=FAST_RELAY,
    )


async def test_an_event_goes_through_rabbitmq_to_a_worker(
    broker: Settings, db: Database, probe_queues: list[str]
) -> None:
    probe = Probe()
    probe_queues.append(probe.name)
    api, work = serve(broker, db, probe), worker(broker, db, probe)
    await api.start()
    await work.start()
    try:
        assert isinstance(api.bus, RabbitMQBus)
        assert api.bus.exchange_name == f"{broker.namespace}.events"
        assert api.consume is False
        event_id = await emit_committed(db, "probe.created", {"id": "1"})
        await eventually(lambda: _effects(db, event_id, 1), what="handled by the worker")
        assert not await pending(db, event_id)
    finally:
        await work.stop()
        await api.stop()
    [(event, attempt, _)] = probe.calls
    assert (event.id, event.name, event.payload, event.tenant_id, attempt) == (
        event_id,
        "probe.created",
        {"id": "1"},
        TENANT,
        1,
    )


async def test_events_published_before_any_worker_started_wait_in_the_queue(
    broker: Settings, db: Database, probe_queues: list[str]
) -> None:
    probe = Probe()
    probe_queues.append(probe.name)
    api = serve(broker, db, probe)
    await api.start()  # declares the consumer's queue, so nothing published now is dropped
    try:
        event_id = await emit_committed(db, "probe.created")
        await eventually(lambda: _published(db, event_id), what="published to the broker")
        assert probe.calls == []
        work = worker(broker, db, probe)
        await work.start()
        try:
            await eventually(lambda: _effects(db, event_id, 1), what="handled once a worker came")
        finally:
            await work.stop()
    finally:
        await api.stop()


async def test_a_handler_that_crashes_before_the_ack_gets_the_message_again(
    broker: Settings, db: Database, probe_queues: list[str]
) -> None:
    crashed: list[bool] = []

    async def crash_once(ctx: ConsumerContext, event: Event) -> None:
        if not crashed:
            crashed.append(True)
            raise SimulatedCrash

    probe = Probe(on_call=crash_once)
    probe_queues.append(probe.name)
    first = worker(broker, db, probe, relay=True)
    await first.start()
    event_id = await emit_committed(db, "probe.created")
    await eventually(lambda: _called(probe, 1), what="first delivery")
    assert isinstance(first.bus, RabbitMQBus)
    # The worker process dies: its connection drops with the message unacked.
    await first.bus.connection.close()
    await first.stop()
    assert await effects(db, event_id) == 0

    second = worker(broker, db, probe)
    await second.start()
    try:
        await eventually(lambda: _effects(db, event_id, 1), what="redelivered and handled")
    finally:
        await second.stop()
    assert len(probe.calls) == 2
    _, attempt, redelivered = probe.calls[1]
    assert redelivered is True
    assert attempt == 1  # a broker redelivery is not a retry the handler asked for


async def test_a_failing_consumer_is_retried_then_dead_lettered_and_replay_delivers_it(
    broker: Settings, db: Database, probe_queues: list[str]
) -> None:
    probe = Probe(fail_times=FAST_RETRY.max_attempts)
    probe_queues.append(probe.name)
    work = worker(broker, db, probe, relay=True)
    await work.start()
    try:
        event_id = await emit_committed(db, "probe.created", {"id": "9"})
        await eventually(lambda: _dead(db, probe.name), what="dead-lettered")
        assert [attempt for _, attempt, _ in probe.calls] == [1, 2, 3]
        [letter] = await dead_letters(db, probe.name)
        assert (letter.event_id, letter.attempts, letter.payload) == (event_id, 3, {"id": "9"})
        assert await effects(db, event_id) == 0

        async with db.write_session() as session:
            await replay_dead_letter(session, TENANT, letter.id)
        await eventually(lambda: _effects(db, event_id, 1), what="replayed and handled")
    finally:
        await work.stop()
    assert probe.calls[-1][0].id == event_id


async def test_shutdown_waits_for_the_in_flight_handler(
    broker: Settings, db: Database, probe_queues: list[str]
) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def block(ctx: ConsumerContext, event: Event) -> None:
        started.set()
        await release.wait()

    probe = Probe(on_call=block)
    probe_queues.append(probe.name)
    work = worker(broker, db, probe, relay=True)
    await work.start()
    event_id = await emit_committed(db, "probe.created")
    await asyncio.wait_for(started.wait(), 5)
    stopping = asyncio.create_task(work.stop())
    await eventually(lambda: _relay_stopped(work), what="relay stopped")
    assert not stopping.done()
    release.set()
    await asyncio.wait_for(stopping, 10)
    assert await effects(db, event_id) == 1


async def _effects(db: Database, event_id: uuid.UUID, n: int) -> bool:
    return await effects(db, event_id) >= n


async def _published(db: Database, event_id: uuid.UUID) -> bool:
    return not await pending(db, event_id)


async def _called(probe: Probe, n: int) -> bool:
    return len(probe.calls) >= n


async def _dead(db: Database, consumer: str) -> bool:
    return bool(await dead_letters(db, consumer))


async def _relay_stopped(runtime: EventRuntime) -> bool:
    return runtime.relay is not None and not runtime.relay.running
