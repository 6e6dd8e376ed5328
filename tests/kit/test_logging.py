from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import structlog

from kronos.kit.logging import configure_logging, get_logger
from tests.conftest import make_settings


def test_logs_are_json_with_secrets_and_emails_masked(
    capsys: pytest.CaptureFixture[str], database_url: str, tmp_path: Path
) -> None:
    configure_logging(make_settings(database_url, tmp_path, log_format="json", log_level="info"))
    structlog.contextvars.bind_contextvars(request_id="rid-1")
    try:
        get_logger("test").info(
            "signed in jane.doe@example.com",
            password="hunter2",
            access_token="eyJhbGciOi",
            headers={"Authorization": "Bearer abc.def", "accept": "json"},
            note="contact bob@corp.io via postgresql://kronos:pw@db/kronos",
        )
        logging.getLogger("some.library").warning("login for mary@example.org failed")
    finally:
        structlog.contextvars.clear_contextvars()
    lines = [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]
    ours, library = lines[-2], lines[-1]
    assert ours["request_id"] == "rid-1"
    assert ours["event"] == "signed in j***@example.com"
    assert ours["password"] == "***"
    assert ours["access_token"] == "***"
    assert ours["headers"] == {"Authorization": "***", "accept": "json"}
    assert ours["note"] == "contact b***@corp.io via postgresql://kronos:***@db/kronos"
    raw = json.dumps(lines)
    for secret in ("hunter2", "eyJhbGciOi", "abc.def", "jane.doe", "mary@", ":pw@"):
        assert secret not in raw
    assert library["event"] == "login for m***@example.org failed"
    assert library["level"] == "warning"
