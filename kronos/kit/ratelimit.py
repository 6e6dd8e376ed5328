"""Attempt counters: how many times something failed within a window, and how long until the window ends.

Sign-in uses them to slow down and then lock out guessing, per account and per client address. With Redis
configured the counts are shared by every API process; embedded, they live in the process. Both are fixed
windows that start at the first failure: simple, and enough to make guessing impractical.

The same counters carry the rate limits (``consume``): the API as a whole per API key and per user, and the
public routes that send mail or create things per client address. A limited answer is a 429 problem with
``Retry-After`` and the ``RateLimit-Limit``/``-Remaining``/``-Reset`` headers, which every response counted
against a limit also carries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis

from kronos.kit import clock
from kronos.kit.errors import TooManyRequests


@dataclass(frozen=True, slots=True)
class Attempts:
    count: int
    retry_after: int  # whole seconds until the window ends; 0 when nothing is counted


class AttemptCounter(Protocol):
    async def get(self, key: str) -> Attempts: ...

    async def hit(self, key: str, window: int) -> Attempts:
        """Count one failure; the first one opens a window of ``window`` seconds."""
        ...

    async def clear(self, key: str) -> None: ...


class MemoryAttemptCounter:
    """In-process counts. Time comes from ``kronos.kit.clock`` so tests can move it."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, float]] = {}

    def _now(self) -> float:
        return clock.utcnow().timestamp()

    def _current(self, key: str) -> tuple[int, float] | None:
        entry = self._windows.get(key)
        if entry is not None and entry[1] <= self._now():
            del self._windows[key]
            return None
        return entry

    async def get(self, key: str) -> Attempts:
        entry = self._current(key)
        if entry is None:
            return Attempts(0, 0)
        return Attempts(entry[0], max(1, math.ceil(entry[1] - self._now())))

    async def hit(self, key: str, window: int) -> Attempts:
        entry = self._current(key)
        count, ends = (entry[0] + 1, entry[1]) if entry else (1, self._now() + window)
        self._windows[key] = (count, ends)
        if len(self._windows) > 100_000:  # a flood of addresses: forget the windows that are over
            for stale in [k for k, (_, e) in self._windows.items() if e <= self._now()]:
                del self._windows[stale]
        return Attempts(count, max(1, math.ceil(ends - self._now())))

    async def clear(self, key: str) -> None:
        self._windows.pop(key, None)


class RedisAttemptCounter:
    """Counts shared through Redis: ``SET NX EX`` opens the window, ``INCR`` counts, ``TTL`` says how long."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}:attempts:{key}"

    async def get(self, key: str) -> Attempts:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.get(self._key(key))
            pipe.ttl(self._key(key))
            raw, ttl = await pipe.execute()
        if raw is None:
            return Attempts(0, 0)
        return Attempts(int(raw), max(1, int(ttl)))

    async def hit(self, key: str, window: int) -> Attempts:
        name = self._key(key)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(name, 0, ex=window, nx=True)
            pipe.incr(name)
            pipe.ttl(name)
            _, count, ttl = await pipe.execute()
        return Attempts(int(count), max(1, int(ttl)))

    async def clear(self, key: str) -> None:
        await self.redis.delete(self._key(key))


def attempt_counter(app_state: Any, namespace: str) -> AttemptCounter:
    """The app's counter: Redis when the app has a client, the process otherwise (made once per app)."""
    counter: AttemptCounter | None = getattr(app_state, "attempt_counter", None)
    if counter is None:
        redis: Redis | None = getattr(app_state, "redis", None)
        counter = RedisAttemptCounter(redis, namespace) if redis is not None else MemoryAttemptCounter()
        app_state.attempt_counter = counter
    return counter


# --- rate limits: N requests per window, told to the client in RateLimit-* headers -------------------------


class RateLimited(TooManyRequests):
    code = "rate_limited"


@dataclass(frozen=True, slots=True)
class RateLimit:
    """One counted request against ``limit`` a window; ``reset``: seconds until the window ends."""

    limit: int
    count: int
    reset: int

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The ``RateLimit-*`` fields (the IETF httpapi draft's names, as GitHub and others send them)."""
        return [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset).encode()),
        ]

    def error(self, message: str) -> RateLimited:
        headers = {k.decode(): v.decode() for k, v in self.headers()} | {"Retry-After": str(self.reset)}
        return RateLimited(message, headers=headers, extra={"retry_after": self.reset})


async def consume(counter: AttemptCounter, key: str, limit: int, window: int) -> RateLimit:
    """Count one request under ``key``; the caller raises ``.error(...)`` when it is ``exceeded``."""
    attempts = await counter.hit("rate:" + key, window)
    return RateLimit(limit=limit, count=attempts.count, reset=attempts.retry_after)


async def enforce(counter: AttemptCounter, key: str, limit: int, window: int, refusal: str) -> None:
    """Count one request under ``key`` against ``limit`` a window (0: no limit); past it, raise the 429,
    whose detail is ``refusal`` and when to try again."""
    if not limit:
        return
    used = await consume(counter, key, limit, window)
    if used.exceeded:
        raise used.error(f"{refusal}; try again in {used.reset} seconds.")


RATE_LIMIT_STATE = "rate_limit"


def rate_limit_headers(scope: Any) -> list[tuple[bytes, bytes]]:
    """The headers of the limit a request counted against (``request.state.rate_limit``), for the edge
    middleware to add to every response of that request, errors included."""
    state = scope.get("state")
    limit: RateLimit | None = state.get(RATE_LIMIT_STATE) if state else None
    return limit.headers() if limit is not None else []
