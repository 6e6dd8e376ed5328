from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kronos.config import Settings
from kronos.kit.db import Database
from tests.conftest import empty_all_tables, make_settings


@pytest.fixture
def embedded(database_url: str, tmp_path: Path) -> Settings:
    """The configured database with no broker: events relayed and consumed in process."""
    return make_settings(database_url, tmp_path, broker_url=None, shutdown_timeout=5.0)


@pytest.fixture
async def db(embedded: Settings) -> AsyncIterator[Database]:
    database = Database(embedded)
    try:
        yield database
    finally:
        await database.dispose()
        await empty_all_tables(embedded)
