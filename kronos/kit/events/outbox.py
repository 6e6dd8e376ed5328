"""Writing events: ``emit`` adds an outbox row to the caller's transaction and wakes the relay after commit.

The event exists exactly when the change it describes exists: both are in one transaction, so a rollback
takes the event with it and a commit makes both durable before anyone hears of it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.db import after_commit
from kronos.kit.events.models import OutboxEvent
from kronos.kit.events.registry import EVENT_NAME
from kronos.kit.logging import get_logger

# A kit-internal event: "deliver this dead-lettered event again, to this one consumer". Going through the
# outbox makes a replay as durable as any event: it is committed with the dead letter's replayed_at.
REPLAY_EVENT = "events.replay"

_log = get_logger("kronos.events")
_wakers: set[Callable[[], None]] = set()


def emit(
    session: AsyncSession, name: str, payload: dict[str, Any], *, tenant_id: uuid.UUID | None
) -> OutboxEvent:
    """Record event ``name`` (``domain.event``) in the session's transaction; relayed once it commits.

    Only flushes nothing and commits nothing: the request (or job) commits at its edge. ``payload`` must be
    JSON as it is (ids as strings), so what a consumer reads is exactly what was written.
    """
    if not EVENT_NAME.match(name) or name == REPLAY_EVENT:
        raise ValueError(f"bad event name {name!r}: use 'domain.event', e.g. 'contact.created'")
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"payload of {name} is not plain JSON ({exc}); send ids as strings") from exc
    return _add(session, name, payload, tenant_id)


def _add(
    session: AsyncSession, name: str, payload: dict[str, Any], tenant_id: uuid.UUID | None
) -> OutboxEvent:
    row = OutboxEvent(name=name, payload=payload, tenant_id=tenant_id)
    session.add(row)
    callbacks = session.info.get("after_commit", [])
    if _wake_relays not in callbacks:
        after_commit(session, _wake_relays)
    return row


def add_replay(
    session: AsyncSession,
    *,
    consumer: str,
    event_id: uuid.UUID,
    event_name: str,
    payload: dict[str, Any],
    occurred_at: str,
    tenant_id: uuid.UUID | None,
) -> OutboxEvent:
    """Queue a re-delivery of one event to one consumer (see ``REPLAY_EVENT``)."""
    body = {
        "consumer": consumer,
        "event_id": str(event_id),
        "event_name": event_name,
        "payload": payload,
        "occurred_at": occurred_at,
    }
    return _add(session, REPLAY_EVENT, body, tenant_id)


def register_waker(wake: Callable[[], None]) -> None:
    _wakers.add(wake)


def unregister_waker(wake: Callable[[], None]) -> None:
    _wakers.discard(wake)


def _wake_relays() -> None:
    # Runs inside SQLAlchemy's after_commit hook: it must not fail the commit that already happened.
    for wake in list(_wakers):
        try:
            wake()
        except Exception:  # a relay whose loop has gone away; it polls anyway
            _log.debug("relay wake-up failed", exc_info=True)


def loop_waker(event: asyncio.Event) -> Callable[[], None]:
    """A wake-up callable that is safe to call from any thread or event loop."""
    loop = asyncio.get_running_loop()

    def wake() -> None:
        if not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    return wake
