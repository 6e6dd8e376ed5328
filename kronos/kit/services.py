"""Connections to the optional outside services (Redis, RabbitMQ) and the checks that they answer."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractRobustConnection
from redis.asyncio import Redis

from kronos.config import Settings, mask_url
from kronos.kit.db import Database

CHECK_TIMEOUT = 3.0


def create_redis(url: str) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT, health_check_interval=30)


async def connect_broker(url: str) -> AbstractRobustConnection:
    return await aio_pika.connect_robust(url, timeout=CHECK_TIMEOUT)


@dataclass
class ComponentStatus:
    name: str
    ok: bool
    target: str
    latency_ms: float | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": "ok" if self.ok else "unavailable", "target": self.target}
        if self.latency_ms is not None:
            body["latency_ms"] = self.latency_ms
        if self.error:
            body["error"] = self.error
        return body


async def _timed(name: str, target: str, check: Any) -> ComponentStatus:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check, timeout=CHECK_TIMEOUT)
    except TimeoutError:
        return ComponentStatus(name, False, target, error=f"no answer within {CHECK_TIMEOUT:g}s")
    except Exception as exc:  # any failure to answer means "not ready"; the kind is reported, not raised
        return ComponentStatus(name, False, target, error=f"{type(exc).__name__}: {exc}"[:300])
    return ComponentStatus(name, True, target, latency_ms=round((time.perf_counter() - started) * 1000, 2))


async def _ping_broker(connection: AbstractRobustConnection | None, url: str) -> None:
    if connection is not None:
        if connection.is_closed:
            raise ConnectionError("connection to the broker is closed")
        channel = await connection.channel()
        await channel.close()
        return
    fresh = await aio_pika.connect(url, timeout=CHECK_TIMEOUT)
    await fresh.close()


async def check_components(
    settings: Settings,
    db: Database,
    redis: Redis | None = None,
    broker: AbstractRobustConnection | None = None,
) -> list[ComponentStatus]:
    """Ask every configured component whether it answers, concurrently."""
    checks = [_timed("database", mask_url(settings.effective_database_url), db.ping())]
    if settings.redis_url:
        client = redis or create_redis(settings.redis_url)
        checks.append(_timed("redis", mask_url(settings.redis_url), client.ping()))
    if settings.broker_url:
        ping = _ping_broker(broker, settings.broker_url)
        checks.append(_timed("broker", mask_url(settings.broker_url), ping))
    results = list(await asyncio.gather(*checks))
    if settings.redis_url and redis is None:
        await client.aclose()
    return results
