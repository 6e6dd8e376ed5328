"""`kronos serve` moves its start-up heap out of the garbage collector's reach (``kronos.app.freeze_heap``): a
full collection over it took 60-170 ms, the p99 of 3-5 ms reads. Apps built by tests never freeze."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from kronos.app import create_app
from kronos.cli import app as cli
from kronos.config import Settings
from tests.support import fresh_database


async def test_a_served_app_freezes_what_start_up_allocated(settings: Settings) -> None:
    application = create_app(settings)
    application.state.freeze_heap = True
    before = gc.get_freeze_count()
    try:
        async with application.router.lifespan_context(application):
            # Modules, routes, mappers: tens of thousands of objects a full collection no longer walks.
            assert gc.get_freeze_count() > before + 10_000
    finally:
        gc.unfreeze()  # the rest of the suite builds many apps in this process: let them be freed


async def test_an_app_built_by_tests_does_not_freeze(settings: Settings) -> None:
    application = create_app(settings)
    before = gc.get_freeze_count()
    async with application.router.lifespan_context(application):
        assert gc.get_freeze_count() == before


def test_kronos_serve_asks_its_app_to_freeze(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    served: list[Any] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda server, *_: served.append(server.config.app))
    with fresh_database(tmp_path, "freeze") as url:  # serve migrates and creates the first workspace
        monkeypatch.setenv("KRONOS_DATABASE_URL", url)
        monkeypatch.setenv("KRONOS_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("KRONOS_SECRET_KEY", "x" * 40)
        monkeypatch.chdir(tmp_path)
        result = CliRunner().invoke(cli, ["serve", "--port", "8999"])
    assert result.exit_code == 0, result.output
    assert [application.state.freeze_heap for application in served] == [True]
