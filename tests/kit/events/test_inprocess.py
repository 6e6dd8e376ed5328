"""The outbox, the relay and the in-process bus (embedded mode), on the configured database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import update

from kronos.config import Settings
from kronos.kit.db import Database
from kronos.kit.events import ConsumerContext, Event, emit
from kronos.kit.events.delivery import RetryPolicy, run_handler
from kronos.kit.events.models import OutboxEvent
from kronos.kit.events.runtime import EventRuntime
from tests.kit.events.support import (
    FAST_RELAY,
    TENANT,
    Probe,
    count,
    dead_letters,
    effects,
    emit_committed,
    eventually,
    pending,
    receipts,
)

FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)


@asynccontextmanager
async def running(settings: Settings, db: Database, probe: Probe) -> AsyncIterator[EventRuntime]:
    runtime = EventRuntime(settings, db, registry=probe.registry, retry=FAST_RETRY, relay_options=FAST_RELAY)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


async def test_a_committed_event_reaches_its_consumer_once_and_is_marked_published(
    embedded: Settings, db: Database
) -> None:
    probe = Probe()
    async with running(embedded, db, probe):
        event_id = await emit_committed(db, "probe.created", {"id": "42"})
        await eventually(lambda: _is_published(db, event_id), what="outbox row marked published")
    [(event, attempt, redelivered)] = probe.calls
    assert (event.id, event.name, event.payload, event.tenant_id) == (
        event_id,
        "probe.created",
        {"id": "42"},
        TENANT,
    )
    assert (attempt, redelivered) == (1, False)
    assert await effects(db, event_id) == 1
    assert await receipts(db, probe.name) == 1


async def test_consumers_get_only_the_events_their_patterns_match(embedded: Settings, db: Database) -> None:
    probe = Probe(patterns=("probe.created", "other.#"))
    async with running(embedded, db, probe):
        skipped = await emit_committed(db, "probe.deleted")
        wanted = await emit_committed(db, "other.thing")
        await eventually(lambda: _is_published(db, wanted), what="matching event handled")
        await eventually(lambda: _is_published(db, skipped), what="unmatched event settled")
    assert probe.names() == ["other.thing"]


async def test_a_rolled_back_event_is_never_delivered(embedded: Settings, db: Database) -> None:
    probe = Probe()
    async with running(embedded, db, probe):
        with pytest.raises(RuntimeError, match="boom"):
            await _emit_then_fail(db)
        # A later event on the same (ordered) queue: once it is handled, the first would have been too.
        later = await emit_committed(db, "probe.committed")
        await eventually(lambda: _is_published(db, later), what="later event handled")
    assert probe.names() == ["probe.committed"]
    assert await count(db, OutboxEvent, OutboxEvent.name == "probe.rolled_back") == 0


async def test_a_redelivered_event_is_handled_once(embedded: Settings, db: Database) -> None:
    probe = Probe()
    async with running(embedded, db, probe) as runtime:
        event_id = await emit_committed(db, "probe.created")
        await eventually(lambda: _is_published(db, event_id), what="first delivery")
        # As if the relay had died after delivering but before marking: the row goes out again.
        async with db.write_session() as session:
            await session.execute(
                update(OutboxEvent).where(OutboxEvent.id == event_id).values(published_at=None)
            )
        assert runtime.relay is not None
        runtime.relay.wake()
        await eventually(lambda: _is_published(db, event_id), what="second delivery settled")
    assert len(probe.calls) == 1  # the receipt stopped the second run before the handler
    assert await effects(db, event_id) == 1
    consumer = probe.registry.get(probe.name)
    assert consumer is not None
    event = probe.calls[0][0]
    assert await run_handler(db, consumer, event) == "duplicate"
    assert await effects(db, event_id) == 1


async def test_a_failing_consumer_is_retried_until_it_succeeds(embedded: Settings, db: Database) -> None:
    probe = Probe(fail_times=2)
    async with running(embedded, db, probe):
        event_id = await emit_committed(db, "probe.created")
        await eventually(lambda: _is_published(db, event_id), what="handled after retries")
    assert [attempt for _, attempt, _ in probe.calls] == [1, 2, 3]
    assert await effects(db, event_id) == 1  # the failed attempts rolled back
    assert await dead_letters(db, probe.name) == []


async def test_a_consumer_that_keeps_failing_is_dead_lettered_and_replay_delivers_it(
    embedded: Settings, db: Database
) -> None:
    from kronos.kit.events.dead_letters import replay_dead_letter

    probe = Probe(fail_times=FAST_RETRY.max_attempts)
    async with running(embedded, db, probe):
        event_id = await emit_committed(db, "probe.created", {"id": "7"})
        await eventually(lambda: _is_published(db, event_id), what="settled as dead letter")
        [letter] = await dead_letters(db, probe.name)
        assert len(probe.calls) == FAST_RETRY.max_attempts
        assert (letter.event_id, letter.event_name, letter.payload) == (
            event_id,
            "probe.created",
            {"id": "7"},
        )
        assert (letter.tenant_id, letter.attempts) == (TENANT, FAST_RETRY.max_attempts)
        assert "probe failure 3" in letter.error
        assert await effects(db, event_id) == 0

        async with db.write_session() as session:
            await replay_dead_letter(session, TENANT, letter.id)
        await eventually(lambda: _effects_at_least(db, event_id, 1), what="replayed event handled")
    assert len(probe.calls) == FAST_RETRY.max_attempts + 1
    assert probe.calls[-1][0].id == event_id  # the same event, so the receipt still guards it
    [replayed] = await dead_letters(db, probe.name)
    assert replayed.replayed_at is not None


async def test_events_committed_while_no_relay_ran_are_delivered_when_one_starts(
    embedded: Settings, db: Database
) -> None:
    first = await emit_committed(db, "probe.created", {"n": 1})
    second = await emit_committed(db, "probe.updated", {"n": 2})
    probe = Probe()
    async with running(embedded, db, probe):
        await eventually(lambda: _is_published(db, second), what="backlog delivered")
        await eventually(lambda: _is_published(db, first), what="backlog delivered")
    assert [event.id for event, _, _ in probe.calls] == [first, second]


async def test_an_event_pending_at_shutdown_is_delivered_after_the_restart(
    embedded: Settings, db: Database
) -> None:
    """A handler still in retry when the process stops: the row stays pending, and a new process takes it."""
    probe = Probe(fail_times=1)
    slow = RetryPolicy(max_attempts=3, base_delay=60, max_delay=60)  # the retry would come far too late
    runtime = EventRuntime(embedded, db, registry=probe.registry, retry=slow, relay_options=FAST_RELAY)
    await runtime.start()
    event_id = await emit_committed(db, "probe.created")
    await eventually(lambda: _called(probe, 1), what="first (failing) attempt")
    await runtime.stop()
    assert await pending(db, event_id)

    async with running(embedded, db, probe):
        await eventually(lambda: _is_published(db, event_id), what="delivered after restart")
    assert await effects(db, event_id) == 1


async def test_shutdown_waits_for_the_in_flight_handler(embedded: Settings, db: Database) -> None:
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[bool] = []

    async def block(ctx: ConsumerContext, event: Event) -> None:
        started.set()
        await release.wait()
        finished.append(True)

    probe = Probe(on_call=block)
    runtime = EventRuntime(embedded, db, registry=probe.registry, relay_options=FAST_RELAY)
    await runtime.start()
    event_id = await emit_committed(db, "probe.created")
    await asyncio.wait_for(started.wait(), 5)
    stopping = asyncio.create_task(runtime.stop())
    assert runtime.relay is not None
    await eventually(lambda: _not_running(runtime), what="relay stopped claiming")
    assert not stopping.done()  # still waiting for the handler
    release.set()
    await asyncio.wait_for(stopping, 5)
    assert finished == [True]  # ran to the end, not cancelled
    assert await effects(db, event_id) == 1
    assert not await pending(db, event_id)  # and what it settled was recorded on the way out


async def test_emit_rejects_bad_names_and_payloads(db: Database) -> None:
    async with db.write_session() as session:
        for bad in ("contact", "Contact.created", "contact.created.now", "events.replay"):
            with pytest.raises(ValueError, match="bad event name"):
                emit(session, bad, {}, tenant_id=TENANT)
        with pytest.raises(ValueError, match="not plain JSON"):
            emit(session, "contact.created", {"id": TENANT}, tenant_id=TENANT)
    assert await count(db, OutboxEvent) == 0


async def _emit_then_fail(db: Database) -> None:
    async with db.write_session() as session:
        emit(session, "probe.rolled_back", {}, tenant_id=TENANT)
        await session.flush()
        raise RuntimeError("boom")


async def _is_published(db: Database, event_id: uuid.UUID) -> bool:
    return not await pending(db, event_id)


async def _effects_at_least(db: Database, event_id: uuid.UUID, n: int) -> bool:
    return await effects(db, event_id) >= n


async def _called(probe: Probe, n: int) -> bool:
    return len(probe.calls) >= n


async def _not_running(runtime: EventRuntime) -> bool:
    return runtime.relay is not None and not runtime.relay.running


async def test_a_burst_of_commits_shares_relay_passes(
    embedded: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Woken by a commit, the relay waits ``coalesce`` before its pass: the commits of a busy moment go out in
    one pass (a few statements) rather than a pass each."""
    from dataclasses import replace

    from kronos.kit.events.relay import Relay

    passes = 0
    relay_once = Relay.relay_once

    async def counted(self: Relay) -> tuple[int, bool]:
        nonlocal passes
        passes += 1
        return await relay_once(self)

    monkeypatch.setattr(Relay, "relay_once", counted)
    probe = Probe()
    # A long idle poll, so that every pass below was started by a commit; a wide window for a slow machine.
    options = replace(FAST_RELAY, poll_interval=30, coalesce=0.5)
    runtime = EventRuntime(embedded, db, registry=probe.registry, retry=FAST_RETRY, relay_options=options)
    await runtime.start()
    try:
        await asyncio.sleep(0.1)  # the pass at start-up
        before = passes
        ids = [await emit_committed(db, "probe.created", {"n": n}) for n in range(10)]
        await eventually(lambda: _all_published(db, ids), what="the burst published")
    finally:
        await runtime.stop()
    assert len(probe.calls) == 10
    # One pass for the burst, plus the one that marks what the bus settled (and one more at most for commits
    # that landed just after the window): never one per commit.
    assert passes - before <= 4


async def _all_published(db: Database, ids: list[uuid.UUID]) -> bool:
    return all([await _is_published(db, event_id) for event_id in ids])
