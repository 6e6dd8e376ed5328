"""``select_rows`` runs Core selects straight on asyncpg (``kronos.kit.driver``): it must return what
SQLAlchemy's own execution returns, in the session's transaction, with the same errors; on other drivers, and
for statements the driver cannot run as compiled, it is SQLAlchemy's execution."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Numeric, Select, bindparam, cast, func, literal, select, true
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.config import Settings
from kronos.kit import driver
from kronos.kit.db import Database, bind_tenant
from kronos.kit.driver import select_rows
from kronos.kit.records.models import FieldHistory
from kronos.modules.identity.models import Workspace
from tests.conftest import empty_all_tables

_TENANT = uuid.UUID("01a00000-0000-7000-8000-000000000001")
_OTHER = uuid.UUID("01a00000-0000-7000-8000-000000000002")


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings)
    try:
        async with database.write_session() as session:
            session.add_all([Workspace(id=_TENANT, name="Driver"), Workspace(id=_OTHER, name="Other")])
        yield database
    finally:
        await database.dispose()
        await empty_all_tables(settings)


def _pg(db: Database) -> bool:
    return db.dialect == "postgresql"


async def _history_rows(db: Database, count: int) -> list[uuid.UUID]:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    ids = [uuid.uuid4() for _ in range(count)]
    async with db.write_session() as session:
        for n, row_id in enumerate(ids):
            session.add(
                FieldHistory(
                    tenant_id=_TENANT,
                    id=row_id,
                    object="contacts",
                    record_id=uuid.uuid4(),
                    field="job_title",
                    op="update",
                    old_value={"n": n},
                    new_value=[n, "x"],
                    changed_at=base + timedelta(minutes=n),
                    change_set_id=uuid.uuid4(),
                    source="api",
                )
            )
    return ids


async def _both(session: AsyncSession, statement: Select[Any], params: dict[str, Any] | None = None) -> Any:
    through_driver = [tuple(row) for row in await select_rows(session, statement, params)]
    through_sqlalchemy = [tuple(row) for row in (await session.execute(statement, params)).all()]
    assert through_driver == through_sqlalchemy
    return through_driver


async def test_rows_and_parameters_match_sqlalchemy(db: Database) -> None:
    ids = await _history_rows(db, 5)
    table = FieldHistory.__table__.c
    async with db.read_session() as session:
        page = (
            select(table.id, table.old_value, table.new_value, table.changed_at, table.field)
            .where(table.tenant_id == _TENANT, table.changed_at >= datetime(2026, 1, 1, 0, 2, tzinfo=UTC))
            .order_by(table.changed_at.desc())
            .limit(2)
        )
        rows = await _both(session, page)
        assert [row[0] for row in rows] == [ids[4], ids[3]]
        assert rows[0][1] == {"n": 4}  # JSON decoded
        assert rows[0][2] == [4, "x"]
        assert rows[0][3] == datetime(2026, 1, 1, 0, 4, tzinfo=UTC)
        assert rows[0][3].tzinfo is UTC  # instants come back aware, in UTC
        # The same shape with other values: the cached statement takes the new parameters.
        later = page.where(table.changed_at < datetime(2026, 1, 1, 0, 4, tzinfo=UTC))
        assert [row[0] for row in await _both(session, later)] == [ids[3], ids[2]]
        named = select(table.id).where(table.tenant_id == bindparam("tenant"), table.id == bindparam("id"))
        assert await _both(session, named, {"tenant": _TENANT, "id": ids[1]}) == [(ids[1],)]
        assert await _both(session, named, {"tenant": _TENANT, "id": uuid.uuid4()}) == []
        # Parameters go through their type's bind processing (JSON is serialized for the driver).
        by_document = select(table.id).where(table.tenant_id == _TENANT, table.old_value == {"n": 2})
        assert await _both(session, by_document) == [(ids[2],)]


async def test_what_the_driver_cannot_run_as_compiled_goes_through_sqlalchemy(db: Database) -> None:
    ids = await _history_rows(db, 3)
    table = FieldHistory.__table__.c
    async with db.read_session() as session:
        expanding = select(table.id).where(table.id.in_(ids[:2])).order_by(table.changed_at)
        assert await _both(session, expanding) == [(ids[0],), (ids[1],)]
        numeric = select(cast(literal("1.50"), Numeric(10, 2)))
        assert await _both(session, numeric) == [(Decimal("1.50"),)]


async def test_the_first_statement_begins_the_sessions_transaction(db: Database) -> None:
    if not _pg(db):
        pytest.skip("set_config and transaction timestamps are PostgreSQL's")
    async with db.read_session() as session:
        bound = select(func.set_config("app.tenant_id", literal(str(_TENANT)), true()))
        assert await select_rows(session, bound) == [(str(_TENANT),)]
        # A transaction-local setting and the transaction's clock: both statements ran in one transaction.
        rows = await select_rows(session, select(func.current_setting("app.tenant_id"), func.now()))
        assert rows[0][0] == str(_TENANT)
        assert (await session.execute(select(func.now()))).scalar_one() == rows[0][1]
    async with db.read_session() as session:  # the setting ended with the transaction
        missing = select(func.current_setting("app.tenant_id", true()))
        assert (await select_rows(session, missing))[0][0] in (None, "")


async def test_tenant_binding_of_the_session_still_applies(db: Database) -> None:
    if not _pg(db):
        pytest.skip("row-level security is PostgreSQL's")
    await _history_rows(db, 2)
    table = FieldHistory.__table__.c
    async with db.read_session() as session:
        await bind_tenant(session, _OTHER)
        # Bound to another workspace, the RLS policies hide this one's rows even without a tenant filter.
        assert await select_rows(session, select(table.id)) == []


async def test_database_errors_are_sqlalchemys(db: Database) -> None:
    if not _pg(db):
        pytest.skip("SQLite runs through SQLAlchemy")
    async with db.read_session() as session:
        with pytest.raises(DBAPIError, match="division by zero"):
            await select_rows(session, select(literal(1) / literal(0)))
    async with db.read_session() as session:  # the session and its connection are usable again
        assert await select_rows(session, select(literal(1))) == [(1,)]


async def test_compiled_statements_are_cached_by_shape(db: Database) -> None:
    if not _pg(db):
        pytest.skip("SQLite runs through SQLAlchemy")
    table = FieldHistory.__table__.c
    driver._COMPILED.clear()
    async with db.read_session() as session:
        for n in range(5):
            await select_rows(session, select(table.id).where(table.field == f"field_{n}"))
    assert len(driver._COMPILED) == 1
