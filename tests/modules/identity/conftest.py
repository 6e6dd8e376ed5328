"""Fixtures for the identity tests: settings without the sign-in slow-down, a movable clock, a mailbox that
keeps what the app sends, and helpers to sign up and sign in through the API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kronos.app import create_app
from kronos.config import Settings
from kronos.kit import clock
from kronos.kit.db import Database
from kronos.kit.mail import Message
from tests.conftest import empty_all_tables, make_settings

PASSWORD = "plum-orchard-7431"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path, login_failure_delay=0)


class FrozenClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    """``kronos.kit.clock.utcnow`` stops; tests move it with ``advance``."""
    frozen_clock = FrozenClock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setattr(clock, "utcnow", frozen_clock)
    return frozen_clock


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)

    async def send(self, message: Message) -> None:
        self.messages.append(message)

    def token_for(self, to: str) -> str:
        for message in reversed(self.messages):
            if message.to == to:
                return message.text.split("token=", 1)[1].split()[0]
        raise AssertionError(f"no message to {to}")


@pytest.fixture
def mailbox(app: FastAPI) -> Mailbox:
    box = Mailbox()
    app.state.mailer = box
    return box


@pytest.fixture
def db(app: FastAPI) -> Database:
    database: Database = app.state.db
    return database


@asynccontextmanager
async def running_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app with other settings than the ``client`` fixture's, on the same database."""
    application = create_app(settings)
    try:
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                yield http
    finally:
        await empty_all_tables(settings)


@pytest.fixture
def client_with(settings: Settings) -> Callable[..., Any]:
    def build(**overrides: Any) -> Any:
        return running_client(settings.model_copy(update=overrides))

    return build


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def signup(
    client: httpx.AsyncClient, email: str, workspace: str = "Acme", password: str = PASSWORD
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/auth/signup", json={"email": email, "password": password, "workspace_name": workspace}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def login(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, **extra: Any
) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password, **extra})


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def uid(value: Any) -> uuid.UUID:
    return uuid.UUID(str(value))
