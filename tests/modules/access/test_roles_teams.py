"""Roles, teams and the audit log through the API."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from kronos.modules.access.exceptions import UnknownRole
from kronos.modules.access.models import AuditEvent, Role
from kronos.modules.access.service import load_principal_permissions, validate_role_key
from tests.modules.access.conftest import Access

DEAL_DESK = {
    "key": "deal_desk",
    "name": "Deal desk",
    "permissions": {
        "objects": {
            "deals": {"actions": ["read", "update"], "visibility": "all", "fields": {"amount": "read"}},
            "*": {"actions": ["read"]},
        }
    },
}


async def _count(access: Access, model: type[object]) -> int:
    async with access.db.read_session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_roles_list_built_ins_and_custom_roles_work_end_to_end(access: Access) -> None:
    owner = await access.workspace()
    listed = await access.call(owner, "GET", "/api/v1/roles")
    assert listed.status_code == 200
    keys = [r["key"] for r in listed.json()]
    assert keys[:7] == [
        "owner",
        "admin",
        "sales_manager",
        "sales_rep",
        "support_agent",
        "marketing",
        "read_only",
    ]
    assert all(r["built_in"] and r["id"] is None for r in listed.json())

    created = await access.call(owner, "POST", "/api/v1/roles", json=DEAL_DESK)
    assert created.status_code == 201, created.text
    role = created.json()
    assert role["built_in"] is False
    assert role["key"] == "deal_desk"
    assert (await access.call(owner, "GET", f"/api/v1/roles/{role['id']}")).json() == role
    assert (await access.call(owner, "GET", "/api/v1/roles/deal_desk")).json() == role

    # A member with the custom role gets exactly its permissions.
    desk = await access.member(owner.tenant_id, "deal_desk")
    async with access.db.read_session() as session:
        await validate_role_key(session, owner.tenant_id, "deal_desk")
        permissions, owners = await load_principal_permissions(session, owner.tenant_id, desk.user_id)
    assert permissions.can("deals", "update")
    assert not permissions.can("deals", "delete")
    assert permissions.field_access("deals", "amount") == "read"
    assert owners == {desk.user_id}

    patched = await access.call(
        owner,
        "PATCH",
        f"/api/v1/roles/{role['id']}",
        json={"permissions": {"objects": {"deals": {"actions": ["read", "delete"]}}}},
    )
    assert patched.status_code == 200, patched.text
    async with access.db.read_session() as session:
        permissions, _ = await load_principal_permissions(session, owner.tenant_id, desk.user_id)
    assert permissions.can("deals", "delete")
    assert not permissions.can("deals", "update")

    in_use = await access.call(owner, "DELETE", f"/api/v1/roles/{role['id']}")
    assert in_use.status_code == 409
    assert in_use.json()["code"] == "role_in_use"
    spare = (await access.call(owner, "POST", "/api/v1/roles", json=DEAL_DESK | {"key": "spare"})).json()
    assert (await access.call(owner, "DELETE", f"/api/v1/roles/{spare['id']}")).status_code == 204
    assert (await access.call(owner, "GET", f"/api/v1/roles/{spare['id']}")).status_code == 404

    log = await access.call(owner, "GET", "/api/v1/audit-log", params={"event": "role.created"})
    assert [e["detail"]["key"] for e in log.json()["items"]] == ["spare", "deal_desk"]


async def test_role_errors_are_clear_and_change_nothing(access: Access) -> None:
    owner = await access.workspace()
    rep = await access.member(owner.tenant_id, "sales_rep")
    assert (await access.call(owner, "POST", "/api/v1/roles", json=DEAL_DESK)).status_code == 201
    before = (await _count(access, Role), await _count(access, AuditEvent))
    cases = [
        (rep, "POST", "/api/v1/roles", DEAL_DESK | {"key": "x_role"}, 403, "forbidden"),
        (owner, "POST", "/api/v1/roles", DEAL_DESK, 409, "role_key_taken"),
        (owner, "POST", "/api/v1/roles", DEAL_DESK | {"key": "admin"}, 409, "role_key_taken"),
        (owner, "POST", "/api/v1/roles", DEAL_DESK | {"key": "Bad Key"}, 422, "validation_failed"),
        (
            owner,
            "POST",
            "/api/v1/roles",
            DEAL_DESK | {"key": "k2", "permissions": {"objects": {"deals": {"actions": ["fly"]}}}},
            422,
            "validation_failed",
        ),
        (owner, "PATCH", "/api/v1/roles/admin", {"name": "Boss"}, 409, "role_read_only"),
        (owner, "DELETE", "/api/v1/roles/owner", None, 409, "role_read_only"),
        (owner, "PATCH", "/api/v1/roles/deal_desk", {"name": None}, 422, "validation_failed"),
        (owner, "PATCH", "/api/v1/roles/deal_desk", {"key": "other"}, 422, "validation_failed"),
        (owner, "GET", "/api/v1/roles/nope", None, 404, "role_not_found"),
        (owner, "GET", f"/api/v1/roles/{uuid.uuid4()}", None, 404, "role_not_found"),
    ]
    for who, method, url, body, status, code in cases:
        response = await access.call(who, method, url, json=body)
        assert (response.status_code, response.json()["code"]) == (status, code), (method, url, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert (await _count(access, Role), await _count(access, AuditEvent)) == before
    async with access.db.read_session() as session:
        with pytest.raises(UnknownRole):
            await validate_role_key(session, owner.tenant_id, "ghost")


async def test_unauthenticated_and_non_member_callers_are_refused(access: Access) -> None:
    owner = await access.workspace()
    assert (await access.client.get("/api/v1/roles")).status_code == 401
    stranger = await access.workspace("Other")
    ghost = type(owner)(owner.tenant_id, stranger.user_id)  # a real user, not a member of this workspace
    response = await access.call(ghost, "GET", "/api/v1/teams")
    assert response.status_code == 401
    assert response.json()["code"] == "membership_required"


async def test_teams_and_team_visibility(access: Access) -> None:
    owner = await access.workspace()
    manager = await access.member(owner.tenant_id, "sales_manager")
    rep_a = await access.member(owner.tenant_id, "sales_rep")
    rep_b = await access.member(owner.tenant_id, "sales_rep")
    loner = await access.member(owner.tenant_id, "sales_rep")
    created = await access.call(
        owner,
        "POST",
        "/api/v1/teams",
        json={
            "name": "West",
            "members": [
                {"user_id": str(manager.user_id), "is_manager": True},
                {"user_id": str(rep_a.user_id)},
            ],
        },
    )
    assert created.status_code == 201, created.text
    team = created.json()
    put = await access.call(owner, "PUT", f"/api/v1/teams/{team['id']}/members/{rep_b.user_id}")
    assert put.status_code == 200
    assert len(put.json()["members"]) == 3

    async with access.db.read_session() as session:
        _, seen_by_manager = await load_principal_permissions(session, owner.tenant_id, manager.user_id)
        _, seen_by_rep = await load_principal_permissions(session, owner.tenant_id, rep_a.user_id)
    assert seen_by_manager == {manager.user_id, rep_a.user_id, rep_b.user_id}
    assert seen_by_rep == {rep_a.user_id}

    # A second manager; removing a member; renaming.
    promote = await access.call(
        owner, "PUT", f"/api/v1/teams/{team['id']}/members/{rep_a.user_id}", json={"is_manager": True}
    )
    assert sum(m["is_manager"] for m in promote.json()["members"]) == 2
    assert (
        await access.call(owner, "DELETE", f"/api/v1/teams/{team['id']}/members/{rep_b.user_id}")
    ).status_code == 204
    gone = await access.call(owner, "DELETE", f"/api/v1/teams/{team['id']}/members/{rep_b.user_id}")
    assert gone.status_code == 404
    assert gone.json()["code"] == "team_member_not_found"
    renamed = await access.call(owner, "PATCH", f"/api/v1/teams/{team['id']}", json={"name": "West Coast"})
    assert renamed.json()["name"] == "West Coast"
    async with access.db.read_session() as session:
        _, seen_by_manager = await load_principal_permissions(session, owner.tenant_id, manager.user_id)
    assert seen_by_manager == {manager.user_id, rep_a.user_id}

    # Errors: duplicates, strangers, non-admins.
    other = await access.workspace("Other")
    for who, method, url, body, status, code in [
        (owner, "POST", "/api/v1/teams", {"name": "west coast"}, 409, "team_name_taken"),
        (
            owner,
            "POST",
            "/api/v1/teams",
            {"name": "X", "members": [{"user_id": str(other.user_id)}]},
            422,
            "not_a_member",
        ),
        (owner, "PUT", f"/api/v1/teams/{team['id']}/members/{other.user_id}", None, 422, "not_a_member"),
        (loner, "POST", "/api/v1/teams", {"name": "Mine"}, 403, "forbidden"),
        (loner, "DELETE", f"/api/v1/teams/{team['id']}", None, 403, "forbidden"),
        (owner, "POST", "/api/v1/teams", {"name": ""}, 422, "validation_failed"),
    ]:
        response = await access.call(who, method, url, json=body)
        assert (response.status_code, response.json()["code"]) == (status, code), (method, url, response.text)
    assert len((await access.call(loner, "GET", "/api/v1/teams")).json()) == 1

    assert (await access.call(owner, "DELETE", f"/api/v1/teams/{team['id']}")).status_code == 204
    assert (await access.call(owner, "GET", f"/api/v1/teams/{team['id']}")).status_code == 404
    async with access.db.read_session() as session:
        _, seen_by_manager = await load_principal_permissions(session, owner.tenant_id, manager.user_id)
    assert seen_by_manager == {manager.user_id}
    events = (await access.call(owner, "GET", "/api/v1/audit-log", params={"limit": 200})).json()["items"]
    assert {e["event"] for e in events} >= {
        "team.created",
        "team.member_added",
        "team.member_updated",
        "team.member_removed",
        "team.updated",
        "team.deleted",
    }


async def test_audit_log_is_admin_only_filtered_and_paginated_by_cursor(access: Access) -> None:
    owner = await access.workspace()
    rep = await access.member(owner.tenant_id, "sales_rep")
    for n in range(5):
        await access.call(owner, "POST", "/api/v1/teams", json={"name": f"T{n}"})
    await access.call(owner, "POST", "/api/v1/roles", json=DEAL_DESK)
    assert (await access.call(rep, "GET", "/api/v1/audit-log")).status_code == 403

    seen: list[str] = []
    after = None
    while True:
        params: dict[str, str | int] = {"limit": 2, "event": "team.created"}
        if after:
            params["after"] = after
        page = (await access.call(owner, "GET", "/api/v1/audit-log", params=params)).json()
        seen += [e["detail"]["name"] for e in page["items"]]
        after = page["next_cursor"]
        if after is None:
            break
    assert seen == ["T4", "T3", "T2", "T1", "T0"]
    by_actor = await access.call(owner, "GET", "/api/v1/audit-log", params={"actor": str(rep.user_id)})
    assert by_actor.json()["items"] == []
    future = await access.call(owner, "GET", "/api/v1/audit-log", params={"since": "2999-01-01T00:00:00Z"})
    assert future.json() == {"items": [], "next_cursor": None}
    bad = await access.call(owner, "GET", "/api/v1/audit-log", params={"limit": 0})
    assert bad.status_code == 422
    naive = await access.call(owner, "GET", "/api/v1/audit-log", params={"since": "2020-01-01T00:00:00"})
    assert naive.status_code == 422
