"""Redis down: what it counts (the sign-in lock-out, rate limits of public routes) answers a clear 503
rather than letting guessing through; the API rate limit lets requests through uncounted; the rest keeps
answering."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.modules.identity.conftest import bearer, login, problem, signup


async def test_redis_down_refuses_sign_in_and_keeps_the_api_up(client_with: Callable[..., Any]) -> None:
    async with client_with(redis_url="redis://127.0.0.1:1/0", signup_max_per_ip=0) as http:
        tokens = await signup(http, "ada@example.com")  # a new account: nothing to count
        down = await login(http, "ada@example.com")
        problem(down, 503, "service_unavailable")
        assert down.headers["retry-after"]
        limited = await http.post("/api/v1/auth/password/forgot", json={"email": "ada@example.com"})
        problem(limited, 503, "service_unavailable")
        listed = await http.get("/api/v1/companies", headers=bearer(tokens))
        assert listed.status_code == 200, listed.text
        assert "ratelimit-limit" not in listed.headers
        assert (await http.get("/healthz")).status_code == 200
