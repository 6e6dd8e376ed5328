"""Alembic environment: async engines, one linear history for SQLite and PostgreSQL.

On PostgreSQL, concurrent migrators (several replicas starting at once) are serialized by an advisory lock,
and DDL waits at most ``lock_timeout`` for a table lock instead of queueing behind long transactions.
On SQLite, ALTERs run in batch mode (copy-and-move), which is how SQLite changes tables.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

import kronos.models
from kronos.config import get_settings
from kronos.kit.db import configure_sqlite

config = context.config
target_metadata = kronos.models.Base.metadata
MIGRATION_LOCK_ID = 0x6B726F6E6F73  # "kronos"


def _database_url() -> str:
    url = config.attributes.get("database_url")
    return str(url) if url else get_settings().effective_database_url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        transaction_per_migration=True,
    )


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET lock_timeout = '10s'"))
        connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        connection.commit()
    try:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
            connection.commit()


async def _run_async() -> None:
    url = _database_url()
    kwargs: dict[str, Any] = {"poolclass": NullPool}
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        # Foreign keys off: batch ALTERs recreate tables, and dropping the old copy must not cascade.
        configure_sqlite(engine, foreign_keys=False)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_run_async())
    else:  # pragma: no cover - called from inside a running loop: the caller must use a thread
        raise RuntimeError("run migrations from a thread (asyncio.to_thread), not inside the event loop")
