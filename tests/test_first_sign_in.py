"""The sign-in page names the owner account the first start created, until anyone signs in (#15 item 6)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from kronos.app import create_app
from kronos.bootstrap import DEFAULT_ADMIN_EMAIL, ensure_first_workspace, first_sign_in_email
from kronos.config import Settings
from kronos.kit.db import Database
from tests.conftest import empty_all_tables, make_settings

HINT = "/api/v1/auth/first-sign-in"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # What `make run` is: development, embedded (no broker).
    return make_settings(database_url, tmp_path, env="development", broker_url=None)


async def test_the_first_owner_is_named_until_someone_signs_in(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    assert (await client.get(HINT)).json() == {"email": None, "password_printed": False}  # no owner yet
    first = await ensure_first_workspace(settings)
    assert first is not None
    assert first.generated_password is not None

    answer = await client.get(HINT)
    assert answer.status_code == 200
    assert answer.json() == {"email": DEFAULT_ADMIN_EMAIL, "password_printed": True}
    assert first.generated_password not in answer.text

    # A failed sign-in changes nothing; the first successful one ends the hint for good.
    wrong = {"email": DEFAULT_ADMIN_EMAIL, "password": "not-the-password-at-all"}
    assert (await client.post("/api/v1/auth/login", json=wrong)).status_code == 401
    assert (await client.get(HINT)).json()["email"] == DEFAULT_ADMIN_EMAIL
    right = {"email": DEFAULT_ADMIN_EMAIL, "password": first.generated_password}
    assert (await client.post("/api/v1/auth/login", json=right)).status_code == 200
    assert (await client.get(HINT)).json() == {"email": None, "password_printed": False}


async def test_a_sign_up_ends_the_hint_too(settings: Settings, client: httpx.AsyncClient) -> None:
    assert await ensure_first_workspace(settings) is not None
    body = {
        "email": "someone@acme.example",
        "password": "a-much-Better-passw0rd",
        "full_name": "Someone",
        "workspace_name": "Acme",
    }
    assert (await client.post("/api/v1/auth/signup", json=body)).status_code == 201
    assert (await client.get(HINT)).json()["email"] is None


async def test_a_chosen_password_is_not_said_to_be_printed(database_url: str, tmp_path: Path) -> None:
    chosen = make_settings(
        database_url,
        tmp_path,
        env="development",
        broker_url=None,
        admin_email="Boss@Acme.example",
        admin_password="a-long-chosen-password",
    )
    try:
        assert await ensure_first_workspace(chosen) is not None
        async with _client(chosen) as client:
            hint = (await client.get(HINT)).json()
            assert hint == {"email": "boss@acme.example", "password_printed": False}
    finally:
        await empty_all_tables(chosen)


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"env": "test", "broker_url": None}, id="not-development"),
        pytest.param(
            {"env": "development", "broker_url": "amqp://guest:guest@127.0.0.1:9/"}, id="not-embedded"
        ),
    ],
)
async def test_only_a_development_embedded_installation_says_it(
    database_url: str, tmp_path: Path, overrides: dict[str, object]
) -> None:
    other = make_settings(database_url, tmp_path, **overrides)
    db = Database(other)
    try:
        assert await ensure_first_workspace(other) is not None
        async with db.read_session() as session:
            assert await first_sign_in_email(session, other) is None
            # The same database, read as `make run` reads it, does name the owner: only the mode hides it.
            dev = other.model_copy(update={"env": "development", "broker_url": None})
            assert await first_sign_in_email(session, dev) == DEFAULT_ADMIN_EMAIL
    finally:
        await db.dispose()
        await empty_all_tables(other)


@asynccontextmanager
async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
