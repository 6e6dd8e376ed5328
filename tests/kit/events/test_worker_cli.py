from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kronos.cli import app


def test_worker_without_a_broker_explains_that_serve_runs_consumers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KRONOS_BROKER_URL", raising=False)
    monkeypatch.chdir("/")  # no .env file with a broker url
    result = CliRunner().invoke(app, ["worker"])
    assert result.exit_code == 2
    assert "kronos serve" in result.output
    assert "in process" in result.output
