"""API keys: shown once, stored hashed, scoped within the owner's current role, revocable, expiring."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from kronos.kit.auth import Principal
from kronos.kit.clock import utcnow
from kronos.modules.access.models import ApiKey
from kronos.modules.identity.models import Membership
from tests.modules.access.conftest import Access


async def _principal_of(access: Access, key: str) -> Principal:
    """What a request with this key proves: a route that echoes the principal would do the same."""
    for authenticate in access.app.state.authenticators:
        principal: Principal | None = await authenticate(None, access.db, key)  # type: ignore[arg-type,unused-ignore]
        if principal is not None:
            return principal
    raise AssertionError("no authenticator recognised the key")


async def test_key_is_shown_once_hashed_and_authenticates_within_scope(access: Access) -> None:
    owner = await access.workspace()
    rep = await access.member(owner.tenant_id, "sales_rep")
    created = await access.call(
        rep,
        "POST",
        "/api/v1/api-keys",
        json={"name": "zapier", "permissions": {"objects": {"deals": ["read", "update"], "*": ["read"]}}},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    key = body["key"]
    assert key.startswith(body["prefix"] + "_")
    assert key.startswith("kr_")
    async with access.db.read_session() as session:
        stored = await session.scalar(select(ApiKey).where(ApiKey.id == uuid.UUID(body["id"])))
    assert stored is not None
    assert key.split("_", 2)[2] not in (stored.secret_hash, stored.prefix)
    listed = (await access.call(rep, "GET", "/api/v1/api-keys")).json()
    assert [k["id"] for k in listed] == [body["id"]]
    assert "key" not in listed[0]

    # The key works as a bearer token, with the scope cut to the role.
    as_key = {"Authorization": f"Bearer {key}"}
    response = await access.client.get("/api/v1/teams", headers=as_key)
    assert response.status_code == 200
    principal = await _principal_of(access, key)
    assert principal.via == "api_key"
    assert str(principal.api_key_id) == body["id"]
    assert principal.user_id == rep.user_id
    assert principal.tenant_id == rep.tenant_id
    assert principal.permissions.can("deals", "update")
    assert not principal.permissions.can("deals", "delete")
    assert principal.permissions.visibility("deals") == "all"
    assert principal.permissions.edit_visibility("deals") == "own"
    assert not principal.permissions.is_admin
    # An API key cannot mint keys.
    minted = await access.client.post(
        "/api/v1/api-keys", headers=as_key, json={"name": "x", "permissions": {"objects": {}}}
    )
    assert minted.status_code == 403
    async with access.db.read_session() as session:
        used = await session.scalar(select(ApiKey.last_used_at).where(ApiKey.id == uuid.UUID(body["id"])))
    assert used is not None

    # Demoted: the key loses what the new role lacks at once.
    async with access.db.write_session() as session:
        await session.execute(
            update(Membership).where(Membership.user_id == rep.user_id).values(role="read_only")
        )
    principal = await _principal_of(access, key)
    assert principal.permissions.can("deals", "read")
    assert not principal.permissions.can("deals", "update")

    # Revoked: 401, at once.
    assert (await access.call(rep, "DELETE", f"/api/v1/api-keys/{body['id']}")).status_code == 204
    revoked = await access.client.get("/api/v1/teams", headers=as_key)
    assert revoked.status_code == 401
    assert revoked.json()["code"] == "invalid_api_key"
    assert (await access.call(rep, "DELETE", f"/api/v1/api-keys/{body['id']}")).status_code == 204


async def test_escalation_is_refused_and_changes_nothing(access: Access) -> None:
    owner = await access.workspace()
    rep = await access.member(owner.tenant_id, "sales_rep")
    for scope in (
        {"objects": {"deals": ["export"]}},
        {"objects": {"tickets": ["create"]}},
        {"objects": {"*": ["delete"]}},
        {"is_admin": True, "objects": {}},
    ):
        response = await access.call(
            rep, "POST", "/api/v1/api-keys", json={"name": "k", "permissions": scope}
        )
        assert response.status_code == 403, scope
        assert response.json()["code"] == "scope_exceeds_role"
    bad = [
        {"name": "k", "permissions": {"objects": {"deals": ["fly"]}}},
        {"name": "k", "permissions": {"objects": {}}, "expires_at": "2001-01-01T00:00:00Z"},
        {"name": "k", "permissions": {"objects": {}}, "expires_at": "2999-01-01T00:00:00"},
        {"name": "", "permissions": {"objects": {}}},
    ]
    for payload in bad:
        response = await access.call(rep, "POST", "/api/v1/api-keys", json=payload)
        assert response.status_code == 422, payload
    assert (await access.call(rep, "GET", "/api/v1/api-keys")).json() == []
    log = (await access.call(owner, "GET", "/api/v1/audit-log")).json()["items"]
    assert log == []


async def test_bad_expired_and_foreign_keys(access: Access) -> None:
    owner = await access.workspace()
    rep = await access.member(owner.tenant_id, "sales_rep")
    soon = (utcnow() + timedelta(seconds=1)).isoformat()
    created = (
        await access.call(
            rep,
            "POST",
            "/api/v1/api-keys",
            json={"name": "short", "expires_at": soon, "permissions": {"objects": {"*": ["read"]}}},
        )
    ).json()
    key = created["key"]
    for token in (
        "kr_nonsense",
        key[:-1] + ("A" if key[-1] != "A" else "B"),
        "kr_" + "0" * 12 + "_" + "a" * 43,
    ):
        response = await access.client.get("/api/v1/teams", headers={"Authorization": f"Bearer {token}"})
        assert (response.status_code, response.json()["code"]) == (401, "invalid_api_key"), token
    await asyncio.sleep(1.1)
    expired = await access.client.get("/api/v1/teams", headers={"Authorization": f"Bearer {key}"})
    assert expired.status_code == 401
    assert "expired" in expired.json()["detail"]

    # Admins list and revoke everyone's keys; members only their own.
    other_rep = await access.member(owner.tenant_id, "sales_rep")
    mine = (
        await access.call(
            other_rep, "POST", "/api/v1/api-keys", json={"name": "m", "permissions": {"objects": {}}}
        )
    ).json()
    assert (await access.call(rep, "GET", "/api/v1/api-keys", params={"all": "true"})).status_code == 403
    assert (await access.call(rep, "DELETE", f"/api/v1/api-keys/{mine['id']}")).status_code == 404
    everyone = (await access.call(owner, "GET", "/api/v1/api-keys", params={"all": "true"})).json()
    assert {k["id"] for k in everyone} == {created["id"], mine["id"]}
    assert (await access.call(owner, "DELETE", f"/api/v1/api-keys/{mine['id']}")).status_code == 204
    events = (
        await access.call(owner, "GET", "/api/v1/audit-log", params={"event": "api_key.revoked"})
    ).json()
    assert events["items"][0]["actor_user_id"] == str(owner.user_id)
    assert events["items"][0]["detail"]["owner_user_id"] == str(other_rep.user_id)

    # A user who leaves the workspace leaves their keys dead.
    live = (
        await access.call(rep, "POST", "/api/v1/api-keys", json={"name": "l", "permissions": {"objects": {}}})
    ).json()["key"]
    assert (
        await access.client.get("/api/v1/teams", headers={"Authorization": f"Bearer {live}"})
    ).status_code == 200
    async with access.db.write_session() as session:
        await session.execute(
            update(Membership).where(Membership.user_id == rep.user_id).values(deleted_at=utcnow())
        )
    gone = await access.client.get("/api/v1/teams", headers={"Authorization": f"Bearer {live}"})
    assert gone.status_code == 401
