"""Repeated sign-in failures lock the account, then the client address; counters in process and in Redis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from kronos.kit.ratelimit import MemoryAttemptCounter, RedisAttemptCounter
from kronos.kit.services import create_redis
from tests.modules.identity.conftest import PASSWORD, FrozenClock, login, problem, signup
from tests.support import RUN_ID, TEST_REDIS_URL


async def _lock_account(http: httpx.AsyncClient) -> None:
    await signup(http, "ada@example.com")
    for _ in range(5):
        problem(await login(http, "ada@example.com", "wrong-password-00"), 401, "invalid_credentials")
    locked = await login(http, "ada@example.com")  # even the right password
    body = problem(locked, 429, "too_many_attempts")
    retry_after = int(locked.headers["Retry-After"])
    assert 0 < retry_after <= 900
    assert body["retry_after"] == retry_after
    # Another account from the same address still signs in.
    await signup(http, "bob@example.com", "Bob's")
    assert (await login(http, "bob@example.com")).status_code == 200


async def test_account_lockout_in_process_until_the_window_passes(
    client_with: Callable[..., Any], frozen: FrozenClock
) -> None:
    async with client_with(redis_url=None) as http:
        await _lock_account(http)
        frozen.advance(seconds=899)
        problem(await login(http, "ada@example.com"), 429, "too_many_attempts")
        frozen.advance(seconds=2)
        assert (await login(http, "ada@example.com")).status_code == 200


@pytest.mark.skipif(TEST_REDIS_URL is None, reason="KRONOS_TEST_REDIS_URL not set")
async def test_account_lockout_in_redis(client_with: Callable[..., Any]) -> None:
    async with client_with(redis_url=TEST_REDIS_URL) as http:
        await _lock_account(http)


async def test_ip_lockout(client_with: Callable[..., Any]) -> None:
    async with client_with(login_max_failures_per_ip=3) as http:
        await signup(http, "ada@example.com")
        for n in range(3):
            problem(
                await login(http, f"guess{n}@example.com", "wrong-password-00"), 401, "invalid_credentials"
            )
        problem(await login(http, "ada@example.com", PASSWORD), 429, "too_many_attempts")


async def test_success_clears_the_account_count(client: httpx.AsyncClient) -> None:
    await signup(client, "ada@example.com")
    for _ in range(4):
        await login(client, "ada@example.com", "wrong-password-00")
    assert (await login(client, "ada@example.com")).status_code == 200
    for _ in range(4):
        problem(await login(client, "ada@example.com", "wrong-password-00"), 401, "invalid_credentials")
    assert (await login(client, "ada@example.com")).status_code == 200


async def test_memory_counter(frozen: FrozenClock) -> None:
    counter = MemoryAttemptCounter()
    assert (await counter.get("k")).count == 0
    assert (await counter.hit("k", 60)).count == 1
    frozen.advance(seconds=30)
    second = await counter.hit("k", 60)
    assert (second.count, second.retry_after) == (2, 30)
    frozen.advance(seconds=30)
    assert (await counter.get("k")).count == 0
    await counter.hit("k", 60)
    await counter.clear("k")
    assert (await counter.get("k")).count == 0


@pytest.mark.skipif(TEST_REDIS_URL is None, reason="KRONOS_TEST_REDIS_URL not set")
async def test_redis_counter() -> None:
    assert TEST_REDIS_URL is not None
    redis = create_redis(TEST_REDIS_URL)
    counter = RedisAttemptCounter(redis, f"kt{RUN_ID}")
    try:
        assert (await counter.get("k")).count == 0
        assert (await counter.hit("k", 60)).count == 1
        hit = await counter.hit("k", 60)
        assert hit.count == 2
        assert 0 < hit.retry_after <= 60
        assert 0 < await redis.ttl(f"kt{RUN_ID}:attempts:k") <= 60
        assert (await counter.get("k")).count == 2
        await counter.clear("k")
        assert (await counter.get("k")).count == 0
        # The window ends when Redis expires the key: the next failure opens a new one.
        await counter.hit("k", 60)
        await redis.expire(f"kt{RUN_ID}:attempts:k", 0)
        assert (await counter.get("k")).count == 0
        assert (await counter.hit("k", 60)).count == 1
    finally:
        await counter.clear("k")
        await redis.aclose()
