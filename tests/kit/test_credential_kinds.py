"""Which credentials each route accepts, decided route by route and held here.

A route accepts a signed-in person's session and an API key (``CurrentPrincipal``), a session only
(``SessionPrincipal``), or no credential at all (public). The table below is the decision for every route
that touches accounts, people, keys and workspace administration; a new route there fails the first test
until it is added to the table. The second test calls every session-only route with the most powerful API key
there is (admin, every action on every object) and checks each refuses it and changes nothing.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from kronos.kit.auth import get_principal, get_session_principal
from kronos.kit.db import Database
from kronos.modules.access.models import ApiKey
from kronos.modules.identity.models import AuthSession, Invitation, Membership, User
from tests.modules.identity.conftest import PASSWORD, bearer, signup

Kind = Literal["public", "session", "any"]

# Routes of the account, people, keys and administration, by (method, path): the decision for each.
DECIDED: dict[tuple[str, str], Kind] = {
    # Signing in and the account itself: public, or a person only.
    ("POST", "/api/v1/auth/signup"): "public",
    ("POST", "/api/v1/auth/login"): "public",
    ("GET", "/api/v1/auth/first-sign-in"): "public",
    ("POST", "/api/v1/auth/refresh"): "public",
    ("POST", "/api/v1/auth/password/forgot"): "public",
    ("POST", "/api/v1/auth/password/reset"): "public",
    ("POST", "/api/v1/invitations/accept"): "public",
    ("POST", "/api/v1/auth/switch"): "session",
    ("POST", "/api/v1/auth/logout"): "session",
    ("GET", "/api/v1/auth/me"): "session",
    ("PATCH", "/api/v1/auth/me"): "session",
    ("GET", "/api/v1/auth/workspaces"): "session",
    ("GET", "/api/v1/auth/sessions"): "session",
    ("DELETE", "/api/v1/auth/sessions/{session_id}"): "session",
    ("POST", "/api/v1/auth/password/change"): "session",
    ("POST", "/api/v1/auth/2fa/setup"): "session",
    ("POST", "/api/v1/auth/2fa/enable"): "session",
    ("POST", "/api/v1/auth/2fa/disable"): "session",
    # Keys never make, list or revoke keys.
    ("GET", "/api/v1/api-keys"): "session",
    ("POST", "/api/v1/api-keys"): "session",
    ("DELETE", "/api/v1/api-keys/{key_id}"): "session",
    # People: an integration may read who is in the workspace (to assign owners); only a person changes
    # who is in it and with what role (an admin key inviting an owner would be a takeover).
    ("GET", "/api/v1/members"): "any",
    ("PATCH", "/api/v1/members/{member_id}"): "session",
    ("DELETE", "/api/v1/members/{member_id}"): "session",
    ("GET", "/api/v1/invitations"): "session",
    ("POST", "/api/v1/invitations"): "session",
    ("DELETE", "/api/v1/invitations/{invitation_id}"): "session",
    ("POST", "/api/v1/invitations/{invitation_id}/resend"): "session",
    # Workspace administration within a key's scope (admin keys only, checked by the routes).
    ("GET", "/api/v1/workspace"): "any",
    ("PATCH", "/api/v1/workspace"): "any",
    ("GET", "/api/v1/roles"): "any",
    ("POST", "/api/v1/roles"): "any",
    ("GET", "/api/v1/roles/{role}"): "any",
    ("PATCH", "/api/v1/roles/{role}"): "any",
    ("DELETE", "/api/v1/roles/{role}"): "any",
    ("GET", "/api/v1/teams"): "any",
    ("POST", "/api/v1/teams"): "any",
    ("GET", "/api/v1/teams/{team_id}"): "any",
    ("PATCH", "/api/v1/teams/{team_id}"): "any",
    ("DELETE", "/api/v1/teams/{team_id}"): "any",
    ("PUT", "/api/v1/teams/{team_id}/members/{user_id}"): "any",
    ("DELETE", "/api/v1/teams/{team_id}/members/{user_id}"): "any",
    ("GET", "/api/v1/audit-log"): "any",
}
DECIDED_PREFIXES = (
    "/api/v1/auth",
    "/api/v1/api-keys",
    "/api/v1/members",
    "/api/v1/invitations",
    "/api/v1/workspace",
    "/api/v1/roles",
    "/api/v1/teams",
    "/api/v1/audit-log",
)
# Outside the table: routes that answer without a credential. Everything else under /api must take one.
PUBLIC_ELSEWHERE = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/",  # without a built web app, a page that says how to build it
}


def _calls(dependant: Dependant) -> set[Any]:
    found = {dependant.call}
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


def _kind(route: APIRoute) -> Kind:
    calls = _calls(route.dependant)
    if get_session_principal in calls:
        return "session"
    if get_principal in calls or (route.openapi_extra or {}).get("security"):
        return "any"  # the record list resolves its principal by hand and says so in its OpenAPI security
    return "public"


def _api_routes(routes: list[Any], prefix: str = "") -> list[tuple[str, APIRoute]]:
    """Every APIRoute with its full path, through included routers (FastAPI keeps those as wrappers that
    hold the original router and the prefix it was included with)."""
    found: list[tuple[str, APIRoute]] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append((prefix + route.path, route))
        elif hasattr(route, "original_router"):
            found += _api_routes(route.original_router.routes, prefix + route.include_context.prefix)
    return found


def _routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    return [
        (method, path, route)
        for path, route in _api_routes(app.routes)
        for method in sorted(route.methods or ())
        if method != "HEAD"
    ]


def test_every_route_has_a_decided_credential_kind(app: FastAPI) -> None:
    seen: dict[tuple[str, str], Kind] = {}
    undecided, open_routes = [], []
    for method, path, route in _routes(app):
        kind = _kind(route)
        if path.startswith(DECIDED_PREFIXES):
            if (method, path) not in DECIDED:
                undecided.append(f"{method} {path}")
            seen[(method, path)] = kind
        elif kind == "public" and path not in PUBLIC_ELSEWHERE:
            open_routes.append(f"{method} {path}")
    assert undecided == [], "add these routes to DECIDED with the credentials they accept"
    assert open_routes == [], "these routes answer without a credential"
    assert seen == DECIDED


async def test_an_api_key_is_never_a_session(client: httpx.AsyncClient, app: FastAPI) -> None:
    owner = await signup(client, "ada@example.com")
    made = await client.post(
        "/api/v1/api-keys",
        headers=bearer(owner),
        json={"name": "everything", "permissions": {"is_admin": True, "objects": {"*": ["read", "create"]}}},
    )
    assert made.status_code == 201, made.text
    key = {"Authorization": f"Bearer {made.json()['key']}"}
    db: Database = app.state.db

    async def snapshot() -> tuple[Any, ...]:
        async with db.read_session() as session:
            user = await session.scalar(select(User).where(User.email == "ada@example.com"))
            assert user is not None
            return (
                user.password_hash,
                user.totp_pending_secret,
                user.totp_secret,
                user.full_name,
                await session.scalar(select(func.count()).select_from(AuthSession)),
                await session.scalar(select(func.count()).where(AuthSession.revoked_at.is_not(None))),
                await session.scalar(select(func.count()).select_from(ApiKey)),
                await session.scalar(select(func.count()).select_from(Invitation)),
                await session.scalar(select(func.count()).select_from(Membership)),
            )

    before = await snapshot()
    session_id = (await client.get("/api/v1/auth/sessions", headers=bearer(owner))).json()[0]["id"]
    bodies: dict[str, dict[str, Any]] = {
        "/api/v1/auth/switch": {"workspace_id": owner["workspace_id"]},
        "/api/v1/auth/password/change": {"current_password": PASSWORD, "new_password": "violet-harbour-2208"},
        "/api/v1/auth/2fa/enable": {"otp": "123456"},
        "/api/v1/auth/2fa/disable": {"password": PASSWORD, "otp": "123456"},
        "/api/v1/auth/me": {"full_name": "Key holder"},
        "/api/v1/api-keys": {"name": "another", "permissions": {"is_admin": True}},
        "/api/v1/invitations": {"email": "eve@example.com", "role": "owner"},
        "/api/v1/members/{member_id}": {"role": "owner"},
    }
    refused = []
    for (method, path), kind in DECIDED.items():
        if kind != "session":
            continue
        url = path.replace("{session_id}", session_id)
        for name in ("{key_id}", "{member_id}", "{invitation_id}"):
            url = url.replace(name, str(uuid.uuid4()))
        answer = await client.request(method, url, headers=key, json=bodies.get(path))
        if answer.status_code != 403 or answer.json()["code"] != "session_required":
            refused.append(f"{method} {path}: {answer.status_code} {answer.text[:120]}")
    assert refused == []
    assert await snapshot() == before
    # The same key still does what it was given.
    assert (await client.get("/api/v1/companies", headers=key)).status_code == 200
    assert (await client.get("/api/v1/members", headers=key)).status_code == 200


async def test_a_read_only_key_cannot_turn_on_two_factor_for_its_owner(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    owner = await signup(client, "ada@example.com")
    made = await client.post(
        "/api/v1/api-keys",
        headers=bearer(owner),
        json={"name": "reader", "permissions": {"objects": {"companies": ["read"]}}},
    )
    key = {"Authorization": f"Bearer {made.json()['key']}"}
    setup = await client.post("/api/v1/auth/2fa/setup", headers=key)
    assert setup.status_code == 403
    assert "secret" not in setup.json()
    switched = await client.post(
        "/api/v1/auth/switch", headers=key, json={"workspace_id": owner["workspace_id"]}
    )
    assert switched.status_code == 403
    assert "access_token" not in switched.json()
    listed = await client.get("/api/v1/auth/sessions", headers=key)
    assert listed.status_code == 403
    db: Database = app.state.db
    async with db.read_session() as session:
        user = await session.scalar(select(User).where(User.email == "ada@example.com"))
        assert user is not None
        assert user.totp_pending_secret is None
        assert user.totp_secret is None
