"""Refresh-token rotation and reuse detection, logout, listing and revoking sessions, expiry."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from kronos.kit.db import Database
from kronos.modules.identity.models import AuthSession, RefreshToken
from tests.modules.identity.conftest import FrozenClock, bearer, login, problem, signup, uid


async def test_refresh_rotates_and_reuse_revokes_the_family(client: httpx.AsyncClient, db: Database) -> None:
    first = await signup(client, "ada@example.com")
    rotated = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["workspace_id"] == first["workspace_id"]
    third = (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    ).json()
    assert (await client.get("/api/v1/auth/me", headers=bearer(third))).status_code == 200

    # The first token again: stolen. The whole family ends, including the newest tokens.
    reused = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    problem(reused, 401, "refresh_token_reused")
    newest = await client.post("/api/v1/auth/refresh", json={"refresh_token": third["refresh_token"]})
    problem(newest, 401, "invalid_refresh_token")
    problem(await client.get("/api/v1/auth/me", headers=bearer(third)), 401, "invalid_token")
    async with db.read_session() as session:
        family = (await session.scalars(select(AuthSession))).all()
        assert len(family) == 1
        assert family[0].revoked_at is not None
        assert family[0].revoked_reason == "refresh_token_reused"
        assert len((await session.scalars(select(RefreshToken))).all()) == 3

    # Another session of the same user is untouched.
    other = (await login(client, "ada@example.com")).json()
    assert (await client.get("/api/v1/auth/me", headers=bearer(other))).status_code == 200
    problem(
        await client.post("/api/v1/auth/refresh", json={"refresh_token": "x" * 43}),
        401,
        "invalid_refresh_token",
    )


async def test_logout_and_session_revocation_end_access_tokens(client: httpx.AsyncClient) -> None:
    laptop = await signup(client, "ada@example.com")
    phone = (await login(client, "ada@example.com")).json()
    listed = await client.get("/api/v1/auth/sessions", headers=bearer(laptop))
    assert listed.status_code == 200
    sessions = listed.json()
    assert len(sessions) == 2
    assert [s["current"] for s in sessions].count(True) == 1
    current = next(s for s in sessions if s["current"])
    assert current["ip"] == "127.0.0.1"
    assert {"created_at", "last_used_at", "user_agent"} <= set(current)

    phone_id = next(s["id"] for s in sessions if not s["current"])
    revoked = await client.delete(f"/api/v1/auth/sessions/{phone_id}", headers=bearer(laptop))
    assert revoked.status_code == 204
    problem(await client.get("/api/v1/auth/me", headers=bearer(phone)), 401, "invalid_token")
    problem(
        await client.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]}),
        401,
        "invalid_refresh_token",
    )
    again = await client.delete(f"/api/v1/auth/sessions/{phone_id}", headers=bearer(laptop))
    problem(again, 404, "session_not_found")

    out = await client.post("/api/v1/auth/logout", headers=bearer(laptop))
    assert out.status_code == 204
    problem(await client.get("/api/v1/auth/me", headers=bearer(laptop)), 401, "invalid_token")


async def test_tokens_expire(client: httpx.AsyncClient, frozen: FrozenClock, db: Database) -> None:
    tokens = await signup(client, "ada@example.com")
    frozen.advance(seconds=899)
    assert (await client.get("/api/v1/auth/me", headers=bearer(tokens))).status_code == 200
    frozen.advance(seconds=2)
    problem(await client.get("/api/v1/auth/me", headers=bearer(tokens)), 401, "invalid_token")
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    frozen.advance(days=31)
    late = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": refreshed.json()["refresh_token"]}
    )
    problem(late, 401, "invalid_refresh_token")
    async with db.read_session() as session:
        row = await session.get(AuthSession, uid(_sid(tokens)))
        assert row is not None
        assert row.revoked_at is None


def _sid(tokens: dict[str, str]) -> str:
    import jwt

    return str(jwt.decode(tokens["access_token"], options={"verify_signature": False})["sid"])
