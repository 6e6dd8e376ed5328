"""Row-level security on PostgreSQL: a transaction bound to workspace A cannot see or change B's rows, even
with a query that forgets the tenant filter; unbound connections (sign-in) still see everything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from kronos.kit.auth import CurrentPrincipal
from kronos.kit.db import bind_tenant
from kronos.kit.deps import DbSession, ReadDbSession
from kronos.modules.access.models import Team
from kronos.modules.identity.models import Membership
from tests.modules.access.conftest import Access
from tests.support import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(TEST_DATABASE_URL is None, reason="row-level security is PostgreSQL's")


async def test_a_bound_session_sees_and_changes_only_its_workspace(access: Access) -> None:
    a = await access.workspace("A")
    b = await access.workspace("B")
    for who in (a, b):
        await access.call(who, "POST", "/api/v1/teams", json={"name": "Same name"})

    async with access.db.write_session() as session:
        await bind_tenant(session, a.tenant_id)
        assert await session.scalar(text("SELECT current_user")) == "kronos_app"
        # No tenant filter anywhere: the database adds it.
        teams = (await session.scalars(select(Team))).all()
        assert {t.tenant_id for t in teams} == {a.tenant_id}
        members = (await session.scalars(select(Membership.tenant_id))).all()
        assert set(members) == {a.tenant_id}
        changed = await session.execute(update(Team).values(description="touched"))
        assert changed.rowcount == 1  # type: ignore[attr-defined]
        # Writing a row into B is refused outright.
        nested = await session.begin_nested()
        session.add(Team(tenant_id=b.tenant_id, name="Planted", description=""))
        with pytest.raises(DBAPIError, match="row-level security"):
            await session.flush()
        await nested.rollback()

    async with access.db.read_session() as session:
        # Unbound (what sign-in uses): every workspace, and B untouched.
        rows = (await session.execute(select(Team.tenant_id, Team.description))).all()
        assert sorted((r[0] == a.tenant_id, r[1]) for r in rows) == [(False, ""), (True, "touched")]
        assert await session.scalar(select(func.count()).select_from(Team).where(Team.name == "Planted")) == 0


async def test_binding_survives_commits_and_is_bound_per_request(access: Access) -> None:
    a = await access.workspace("A")
    b = await access.workspace("B")
    await access.call(b, "POST", "/api/v1/teams", json={"name": "B only"})
    async with access.db.write_session() as session:
        await session.execute(text("SELECT 1"))  # a transaction already open: binding applies at once
        await bind_tenant(session, a.tenant_id)
        assert await session.scalar(select(func.count()).select_from(Team)) == 0
        await session.commit()
        # The next transaction is bound again.
        assert await session.scalar(text("SELECT current_setting('app.tenant_id')")) == str(a.tenant_id)
        assert await session.scalar(select(func.count()).select_from(Team)) == 0
        await bind_tenant(session, None)
        await session.commit()
        assert await session.scalar(select(func.count()).select_from(Team)) == 1
    # Through the API, A's request is bound to A: B's team does not exist for it.
    assert (await access.call(a, "GET", "/api/v1/teams")).json() == []


async def test_requests_with_a_principal_run_bound(access: Access) -> None:
    # The session dependency is listed before the principal: binding must not depend on the order.
    async def bound(write: DbSession, read: ReadDbSession, principal: CurrentPrincipal) -> list[str | None]:
        query = text("SELECT current_user || ':' || current_setting('app.tenant_id', true)")
        return [await write.scalar(query), await read.scalar(query)]

    access.app.add_api_route("/_test/bound", bound, methods=["GET"])
    a = await access.workspace("A")
    expected = f"kronos_app:{a.tenant_id}"
    assert (await access.call(a, "GET", "/_test/bound")).json() == [expected, expected]


async def test_every_table_with_a_tenant_column_has_the_policy(access: Access) -> None:
    """A table that carries workspace data but no policy is a hole RLS was meant to close (sessions, the
    outbox and dead letters had none); this fails for the next one."""
    async with access.db.read_session() as session:
        tenant_tables = set(
            (
                await session.scalars(
                    text(
                        "SELECT table_name FROM information_schema.columns "
                        "WHERE table_schema = current_schema() AND column_name = 'tenant_id'"
                    )
                )
            ).all()
        )
        rows = (
            await session.execute(
                text(
                    "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
                    "EXISTS (SELECT 1 FROM pg_policy p "
                    "        WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation') "
                    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
                )
            )
        ).all()
    protected = {name for name, enabled, forced, policy in rows if enabled and forced and policy}
    assert {"auth_sessions", "outbox_events", "dead_letters", "teams"} <= tenant_tables
    assert sorted(tenant_tables - protected) == []


async def test_a_bound_session_sees_only_its_workspace_sessions_and_events(access: Access) -> None:
    from kronos.kit.events.models import OutboxEvent
    from kronos.modules.identity.models import AuthSession

    a = await access.workspace("A")
    b = await access.workspace("B")
    await access.call(a, "POST", "/api/v1/companies", json={"name": "A Co"})
    await access.call(b, "POST", "/api/v1/companies", json={"name": "B Co"})
    now = datetime.now(UTC)
    async with access.db.write_session() as session:
        for who in (a, b):
            session.add(
                AuthSession(
                    user_id=who.user_id,
                    tenant_id=who.tenant_id,
                    last_used_at=now,
                    expires_at=now + timedelta(days=1),
                )
            )
    async with access.db.write_session() as session:
        await bind_tenant(session, a.tenant_id)
        sessions = (await session.scalars(select(AuthSession.tenant_id))).all()
        assert sessions == [a.tenant_id]
        events = (await session.scalars(select(OutboxEvent.tenant_id))).all()
        assert events
        assert set(events) == {a.tenant_id}
