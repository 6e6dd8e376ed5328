"""Signup, the password policy, login, choosing and switching workspaces, and workspace settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import func, select

from kronos.kit.db import Database
from kronos.modules.access.models import AuditEvent
from kronos.modules.identity.models import AuthSession, Membership, User, Workspace
from tests.modules.identity.conftest import PASSWORD, bearer, login, problem, signup, uid


async def _count(db: Database, model: type[Any]) -> int:
    async with db.read_session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_signup_creates_workspace_owner_and_session(client: httpx.AsyncClient, db: Database) -> None:
    tokens = await signup(client, "Ada@Example.com", "Analytical Engines")
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 900
    me = await client.get("/api/v1/auth/me", headers=bearer(tokens))
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["user"]["email"] == "ada@example.com"
    assert body["workspace"]["name"] == "Analytical Engines"
    assert body["workspace"]["id"] == tokens["workspace_id"]
    assert body["role"] == "owner"
    assert [m["workspace_name"] for m in body["memberships"]] == ["Analytical Engines"]
    async with db.read_session() as session:
        user = await session.scalar(select(User))
        assert user is not None
        assert user.email == "ada@example.com"
        assert user.password_hash.startswith("$argon2id$")
        membership = await session.scalar(select(Membership))
        assert membership is not None
        assert membership.role == "owner"
        assert membership.tenant_id == uid(tokens["workspace_id"])
    assert await _count(db, AuthSession) == 1


async def test_signup_disabled(client_with: Callable[..., Any], db: Database) -> None:
    async with client_with(signup_enabled=False) as http:
        response = await http.post(
            "/api/v1/auth/signup",
            json={"email": "a@example.com", "password": PASSWORD, "workspace_name": "X"},
        )
        problem(response, 403, "signup_disabled")
        assert await _count(db, User) == 0


async def test_password_policy(client: httpx.AsyncClient, db: Database) -> None:
    cases = [
        ("short-1", "password_too_short"),
        ("password123", "password_common"),
        ("Qwertyuiop", "password_common"),
        ("iloveyou2024", "password_common"),
        ("aaaaaaaaaaaaaa", "password_common"),
        ("grace.hopper@example.com", "password_is_email"),
    ]
    for password, reason in cases:
        response = await client.post(
            "/api/v1/auth/signup",
            json={"email": "grace.hopper@example.com", "password": password, "workspace_name": "Navy"},
        )
        body = problem(response, 422, "weak_password")
        assert body["errors"][0]["type"] == reason, password
        assert body["errors"][0]["path"] == "body.password"
    bad_email = await client.post(
        "/api/v1/auth/signup", json={"email": "nope", "password": PASSWORD, "workspace_name": "Navy"}
    )
    problem(bad_email, 422, "validation_failed")
    assert await _count(db, User) == 0
    assert await _count(db, Workspace) == 0


async def test_login_success_and_failures(client: httpx.AsyncClient, db: Database) -> None:
    await signup(client, "ada@example.com")
    ok = await login(client, "ADA@example.com")
    assert ok.status_code == 200, ok.text
    assert set(ok.json()) == {"access_token", "refresh_token", "token_type", "expires_in", "workspace_id"}
    wrong = await login(client, "ada@example.com", "not-the-password-1")
    unknown = await login(client, "nobody@example.com")
    for response in (wrong, unknown):
        body = problem(response, 401, "invalid_credentials")
        assert body["detail"] == "The e-mail or password is not correct."
    assert await _count(db, AuthSession) == 2  # signup + one good login
    async with db.read_session() as session:  # failures are audited although the request answers 401
        events = (await session.execute(select(AuditEvent.event, AuditEvent.tenant_id))).all()
        failed = sorted(str(tenant) for event, tenant in events if event == "auth.login_failed")
        assert failed == sorted(["None", ok.json()["workspace_id"]])
        assert [e for e, _ in events].count("auth.login_succeeded") == 1
    no_token = await client.get("/api/v1/auth/me")
    problem(no_token, 401, "unauthorized")
    garbage = await client.get("/api/v1/auth/me", headers={"Authorization": "Bearer eyJhbGciOi.x.y"})
    problem(garbage, 401, "invalid_token")


async def test_multiple_workspaces_choice_and_switch(client: httpx.AsyncClient) -> None:
    first = await signup(client, "ada@example.com", "First")
    second = await signup(client, "ada@example.com", "Second")  # same account: signs in to it
    taken = await client.post(
        "/api/v1/auth/signup",
        json={"email": "ada@example.com", "password": "other-secret-991", "workspace_name": "Third"},
    )
    problem(taken, 401, "invalid_credentials")  # what a wrong password at sign-in says

    # Without workspace_id: the most recently used one (Second, signed into last).
    latest = await login(client, "ada@example.com")
    assert latest.json()["workspace_id"] == second["workspace_id"]
    chosen = await login(client, "ada@example.com", workspace_id=first["workspace_id"])
    assert chosen.json()["workspace_id"] == first["workspace_id"]
    again = await login(client, "ada@example.com")
    assert again.json()["workspace_id"] == first["workspace_id"]
    foreign = await login(client, "ada@example.com", workspace_id="00000000-0000-7000-8000-000000000000")
    problem(foreign, 403, "not_a_member")

    listed = await client.get("/api/v1/auth/workspaces", headers=bearer(again.json()))
    assert [w["workspace_name"] for w in listed.json()] == ["First", "Second"]

    switched = await client.post(
        "/api/v1/auth/switch", json={"workspace_id": second["workspace_id"]}, headers=bearer(again.json())
    )
    assert switched.status_code == 200, switched.text
    me = await client.get("/api/v1/auth/me", headers=bearer(switched.json()))
    assert me.json()["workspace"]["name"] == "Second"

    other = await signup(client, "eve@example.com", "Eve's")
    sneaky = await client.post(
        "/api/v1/auth/switch", json={"workspace_id": other["workspace_id"]}, headers=bearer(again.json())
    )
    problem(sneaky, 403, "not_a_member")


async def test_workspace_settings(client: httpx.AsyncClient, db: Database) -> None:
    owner = await signup(client, "ada@example.com", "Acme")
    got = await client.get("/api/v1/workspace", headers=bearer(owner))
    assert got.json()["time_zone"] == "UTC"
    patched = await client.patch(
        "/api/v1/workspace",
        headers=bearer(owner),
        json={
            "name": "Acme Ltd",
            "time_zone": "Europe/Paris",
            "default_currency": "eur",
            "locale": "fr-FR",
            "fiscal_year_start_month": 4,
        },
    )
    assert patched.status_code == 200, patched.text
    assert patched.json() | {"id": None, "created_at": None} == {
        "id": None,
        "created_at": None,
        "name": "Acme Ltd",
        "time_zone": "Europe/Paris",
        "default_currency": "EUR",
        "locale": "fr-FR",
        "fiscal_year_start_month": 4,
    }
    for bad in (
        {"time_zone": "Mars/Olympus"},
        {"time_zone": "../../etc/passwd"},
        {"default_currency": "XYZ"},
        {"fiscal_year_start_month": 13},
        {"name": ""},
        {"unknown": 1},
    ):
        response = await client.patch("/api/v1/workspace", headers=bearer(owner), json=bad)
        problem(response, 422, "validation_failed")
    async with db.read_session() as session:
        workspace = await session.get(Workspace, uid(owner["workspace_id"]))
        assert workspace is not None
        assert (workspace.name, workspace.time_zone, workspace.default_currency) == (
            "Acme Ltd",
            "Europe/Paris",
            "EUR",
        )
