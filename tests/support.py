"""Test harness helpers: real databases built by running the migrations, and service URLs from the
``KRONOS_TEST_*`` variables (unset: the suite runs embedded on SQLite only)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from kronos.kit.ids import uuid7

TEST_DATABASE_URL = os.environ.get("KRONOS_TEST_DATABASE_URL") or None
TEST_REDIS_URL = os.environ.get("KRONOS_TEST_REDIS_URL") or None
TEST_BROKER_URL = os.environ.get("KRONOS_TEST_BROKER_URL") or None
# One run's names on shared servers (Redis keys, RabbitMQ exchanges and queues) never meet another's.
RUN_ID = uuid7().hex[-10:]


def _plain_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url)
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def fresh_database(tmp_dir: Path, label: str = "db") -> Iterator[str]:
    """An empty database of the configured kind, dropped afterwards. Not migrated."""
    if TEST_DATABASE_URL is None:
        yield f"sqlite+aiosqlite:///{tmp_dir / f'{label}.sqlite'}"
        return
    name = f"kronos_test_{RUN_ID}_{label}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(_plain_dsn(TEST_DATABASE_URL))
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
