"""Invitations, members and roles, and isolation between workspaces for every endpoint that takes an id."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from kronos.kit.db import Database
from kronos.modules.identity.models import AuthSession, Invitation, Membership, User
from tests.modules.identity.conftest import (
    PASSWORD,
    FrozenClock,
    Mailbox,
    bearer,
    login,
    problem,
    signup,
    uid,
)

MISSING = "00000000-0000-7000-8000-000000000000"


async def _invite(client: httpx.AsyncClient, admin: dict[str, Any], email: str, role: str) -> httpx.Response:
    return await client.post(
        "/api/v1/invitations", headers=bearer(admin), json={"email": email, "role": role}
    )


async def _members(client: httpx.AsyncClient, tokens: dict[str, Any]) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/v1/members", headers=bearer(tokens))
    assert response.status_code == 200, response.text
    return {m["email"]: m for m in response.json()}


async def test_invitation_accept_reuse_and_existing_account(
    client: httpx.AsyncClient, mailbox: Mailbox, db: Database
) -> None:
    owner = await signup(client, "ada@example.com", "Acme")
    created = await _invite(client, owner, "Bob@Example.com", "sales_rep")
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "pending"
    assert created.json()["email"] == "bob@example.com"
    problem(await _invite(client, owner, "carol@example.com", "emperor"), 422, "unknown_role")
    problem(await _invite(client, owner, "ada@example.com", "admin"), 409, "already_member")
    assert [m.to for m in mailbox.messages] == ["bob@example.com"]
    token = mailbox.token_for("bob@example.com")
    assert "/invitations/accept?token=" in mailbox.messages[0].text

    no_password = await client.post("/api/v1/invitations/accept", json={"token": token})
    problem(no_password, 422, "validation_failed")
    accepted = await client.post(
        "/api/v1/invitations/accept", json={"token": token, "password": PASSWORD, "full_name": "Bob"}
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["created_account"] is True
    bob = accepted.json()["tokens"]
    me = (await client.get("/api/v1/auth/me", headers=bearer(bob))).json()
    assert (me["role"], me["user"]["full_name"]) == ("sales_rep", "Bob")
    problem(
        await client.post("/api/v1/invitations/accept", json={"token": token, "password": PASSWORD}),
        410,
        "invitation_used",
    )
    problem(
        await client.post("/api/v1/invitations/accept", json={"token": "z" * 43}), 404, "invitation_not_found"
    )

    # A non-admin cannot invite; the list shows the accepted invitation.
    problem(await _invite(client, bob, "x@example.com", "read_only"), 403, "forbidden")
    listed = (await client.get("/api/v1/invitations", headers=bearer(owner))).json()
    assert [(i["email"], i["status"]) for i in listed] == [("bob@example.com", "accepted")]

    # An existing account joins another workspace by proving its password.
    other = await signup(client, "eve@example.com", "Eve's")
    await _invite(client, other, "bob@example.com", "admin")
    token2 = mailbox.token_for("bob@example.com")
    wrong = await client.post(
        "/api/v1/invitations/accept", json={"token": token2, "password": "not-bobs-pass-1"}
    )
    problem(wrong, 401, "invalid_credentials")
    joined = await client.post("/api/v1/invitations/accept", json={"token": token2, "password": PASSWORD})
    assert joined.status_code == 200
    assert joined.json()["created_account"] is False
    async with db.read_session() as session:
        bob_user = await session.scalar(select(User).where(User.email == "bob@example.com"))
        assert bob_user is not None
        roles = (
            await session.scalars(select(Membership.role).where(Membership.user_id == bob_user.id))
        ).all()
        assert sorted(roles) == ["admin", "sales_rep"]


async def test_invitation_expired_and_revoked(
    client: httpx.AsyncClient, mailbox: Mailbox, frozen: FrozenClock, db: Database
) -> None:
    owner = await signup(client, "ada@example.com")
    await _invite(client, owner, "late@example.com", "read_only")
    late_token = mailbox.token_for("late@example.com")
    revoked = (await _invite(client, owner, "gone@example.com", "read_only")).json()
    gone_token = mailbox.token_for("gone@example.com")
    assert (
        await client.delete(f"/api/v1/invitations/{revoked['id']}", headers=bearer(owner))
    ).status_code == 204
    problem(
        await client.delete(f"/api/v1/invitations/{revoked['id']}", headers=bearer(owner)),
        404,
        "invitation_not_found",
    )
    problem(
        await client.post("/api/v1/invitations/accept", json={"token": gone_token, "password": PASSWORD}),
        404,
        "invitation_not_found",
    )
    frozen.advance(days=7, seconds=1)
    expired = await client.post(
        "/api/v1/invitations/accept", json={"token": late_token, "password": PASSWORD}
    )
    problem(expired, 410, "invitation_expired")
    async with db.read_session() as session:
        assert await session.scalar(select(User).where(User.email == "late@example.com")) is None
        assert await session.scalar(select(User).where(User.email == "gone@example.com")) is None
    owner = (await login(client, "ada@example.com")).json()  # a week later: the access token is long gone
    statuses = [i["status"] for i in (await client.get("/api/v1/invitations", headers=bearer(owner))).json()]
    assert statuses == ["expired"]


async def _join(
    client: httpx.AsyncClient, mailbox: Mailbox, owner: dict[str, Any], email: str, role: str
) -> dict[str, Any]:
    assert (await _invite(client, owner, email, role)).status_code == 201
    response = await client.post(
        "/api/v1/invitations/accept", json={"token": mailbox.token_for(email), "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()["tokens"]
    return tokens


async def test_member_roles_and_last_owner(client: httpx.AsyncClient, mailbox: Mailbox, db: Database) -> None:
    owner = await signup(client, "ada@example.com")
    admin = await _join(client, mailbox, owner, "adam@example.com", "admin")
    rep = await _join(client, mailbox, owner, "rita@example.com", "sales_rep")
    members = await _members(client, owner)
    assert {e: m["role"] for e, m in members.items()} == {
        "ada@example.com": "owner",
        "adam@example.com": "admin",
        "rita@example.com": "sales_rep",
    }
    ada, adam, rita = (members[e]["id"] for e in ("ada@example.com", "adam@example.com", "rita@example.com"))

    problem(
        await client.patch(f"/api/v1/members/{rita}", headers=bearer(rep), json={"role": "admin"}),
        403,
        "forbidden",
    )
    changed = await client.patch(
        f"/api/v1/members/{rita}", headers=bearer(admin), json={"role": "sales_manager"}
    )
    assert changed.status_code == 200
    assert changed.json()["role"] == "sales_manager"
    problem(
        await client.patch(f"/api/v1/members/{rita}", headers=bearer(admin), json={"role": "nope"}),
        422,
        "unknown_role",
    )
    # Admins cannot make owners or touch owners; the last owner cannot step down.
    problem(
        await client.patch(f"/api/v1/members/{adam}", headers=bearer(admin), json={"role": "owner"}),
        403,
        "owners_only",
    )
    problem(
        await client.patch(f"/api/v1/members/{ada}", headers=bearer(admin), json={"role": "admin"}),
        403,
        "owners_only",
    )
    problem(
        await client.patch(f"/api/v1/members/{ada}", headers=bearer(owner), json={"role": "admin"}),
        409,
        "last_owner",
    )
    problem(await client.delete(f"/api/v1/members/{ada}", headers=bearer(owner)), 409, "last_owner")
    # With a second owner, the first may step down.
    assert (
        await client.patch(f"/api/v1/members/{adam}", headers=bearer(owner), json={"role": "owner"})
    ).status_code == 200
    assert (
        await client.patch(f"/api/v1/members/{ada}", headers=bearer(owner), json={"role": "admin"})
    ).status_code == 200

    # Removing a member ends their sessions in this workspace.
    assert (await client.delete(f"/api/v1/members/{rita}", headers=bearer(admin))).status_code == 204
    problem(await client.get("/api/v1/auth/me", headers=bearer(rep)), 401, "invalid_token")
    problem(await login(client, "rita@example.com"), 403, "not_a_member")
    async with db.read_session() as session:
        roles = {row[0]: row[1] for row in await session.execute(select(Membership.id, Membership.role))}
        assert roles == {uid(ada): "admin", uid(adam): "owner"}


async def test_other_workspace_ids_answer_like_missing_ones(
    client: httpx.AsyncClient, mailbox: Mailbox, db: Database
) -> None:
    ours = await signup(client, "ada@example.com", "Ours")
    theirs = await signup(client, "eve@example.com", "Theirs")
    their_member = next(iter((await _members(client, theirs)).values()))["id"]
    their_invitation = (await _invite(client, theirs, "x@example.com", "read_only")).json()["id"]
    their_session = (await client.get("/api/v1/auth/sessions", headers=bearer(theirs))).json()[0]["id"]
    # The same person's session in another workspace is also out of reach from this one.
    await signup(client, "ada@example.com", "Ada's second")
    ada_id = await _user_id(db, "ada@example.com")
    own_elsewhere = next(
        s.id
        for s in await _all_sessions(db)
        if str(s.tenant_id) != ours["workspace_id"] and s.user_id == ada_id
    )

    calls = [
        ("PATCH", "/api/v1/members/{}", {"role": "read_only"}, "member_not_found", [their_member]),
        ("DELETE", "/api/v1/members/{}", None, "member_not_found", [their_member]),
        ("DELETE", "/api/v1/invitations/{}", None, "invitation_not_found", [their_invitation]),
        (
            "DELETE",
            "/api/v1/auth/sessions/{}",
            None,
            "session_not_found",
            [their_session, str(own_elsewhere)],
        ),
    ]
    for method, path, body, code, foreign_ids in calls:
        missing = await client.request(method, path.format(MISSING), headers=bearer(ours), json=body)
        expected = problem(missing, 404, code)
        for foreign in foreign_ids:
            response = await client.request(method, path.format(foreign), headers=bearer(ours), json=body)
            got = problem(response, 404, code)
            assert {k: v for k, v in got.items() if k not in {"instance", "request_id"}} == {
                k: v for k, v in expected.items() if k not in {"instance", "request_id"}
            }
    # Nothing changed over there.
    assert next(iter((await _members(client, theirs)).values()))["role"] == "owner"
    assert [
        i["status"] for i in (await client.get("/api/v1/invitations", headers=bearer(theirs))).json()
    ] == ["pending"]
    assert (await client.get("/api/v1/auth/me", headers=bearer(theirs))).status_code == 200
    async with db.read_session() as session:
        assert (await session.scalar(select(Invitation))) is not None
        sessions = (await session.scalars(select(AuthSession))).all()
        assert all(s.revoked_at is None for s in sessions)
    # And lists only show this workspace's rows.
    assert set(await _members(client, ours)) == {"ada@example.com"}
    assert (await client.get("/api/v1/invitations", headers=bearer(ours))).json() == []
    assert len((await client.get("/api/v1/auth/sessions", headers=bearer(ours))).json()) == 1


async def _all_sessions(db: Database) -> list[AuthSession]:
    async with db.read_session() as session:
        return list((await session.scalars(select(AuthSession))).all())


async def _user_id(db: Database, email: str) -> Any:
    async with db.read_session() as session:
        return await session.scalar(select(User.id).where(User.email == email))
