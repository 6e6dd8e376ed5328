"""Every migration runs forward and back on the configured database kind (SQLite, or PostgreSQL in CI)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from kronos.kit import migrations
from kronos.models import Base
from tests.support import fresh_database


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            names: list[str] = await connection.run_sync(lambda c: inspect(c).get_table_names())
    finally:
        await engine.dispose()
    return set(names)


def test_upgrade_downgrade_upgrade(tmp_path: Path) -> None:
    with fresh_database(tmp_path, "migrations") as url:
        migrations.upgrade(url)
        expected = {table.name for table in Base.metadata.sorted_tables}
        assert expected <= asyncio.run(_tables(url))
        migrations.downgrade(url, "base")
        assert asyncio.run(_tables(url)) <= {"alembic_version"}
        migrations.upgrade(url)
        assert expected <= asyncio.run(_tables(url))


def test_history_is_one_line() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1


async def _tables_without_rls(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = current_schema() AND c.relkind = 'r' "
                    "AND c.relrowsecurity AND c.relforcerowsecurity"
                )
            )
            protected = {row[0] for row in rows}
    finally:
        await engine.dispose()
    tenant_tables = {
        table.name
        for table in Base.metadata.sorted_tables
        if "tenant_id" in table.c and table.c.tenant_id.primary_key
    }
    return tenant_tables - protected


def test_every_tenant_table_has_row_level_security(database_url: str) -> None:
    """A migration that adds a tenant table must call enable_tenant_rls; this catches one that forgot."""
    if not database_url.startswith("postgresql"):
        pytest.skip("row-level security is PostgreSQL's")
    assert asyncio.run(_tables_without_rls(database_url)) == set()
