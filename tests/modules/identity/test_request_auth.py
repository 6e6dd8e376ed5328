"""Authentication inside the request's own transaction: one pool checkout and one transaction per request,
the principal read and (on PostgreSQL) the tenant bound by one statement, and nothing cached — a revoked
session, a removed member or a changed role counts on the very next request."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, text, update

from kronos.kit import clock
from kronos.kit.auth import CurrentPrincipal
from kronos.kit.db import Database
from kronos.kit.deps import DbSession, ReadDbSession
from kronos.modules.identity.models import AuthSession, Membership
from tests.modules.identity.conftest import Mailbox, bearer, problem, signup, uid
from tests.modules.identity.test_invitations_members import _join


@contextmanager
def connection_use(db: Database) -> Iterator[dict[str, int]]:
    """Pool checkouts and transactions begun by the current task (the request: httpx's ASGI transport runs
    the app in the caller's task), not by background work such as the event relay.

    Transactions are counted at the dialect's ``do_begin``, not by an engine ``begin`` listener: the relay
    may be inside that event's listeners (SQLite's BEGIN is one) while the test adds its own."""
    counts = {"checkouts": 0, "begins": 0}
    task = asyncio.current_task()
    counting = [True]

    def mine() -> bool:
        return counting[0] and asyncio.current_task() is task

    def checkout(*_: Any) -> None:
        if mine():
            counts["checkouts"] += 1

    restore = []
    for engine in {db.write_engine.sync_engine, db.read_engine.sync_engine}:
        event.listen(engine.pool, "checkout", checkout)
        dialect, do_begin = engine.dialect, engine.dialect.do_begin

        def counted(connection: Any, do_begin: Any = do_begin) -> None:
            if mine():
                counts["begins"] += 1
            do_begin(connection)

        dialect.do_begin = counted  # type: ignore[method-assign,assignment]
        restore.append((dialect, do_begin))
    try:
        yield counts
    finally:
        counting[0] = False
        for dialect, do_begin in restore:
            dialect.do_begin = do_begin  # type: ignore[method-assign]


async def test_a_record_request_costs_one_checkout_and_one_transaction(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner = await signup(client, "ada@example.com")
    created = await client.post("/api/v1/contacts", headers=bearer(owner), json={"last_name": "Lovelace"})
    assert created.status_code == 201, created.text
    with connection_use(db) as used:
        listed = await client.get("/api/v1/contacts", headers=bearer(owner))
    assert listed.status_code == 200
    assert [item["last_name"] for item in listed.json()["items"]] == ["Lovelace"]
    assert used == {"checkouts": 1, "begins": 1}
    # A forged token is refused before any database work.
    forged = {"Authorization": f"Bearer {owner['access_token'][:-4]}AAAA"}
    with connection_use(db) as used:
        problem(await client.get("/api/v1/contacts", headers=forged), 401, "invalid_token")
    assert used["begins"] == 0


async def test_team_visibility_with_a_real_sign_in(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    owner = await signup(client, "ada@example.com")
    manager = await _join(client, mailbox, owner, "max@example.com", "sales_manager")
    rep = await _join(client, mailbox, owner, "rita@example.com", "sales_rep")
    loner = await _join(client, mailbox, owner, "lone@example.com", "sales_rep")
    ids = {
        who: (await client.get("/api/v1/auth/me", headers=bearer(tokens))).json()["user"]["id"]
        for who, tokens in (("manager", manager), ("rep", rep), ("loner", loner))
    }
    team = await client.post(
        "/api/v1/teams",
        headers=bearer(owner),
        json={
            "name": "West",
            "members": [{"user_id": ids["manager"], "is_manager": True}, {"user_id": ids["rep"]}],
        },
    )
    assert team.status_code == 201, team.text
    contacts = {}
    for who in ids:
        made = await client.post(
            "/api/v1/contacts", headers=bearer(owner), json={"last_name": who, "owner_id": ids[who]}
        )
        assert made.status_code == 201, made.text
        contacts[who] = made.json()["id"]

    async def edit(tokens: dict[str, Any], who: str) -> int:
        url = f"/api/v1/contacts/{contacts[who]}"
        response = await client.patch(url, headers=bearer(tokens), json={"first_name": "x"})
        return response.status_code

    # Sales roles read the whole workspace's sales records; what they change is narrower.
    for tokens in (manager, rep):
        seen = await client.get("/api/v1/contacts", headers=bearer(tokens))
        assert sorted(item["last_name"] for item in seen.json()["items"]) == ["loner", "manager", "rep"]
    assert [await edit(manager, who) for who in ("manager", "rep", "loner")] == [200, 200, 403]
    assert [await edit(rep, who) for who in ("manager", "rep", "loner")] == [403, 200, 403]
    # The team changes: the manager's very next write follows (nothing about visibility is cached by user).
    team_id = team.json()["id"]
    removed = await client.delete(f"/api/v1/teams/{team_id}/members/{ids['rep']}", headers=bearer(owner))
    assert removed.status_code == 204
    assert await edit(manager, "rep") == 403


async def test_changes_to_access_count_on_the_next_request(
    client: httpx.AsyncClient, mailbox: Mailbox, db: Database
) -> None:
    owner = await signup(client, "ada@example.com")
    rep = await _join(client, mailbox, owner, "rita@example.com", "sales_rep")
    body = {"last_name": "Lovelace"}
    assert (await client.post("/api/v1/contacts", headers=bearer(rep), json=body)).status_code == 201
    me = (await client.get("/api/v1/auth/me", headers=bearer(rep))).json()
    member_id = next(
        m["id"]
        for m in (await client.get("/api/v1/members", headers=bearer(owner))).json()
        if m["email"] == "rita@example.com"
    )
    # A role change: the next request has the new role's permissions.
    demoted = await client.patch(
        f"/api/v1/members/{member_id}", headers=bearer(owner), json={"role": "read_only"}
    )
    assert demoted.status_code == 200
    problem(await client.post("/api/v1/contacts", headers=bearer(rep), json=body), 403, "forbidden")
    assert (await client.get("/api/v1/contacts", headers=bearer(rep))).status_code == 200
    # A membership gone while the session lives on: 401, not a stale principal.
    async with db.write_session() as session:
        await session.execute(
            update(Membership).where(Membership.id == uid(member_id)).values(deleted_at=clock.utcnow())
        )
    problem(await client.get("/api/v1/contacts", headers=bearer(rep)), 401, "membership_required")
    # A revoked session, straight in the database (another process's logout): 401 at once.
    async with db.write_session() as session:
        await session.execute(
            update(AuthSession)
            .where(AuthSession.user_id == uuid.UUID(me["user"]["id"]))
            .values(revoked_at=clock.utcnow())
        )
    problem(await client.get("/api/v1/contacts", headers=bearer(rep)), 401, "invalid_token")
    assert (await client.get("/api/v1/contacts", headers=bearer(owner))).status_code == 200


async def test_binding_holds_whatever_the_order_of_dependencies(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    postgres = app.state.db.dialect == "postgresql"
    query = text(
        "SELECT current_user || ':' || coalesce(current_setting('app.tenant_id', true), '')"
        if postgres
        else "SELECT 1"
    )

    async def principal_first(principal: CurrentPrincipal, read: ReadDbSession) -> list[Any]:
        return [str(principal.tenant_id), await read.scalar(query)]

    async def session_first(write: DbSession, read: ReadDbSession, principal: CurrentPrincipal) -> list[Any]:
        return [str(principal.tenant_id), await write.scalar(query), await read.scalar(query)]

    app.add_api_route("/_test/principal-first", principal_first, methods=["GET"])
    app.add_api_route("/_test/session-first", session_first, methods=["GET"])
    owner = await signup(client, "ada@example.com")
    for path in ("/_test/principal-first", "/_test/session-first"):
        response = await client.get(path, headers=bearer(owner))
        assert response.status_code == 200, response.text
        tenant, *seen = response.json()
        assert seen == [f"kronos_app:{tenant}" if postgres else 1] * len(seen)
