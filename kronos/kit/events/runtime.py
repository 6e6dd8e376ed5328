"""Wiring: which bus, whether this process relays and consumes, and clean start and stop.

- Embedded (no ``KRONOS_BROKER_URL``): ``kronos serve`` relays and runs every consumer in process.
- With a broker: ``kronos serve`` only relays (API processes stay stateless and quick to stop), and
  ``kronos worker`` relays and consumes. Relaying in both is safe: on PostgreSQL the relays share the outbox
  through ``SKIP LOCKED``.

The broker connection: in ``serve`` the runtime reuses the app's robust connection (``app.state.broker``,
opened and closed by the app), so one process keeps one connection; the worker has no app and opens its own
robust connection, which it closes on stop. Either way each consumer gets its own channel.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from aio_pika.abc import AbstractConnection

from kronos.config import Settings
from kronos.kit.db import Database
from kronos.kit.events.bus import Bus, InProcessBus
from kronos.kit.events.delivery import RetryPolicy
from kronos.kit.events.rabbitmq import RabbitMQBus
from kronos.kit.events.registry import Registry, default_registry
from kronos.kit.events.relay import Relay, RelayOptions
from kronos.kit.logging import get_logger

_log = get_logger("kronos.events")


class EventRuntime:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        registry: Registry | None = None,
        connection: AbstractConnection | None = None,
        consume: bool | None = None,
        relay: bool = True,
        retry: RetryPolicy | None = None,
        relay_options: RelayOptions | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.registry = default_registry if registry is None else registry
        self.embedded = not settings.broker_url
        # Without a broker nothing else could run the consumers, so embedded always consumes.
        self.consume = self.embedded if consume is None else consume or self.embedded
        self.bus: Bus
        if not settings.broker_url:
            self.bus = InProcessBus(db, self.registry, retry)
        else:
            self.bus = RabbitMQBus(
                db,
                self.registry,
                namespace=settings.namespace,
                url=settings.broker_url,
                connection=connection,
                retry=retry,
            )
        self.relay = Relay(db, self.bus, relay_options) if relay else None
        self.started = False

    @property
    def mode(self) -> str:
        return "embedded" if self.embedded else "broker"

    async def start(self) -> None:
        await self.bus.start(consume=self.consume)
        if self.relay is not None:
            self.relay.start()
        self.started = True
        _log.info(
            "events started",
            mode=self.mode,
            relay=self.relay is not None,
            consumers=sorted(c.name for c in self.registry) if self.consume else [],
        )

    async def stop(self) -> None:
        """Stop claiming events, let in-flight handlers finish, record what they settled, disconnect."""
        if not self.started:
            return
        self.started = False
        timeout = self.settings.shutdown_timeout
        if self.relay is not None:
            await self.relay.stop(timeout)
        await self.bus.stop(timeout)
        if self.relay is not None:
            try:
                await self.relay.flush_settled()
            except Exception:
                # Not lost: those rows are still pending and are delivered again (and skipped) next start.
                _log.exception("could not record settled events at shutdown")
        _log.info("events stopped")

    def status(self) -> dict[str, Any]:
        """For readiness and diagnostics."""
        return {
            "mode": self.mode,
            "consuming": self.consume,
            "relay_running": self.relay is not None and self.relay.running,
            "published": self.relay.published if self.relay else 0,
            "last_error": self.relay.last_error if self.relay else None,
        }


async def run_worker(settings: Settings, *, registry: Registry | None = None) -> None:
    """``kronos worker``: relay and consume until SIGINT/SIGTERM, then finish in-flight handlers and exit."""
    from kronos.kit.events.registry import discover

    if registry is None:
        discover()
    db = Database(settings)
    runtime = EventRuntime(settings, db, registry=registry, consume=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await runtime.start()
        _log.info("worker running", namespace=settings.namespace)
        await stop.wait()
        _log.info("worker stopping")
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await runtime.stop()
        await db.dispose()
