from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import structlog

from kronos.config import Settings
from kronos.kit.logging import configure_logging, get_logger
from kronos.kit.mail import LogMailer, Message, create_mailer
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


RESET_LINK = "https://crm.example/reset-password?token=Zx81-single-use-secret_0aB"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


def _logged(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().err


@pytest.mark.parametrize("env", ["test", "production"])
def test_outside_development_secrets_in_links_and_signed_tokens_are_masked(
    capsys: pytest.CaptureFixture[str], database_url: str, tmp_path: Path, env: str
) -> None:
    settings = make_settings(database_url, tmp_path, env=env, log_format="json", log_level="info")
    configure_logging(settings)
    get_logger("test").info("follow " + RESET_LINK, detail={"next": "/invitations/accept?token=abc123&x=1"})
    logging.getLogger("some.library").warning("GET /callback?code=oauth-code-42&state=s fetched %s", JWT)
    raw = _logged(capsys)
    for secret in ("Zx81-single-use-secret_0aB", "abc123", "oauth-code-42", JWT, "c2lnbmF0dXJl"):
        assert secret not in raw
    assert "reset-password?token=***" in raw
    assert "&x=1" in raw  # only the secret goes


def test_in_development_links_stay_so_a_newcomer_can_follow_them(
    capsys: pytest.CaptureFixture[str], database_url: str, tmp_path: Path
) -> None:
    configure_logging(make_settings(database_url, tmp_path, env="development", log_level="info"))
    get_logger("test").info("follow " + RESET_LINK)
    assert RESET_LINK in _logged(capsys)


async def _send_reset_mail(settings: Settings) -> None:
    configure_logging(settings)
    mailer = create_mailer(settings)
    assert isinstance(mailer, LogMailer)  # no SMTP configured
    await mailer.send(Message(to="jane@example.com", subject="Reset your password", text=RESET_LINK))


@pytest.mark.parametrize("env", ["test", "production"])
async def test_without_smtp_outside_development_the_log_says_mail_is_off_and_holds_no_link(
    capsys: pytest.CaptureFixture[str], database_url: str, tmp_path: Path, env: str
) -> None:
    settings = make_settings(database_url, tmp_path, env=env, log_format="json", log_level="info")
    await _send_reset_mail(settings)
    raw = _logged(capsys)
    assert "SMTP is not configured" in raw
    assert "Reset your password" in raw
    assert "token" not in raw
    assert "Zx81" not in raw


async def test_without_smtp_in_development_the_log_holds_the_whole_message(
    capsys: pytest.CaptureFixture[str], database_url: str, tmp_path: Path
) -> None:
    await _send_reset_mail(make_settings(database_url, tmp_path, env="development", log_level="info"))
    assert RESET_LINK in _logged(capsys)
