"""The key that signs tokens: without KRONOS_SECRET_KEY, a random one generated on first start and kept in the
data directory, never a key published with the source."""

from __future__ import annotations

import stat
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from pydantic import ValidationError

from kronos.app import create_app
from kronos.bootstrap import ensure_first_workspace, load_or_create_secret_key, with_secret_key
from kronos.config import DEFAULT_SECRET_KEY, SECRET_KEY_FILE, Settings, SettingsError
from tests.conftest import empty_all_tables, make_settings

EMAIL = "owner@secret-key.example"
PASSWORD = "plum-orchard-7431"


def fresh_start_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    """What `make run` has: development, and no KRONOS_SECRET_KEY."""
    values = make_settings(database_url, data_dir, env="development", login_failure_delay=0, **overrides)
    return Settings(_env_file=None, **{k: v for k, v in values if k != "secret_key"})


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def sign_in(http: httpx.AsyncClient) -> str:
    response = await http.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def me(http: httpx.AsyncClient, token: str) -> Any:
    return http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
async def owner(database_url: str, tmp_path: Path) -> AsyncIterator[None]:
    await ensure_first_workspace(
        fresh_start_settings(database_url, tmp_path / "seed", admin_email=EMAIL, admin_password=PASSWORD)
    )
    yield
    await empty_all_tables(make_settings(database_url, tmp_path / "seed"))


@pytest.mark.usefixtures("owner")
async def test_a_token_signed_with_the_published_key_is_refused_by_a_fresh_start(
    database_url: str, tmp_path: Path
) -> None:
    async with running(fresh_start_settings(database_url, tmp_path / "data")) as http:
        genuine = await sign_in(http)
        assert (await me(http, genuine)).status_code == 200
        header = jwt.get_unverified_header(genuine)
        claims = jwt.decode(genuine, options={"verify_signature": False})
        forged = jwt.encode(claims, DEFAULT_SECRET_KEY, algorithm=header["alg"], headers=header)

        response = await me(http, forged)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.usefixtures("owner")
async def test_the_generated_key_is_kept_and_reused_on_every_later_start(
    database_url: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    async with running(fresh_start_settings(database_url, data_dir)) as http:
        token = await sign_in(http)
    key_file = data_dir / SECRET_KEY_FILE
    key = key_file.read_text()
    assert len(key.strip()) >= 48
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    async with running(fresh_start_settings(database_url, data_dir)) as restarted:
        assert (await me(restarted, token)).status_code == 200  # signed in across the restart
    assert key_file.read_text() == key

    # Another installation (another data directory) has a key of its own: the token means nothing there.
    async with running(fresh_start_settings(database_url, tmp_path / "elsewhere")) as other:
        assert (await me(other, token)).status_code == 401
    assert (tmp_path / "elsewhere" / SECRET_KEY_FILE).read_text() != key


def test_an_explicit_secret_key_wins_and_no_file_is_written(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, secret_key="k" * 40)
    assert with_secret_key(settings) is settings
    assert not (tmp_path / SECRET_KEY_FILE).exists()


@pytest.mark.parametrize("env", ["development", "test", "production"])
def test_the_published_key_is_refused_even_when_set_explicitly(env: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="published"):
        Settings(_env_file=None, env=env, data_dir=tmp_path, secret_key=DEFAULT_SECRET_KEY)


def test_a_damaged_key_file_is_a_clear_error_not_a_weak_key(tmp_path: Path) -> None:
    (tmp_path / SECRET_KEY_FILE).write_text("short\n")
    with pytest.raises(SettingsError, match="damaged"):
        with_secret_key(Settings(_env_file=None, data_dir=tmp_path))


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "new-data-dir" / SECRET_KEY_FILE
    keys: list[str] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        keys.append(load_or_create_secret_key(path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8
    assert len(set(keys)) == 1
    assert sorted(p.name for p in path.parent.iterdir()) == [SECRET_KEY_FILE]  # no temporary file left
