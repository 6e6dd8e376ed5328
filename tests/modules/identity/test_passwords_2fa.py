"""Password reset by e-mail (through a real SMTP server), password change, and TOTP two-factor."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import Message as EmailMessage
from typing import Any

import httpx
import pyotp
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from kronos.kit.db import Database
from kronos.modules.identity.models import AuthSession, PasswordResetToken, RecoveryCode, User
from tests.modules.identity.conftest import PASSWORD, FrozenClock, bearer, login, problem, signup

NEW_PASSWORD = "violet-harbour-2208"


class _Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Inbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def test_forgot_and_reset_password_over_smtp(
    client_with: Callable[..., Any], smtp_server: tuple[_Inbox, int]
) -> None:
    inbox, port = smtp_server
    settings = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_starttls": False,
        "public_url": "https://crm.test",
    }
    async with client_with(**settings) as http:
        owner = await signup(http, "ada@example.com")
        other_device = (await login(http, "ada@example.com")).json()

        unknown = await http.post("/api/v1/auth/password/forgot", json={"email": "nobody@example.com"})
        known = await http.post("/api/v1/auth/password/forgot", json={"email": "ada@example.com"})
        assert (unknown.status_code, known.status_code) == (202, 202)
        assert unknown.content == known.content  # nothing tells whether the account exists
        assert len(inbox.received) == 1
        recipients, message = inbox.received[0]
        assert recipients == ["ada@example.com"]
        assert message["Subject"] == "Reset your KronosCRM password"
        text = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
        assert "https://crm.test/reset-password?token=" in text
        token = text.split("token=", 1)[1].split()[0]

        weak = await http.post(
            "/api/v1/auth/password/reset", json={"token": token, "password": "password1234"}
        )
        problem(weak, 422, "weak_password")
        reset = await http.post(
            "/api/v1/auth/password/reset", json={"token": token, "password": NEW_PASSWORD}
        )
        assert reset.status_code == 204, reset.text
        again = await http.post(
            "/api/v1/auth/password/reset", json={"token": token, "password": NEW_PASSWORD}
        )
        problem(again, 400, "invalid_reset_token")

        # Every session ended; the old password is gone, the new one works.
        for tokens in (owner, other_device):
            problem(await http.get("/api/v1/auth/me", headers=bearer(tokens)), 401, "invalid_token")
        problem(await login(http, "ada@example.com"), 401, "invalid_credentials")
        assert (await login(http, "ada@example.com", NEW_PASSWORD)).status_code == 200


async def test_reset_token_expires(
    client: httpx.AsyncClient, mailbox: Any, frozen: FrozenClock, db: Database
) -> None:
    await signup(client, "ada@example.com")
    assert (
        await client.post("/api/v1/auth/password/forgot", json={"email": "ada@example.com"})
    ).status_code == 202
    token = mailbox.token_for("ada@example.com")
    frozen.advance(seconds=3601)
    late = await client.post("/api/v1/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})
    problem(late, 400, "invalid_reset_token")
    async with db.read_session() as session:
        reset = await session.scalar(select(PasswordResetToken))
        assert reset is not None
        assert reset.used_at is None
    assert (await login(client, "ada@example.com")).status_code == 200


async def test_change_password_keeps_this_session_only(client: httpx.AsyncClient, db: Database) -> None:
    here = await signup(client, "ada@example.com")
    there = (await login(client, "ada@example.com")).json()
    wrong = await client.post(
        "/api/v1/auth/password/change",
        headers=bearer(here),
        json={"current_password": "not-it-at-all-1", "new_password": NEW_PASSWORD},
    )
    problem(wrong, 422, "wrong_password")
    weak = await client.post(
        "/api/v1/auth/password/change",
        headers=bearer(here),
        json={"current_password": PASSWORD, "new_password": "short"},
    )
    assert problem(weak, 422, "weak_password")["errors"][0]["path"] == "body.new_password"
    changed = await client.post(
        "/api/v1/auth/password/change",
        headers=bearer(here),
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=bearer(here))).status_code == 200
    problem(await client.get("/api/v1/auth/me", headers=bearer(there)), 401, "invalid_token")
    assert (await login(client, "ada@example.com", NEW_PASSWORD)).status_code == 200


async def test_two_factor_enable_login_recovery_and_disable(
    client: httpx.AsyncClient, frozen: FrozenClock, db: Database
) -> None:
    tokens = await signup(client, "ada@example.com")
    auth = bearer(tokens)
    problem(
        await client.post("/api/v1/auth/2fa/enable", headers=auth, json={"otp": "123456"}),
        409,
        "2fa_not_set_up",
    )
    setup = (await client.post("/api/v1/auth/2fa/setup", headers=auth)).json()
    assert setup["otpauth_uri"].startswith("otpauth://totp/KronosCRM:ada%40example.com?secret=")
    totp = pyotp.TOTP(setup["secret"])
    problem(
        await client.post("/api/v1/auth/2fa/enable", headers=auth, json={"otp": "000000"}), 422, "invalid_otp"
    )
    enabled = await client.post("/api/v1/auth/2fa/enable", headers=auth, json={"otp": totp.at(frozen.now)})
    assert enabled.status_code == 200, enabled.text
    codes = enabled.json()["recovery_codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    async with db.read_session() as session:
        stored = (await session.scalars(select(RecoveryCode.code_hash))).all()
        assert len(stored) == 10
        assert not set(codes) & set(stored)

    problem(await login(client, "ada@example.com"), 401, "otp_required")
    # The code that enabled 2FA was spent: reusing it in the same window fails.
    problem(await login(client, "ada@example.com", otp=totp.at(frozen.now)), 401, "invalid_otp")
    frozen.advance(seconds=30)
    code = totp.at(frozen.now)
    assert (await login(client, "ada@example.com", otp=code)).status_code == 200
    problem(await login(client, "ada@example.com", otp=code), 401, "invalid_otp")
    problem(await login(client, "ada@example.com", "wrong-password-00", otp=code), 401, "invalid_credentials")

    by_recovery = await login(client, "ada@example.com", otp=codes[0].lower().replace("-", ""))
    assert by_recovery.status_code == 200, by_recovery.text
    problem(await login(client, "ada@example.com", otp=codes[0]), 401, "invalid_otp")

    me = await client.get("/api/v1/auth/me", headers=bearer(by_recovery.json()))
    assert me.status_code == 200, me.text
    assert me.json()["user"]["two_factor_enabled"] is True
    frozen.advance(seconds=30)
    bad = await client.post(
        "/api/v1/auth/2fa/disable",
        headers=auth,
        json={"password": "wrong-password-00", "otp": totp.at(frozen.now)},
    )
    problem(bad, 422, "wrong_password")
    off = await client.post(
        "/api/v1/auth/2fa/disable", headers=auth, json={"password": PASSWORD, "otp": totp.at(frozen.now)}
    )
    assert off.status_code == 204, off.text
    assert (await login(client, "ada@example.com")).status_code == 200
    async with db.read_session() as session:
        user = await session.scalar(select(User))
        assert user is not None
        assert user.totp_secret is None
        assert (await session.scalars(select(RecoveryCode))).all() == []
        assert len((await session.scalars(select(AuthSession))).all()) == 4  # signup + 3 sign-ins


async def test_forgot_password_is_throttled_quietly(client: httpx.AsyncClient, mailbox: Any) -> None:
    await signup(client, "ada@example.com")
    answers = [
        (await client.post("/api/v1/auth/password/forgot", json={"email": "ada@example.com"})).status_code
        for _ in range(5)
    ]
    assert answers == [202] * 5  # the same answer throttled or not: nothing to learn from it
    assert len([m for m in mailbox.messages if m.to == "ada@example.com"]) == 3
