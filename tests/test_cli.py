"""The `kronos` command as an operator uses it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kronos.bootstrap import DEFAULT_ADMIN_EMAIL, ensure_first_workspace
from kronos.cli import app
from kronos.kit.db import Database
from kronos.kit.security import verify_password_sync as verify_password
from kronos.modules.identity.repository import IdentityRepository
from tests.conftest import make_settings

runner = CliRunner()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> str:
    monkeypatch.setenv("KRONOS_DATABASE_URL", database_url)
    monkeypatch.setenv("KRONOS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KRONOS_SECRET_KEY", "x" * 40)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    for key in ("KRONOS_REDIS_URL", "KRONOS_BROKER_URL"):
        monkeypatch.delenv(key, raising=False)
    return database_url


async def _user(settings_url: str, tmp_path: Path, email: str):  # type: ignore[no-untyped-def]
    db = Database(make_settings(settings_url, tmp_path))
    try:
        async with db.read_session() as session:
            return await IdentityRepository(session).get_user_by_email(email)
    finally:
        await db.dispose()


def test_check_prints_settings_masked_and_service_status(env: str) -> None:
    result = runner.invoke(app, ["check"], env={"KRONOS_BROKER_URL": "amqp://guest:hunter2@127.0.0.1:9/"})
    assert result.exit_code == 1, result.output  # the broker on port 9 does not answer
    assert "KRONOS_DATABASE_URL" in result.output
    assert "hunter2" not in result.output
    assert "x" * 40 not in result.output
    assert "database" in result.output
    assert "ok" in result.output
    assert "broker" in result.output
    assert "unavailable" in result.output


def test_check_says_where_the_secret_key_is_kept_and_who_gets_the_metrics(
    env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KRONOS_SECRET_KEY")
    result = runner.invoke(app, ["check"], env={"KRONOS_ENV": "test"})
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.replace("│", " ").split())  # the table wraps long values
    assert "generated on first start" in flat
    assert "Metrics: not served" in flat
    assert not (tmp_path / "secret_key").exists()  # checking changes nothing


def test_check_succeeds_when_everything_answers(env: str) -> None:
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output


def test_unknown_setting_is_a_clear_error(env: str) -> None:
    result = runner.invoke(app, ["check"], env={"KRONOS_PORTT": "1"})
    assert result.exit_code == 2
    assert "KRONOS_PORTT" in result.output
    assert "KRONOS_PORT" in result.output


def test_create_admin_creates_a_workspace_and_owner(
    env: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    request.addfinalizer(lambda: asyncio.run(_empty(env, tmp_path)))
    result = runner.invoke(
        app,
        [
            "create-admin",
            "--email",
            "Owner@Example.com",
            "--workspace",
            "Acme",
            "--password",
            "correct-horse-42",
        ],
    )
    assert result.exit_code == 0, result.output
    user = asyncio.run(_user(env, tmp_path, "owner@example.com"))
    assert user is not None
    assert verify_password(user.password_hash, "correct-horse-42")
    again = runner.invoke(
        app,
        ["create-admin", "--email", "owner@example.com", "--workspace", "B", "--password", "wrong-pass-99"],
    )
    assert again.exit_code == 1
    assert "already exists" in again.output


async def _empty(url: str, tmp_path: Path) -> None:
    from tests.conftest import empty_all_tables

    await empty_all_tables(make_settings(url, tmp_path))


async def test_first_start_creates_one_workspace_once(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path)
    try:
        first = await ensure_first_workspace(settings)
        assert first is not None
        assert first.email == DEFAULT_ADMIN_EMAIL
        assert first.generated_password is not None
        assert len(first.generated_password) >= 16
        assert await ensure_first_workspace(settings) is None
        user = await _user(database_url, tmp_path, DEFAULT_ADMIN_EMAIL)
        assert user is not None
        assert verify_password(user.password_hash, first.generated_password)
    finally:
        await _empty(database_url, tmp_path)


async def test_first_start_uses_the_configured_admin(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(
        database_url, tmp_path, admin_email="boss@acme.test", admin_password="a-long-chosen-password"
    )
    try:
        first = await ensure_first_workspace(settings)
        assert first is not None
        assert first.email == "boss@acme.test"
        assert first.generated_password is None
    finally:
        await _empty(database_url, tmp_path)
