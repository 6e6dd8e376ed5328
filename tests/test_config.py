from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from kronos.config import DEFAULT_SECRET_KEY, Settings, SettingsError, load_settings, mask_url


def test_unknown_kronos_variable_is_rejected_with_a_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRONOS_DATABSE_URL", "postgresql+asyncpg://x/y")
    with pytest.raises(SettingsError, match=r"KRONOS_DATABSE_URL \(did you mean KRONOS_DATABASE_URL\?\)"):
        load_settings()


def test_harness_variables_are_not_settings_and_are_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRONOS_TEST_DATABASE_URL", "postgresql+asyncpg://x/y")
    assert load_settings(_env_file=None).env == "development"


def test_unknown_keyword_is_rejected() -> None:
    with pytest.raises(ValidationError, match="extra"):
        Settings(_env_file=None, no_such_setting=1)  # type: ignore[call-arg]


@pytest.mark.parametrize("secret", [None, DEFAULT_SECRET_KEY, "short"])
def test_production_refuses_a_default_or_weak_secret(secret: str | None) -> None:
    values: dict[str, Any] = {"env": "production"} | ({"secret_key": secret} if secret else {})
    with pytest.raises(ValidationError, match="KRONOS_SECRET_KEY"):
        Settings(_env_file=None, **values)


def test_production_starts_with_a_real_secret() -> None:
    settings = Settings(_env_file=None, env="production", secret_key="x" * 48)
    assert settings.env == "production"


def test_embedded_defaults(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path}/kronos.db"
    assert settings.embedded
    assert settings.redis_url is None


def test_masked_hides_secrets_and_url_passwords() -> None:
    settings = Settings(
        _env_file=None,
        database_url="postgresql+asyncpg://kronos:s3cret@db:5432/kronos",
        broker_url="amqp://guest:guest@mq/",
        secret_key="very-secret-value",
    )
    shown = settings.masked()
    assert shown["database_url"] == "postgresql+asyncpg://kronos:***@db:5432/kronos"
    assert shown["broker_url"] == "amqp://guest:***@mq/"
    assert "very-secret-value" not in str(shown)
    assert mask_url("redis://localhost:6379/0") == "redis://localhost:6379/0"
