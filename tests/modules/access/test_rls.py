"""Row-level security on PostgreSQL: a transaction bound to workspace A cannot see or change B's rows, even
with a query that forgets the tenant filter; unbound connections (sign-in) still see everything."""

from __future__ import annotations

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
