"""A user's own profile (PATCH /api/v1/auth/me) and what GET /me says about managing the workspace."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from kronos.kit.db import Database
from kronos.modules.access.models import AuditEvent
from kronos.modules.identity.models import User
from tests.modules.identity.conftest import PASSWORD, Mailbox, bearer, problem, signup, uid


async def _full_name(db: Database, email: str) -> str:
    async with db.read_session() as session:
        return (await session.execute(select(User.full_name).where(User.email == email))).scalar_one()


async def _join(
    client: httpx.AsyncClient, mailbox: Mailbox, admin: dict[str, Any], email: str, role: str
) -> Any:
    invited = await client.post(
        "/api/v1/invitations", headers=bearer(admin), json={"email": email, "role": role}
    )
    assert invited.status_code == 201, invited.text
    accepted = await client.post(
        "/api/v1/invitations/accept", json={"token": mailbox.token_for(email), "password": PASSWORD}
    )
    assert accepted.status_code == 200, accepted.text
    return accepted.json()["tokens"]


async def test_change_my_name_everywhere_with_an_audit_record(
    client: httpx.AsyncClient, db: Database
) -> None:
    ada = await signup(client, "ada@example.com", "Acme")
    changed = await client.patch("/api/v1/auth/me", headers=bearer(ada), json={"full_name": "  Ada King  "})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["user"]["full_name"] == "Ada King"  # trimmed
    assert (body["role"], body["is_admin"], body["user"]["email"]) == ("owner", True, "ada@example.com")
    assert [m["workspace_name"] for m in body["memberships"]] == ["Acme"]
    assert (await client.get("/api/v1/auth/me", headers=bearer(ada))).json()["user"][
        "full_name"
    ] == "Ada King"
    members = (await client.get("/api/v1/members", headers=bearer(ada))).json()
    assert [m["full_name"] for m in members] == ["Ada King"]
    async with db.read_session() as session:
        events = (
            (await session.execute(select(AuditEvent).where(AuditEvent.event == "account.profile_changed")))
            .scalars()
            .all()
        )
    assert [(str(e.tenant_id), e.actor_user_id, e.detail) for e in events] == [
        (body["workspace"]["id"], uid(body["user"]["id"]), {"fields": ["full_name"]})
    ]

    # Sending the same name again changes nothing and records nothing.
    again = await client.patch("/api/v1/auth/me", headers=bearer(ada), json={"full_name": "Ada King"})
    assert again.status_code == 200, again.text
    async with db.read_session() as session:
        count = len(
            (
                await session.execute(
                    select(AuditEvent.id).where(AuditEvent.event == "account.profile_changed")
                )
            ).all()
        )
    assert count == 1


async def test_bad_profile_changes_are_422_and_change_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    ada = await signup(client, "ada@example.com", "Acme")
    await client.patch("/api/v1/auth/me", headers=bearer(ada), json={"full_name": "Ada"})

    too_long = problem(
        await client.patch("/api/v1/auth/me", headers=bearer(ada), json={"full_name": "x" * 201}),
        422,
        "validation_failed",
    )
    assert [e["path"] for e in too_long["errors"]] == ["body.full_name"]
    # The e-mail is the sign-in name: not something this endpoint changes.
    email = problem(
        await client.patch(
            "/api/v1/auth/me", headers=bearer(ada), json={"full_name": "Eve", "email": "eve@example.com"}
        ),
        422,
        "validation_failed",
    )
    assert [e["path"] for e in email["errors"]] == ["body.email"]
    problem(await client.patch("/api/v1/auth/me", json={"full_name": "Mallory"}), 401, "unauthorized")
    assert await _full_name(db, "ada@example.com") == "Ada"
    async with db.read_session() as session:
        emails = (await session.execute(select(User.email))).scalars().all()
    assert emails == ["ada@example.com"]


async def test_an_api_key_cannot_edit_its_owner(client: httpx.AsyncClient, db: Database) -> None:
    ada = await signup(client, "ada@example.com", "Acme")
    created = await client.post(
        "/api/v1/api-keys",
        headers=bearer(ada),
        json={"name": "script", "permissions": {"is_admin": True, "objects": {"*": ["read"]}}},
    )
    assert created.status_code == 201, created.text
    key = {"Authorization": f"Bearer {created.json()['key']}"}
    refused = await client.patch("/api/v1/auth/me", headers=key, json={"full_name": "Key"})
    problem(refused, 403, "session_required")
    assert await _full_name(db, "ada@example.com") == ""


async def test_me_says_who_manages_the_workspace(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    owner = await signup(client, "ada@example.com", "Acme")
    custom = await client.post(
        "/api/v1/roles",
        headers=bearer(owner),
        json={"key": "ops_lead", "name": "Ops lead", "permissions": {"is_admin": True, "objects": {}}},
    )
    assert custom.status_code == 201, custom.text
    rep = await _join(client, mailbox, owner, "bob@example.com", "sales_rep")
    lead = await _join(client, mailbox, owner, "carol@example.com", "ops_lead")

    rep_me = (await client.get("/api/v1/auth/me", headers=bearer(rep))).json()
    lead_me = (await client.get("/api/v1/auth/me", headers=bearer(lead))).json()
    assert (rep_me["role"], rep_me["is_admin"]) == ("sales_rep", False)
    assert (lead_me["role"], lead_me["is_admin"]) == ("ops_lead", True)
    # And the API agrees with what /me says.
    problem(await client.get("/api/v1/invitations", headers=bearer(rep)), 403, "forbidden")
    assert (await client.get("/api/v1/invitations", headers=bearer(lead))).status_code == 200
