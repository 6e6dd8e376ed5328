"""Fixtures shared by the whole suite.

The database is built once per run by running the migrations (never ``create_all``), and emptied after each
test, so tests see real commits (and everything that happens after them) without seeing each other's data.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from kronos.app import create_app
from kronos.config import Settings
from kronos.kit import migrations
from kronos.kit.db import Database
from kronos.models import Base
from tests.support import RUN_ID, TEST_BROKER_URL, TEST_REDIS_URL, fresh_database


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("db"), "suite") as url:
        migrations.upgrade(url)
        yield url


def make_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "data_dir": data_dir,
        "database_url": database_url,
        "redis_url": TEST_REDIS_URL,
        "broker_url": TEST_BROKER_URL,
        "namespace": f"kt{RUN_ID}",
        "log_format": "json",
        "log_level": "warning",
        "secret_key": "test-secret-key-that-is-long-enough-0123456789",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


async def empty_all_tables(settings: Settings) -> None:
    db = Database(settings)
    try:
        async with db.write_engine.begin() as connection:
            tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
            if db.dialect == "postgresql":
                await connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
            else:
                for table in tables:
                    await connection.execute(text(f"DELETE FROM {table}"))
    finally:
        await db.dispose()


@pytest.fixture(autouse=True)
async def _forget_attempts(settings: Settings) -> AsyncIterator[None]:
    """Sign-in failures and rate limits are counted in Redis when it is configured, where they outlive the
    app: each test starts from none, as it does embedded (where they live in the app)."""
    yield
    if settings.redis_url:
        from kronos.kit.services import create_redis

        redis = create_redis(settings.redis_url)
        try:
            keys = [k async for k in redis.scan_iter(f"{settings.namespace}:attempts:*")]
            if keys:
                await redis.delete(*keys)
        finally:
            await redis.aclose()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    try:
        async with application.router.lifespan_context(application):
            yield application
    finally:
        await empty_all_tables(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions=False: a 500 is checked as the client sees it, not as a raised exception.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
