"""Keys of sensitive fields: rotation (old keys still decrypt, re-encryption moves every value), a missing or
wrong key as a clear problem+json, production without keys, the embedded key file, the ``kronos keys`` CLI."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError
from sqlalchemy import select
from typer.testing import CliRunner

from kronos.cli import app as cli
from kronos.config import Settings
from kronos.kit.crypto import KEYS, KEYS_FILE, Keys, format_key, parse_keys
from kronos.kit.db import Database
from kronos.kit.records import sensitive_values
from kronos.kit.records.models import FieldHistory
from kronos.modules.access.permissions import permissions_from_json
from tests.conftest import make_settings
from tests.kit.records.support import World

SECRET = "078-05-1120"
A = format_key("a", b"A" * 32)
B = format_key("b", b"B" * 32)
A_FORGED = format_key("a", b"Z" * 32)  # another key under the same id
SILENT = permissions_from_json({"objects": {"companies": {"actions": ["read", "create", "update"]}}})


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path, encryption_keys=A)


def use_keys(settings: Settings, keys: str | None, **changes: Any) -> None:
    """What a restart with other keys would do (the app reads the process's key ring)."""
    secret = SecretStr(keys) if keys is not None else None
    KEYS.configure(settings.model_copy(update={"encryption_keys": secret, **changes}))


async def sensitive_company(world: World, name: str = "Acme") -> str:
    if name == "Acme":
        response = await world.client.post(
            "/api/v1/metadata/objects/companies/fields",
            json={"api_name": "tax_id", "label": "Tax id", "type": "text", "sensitive": True},
            headers=world.auth(),
        )
        assert response.status_code == 201, response.text
    created = await world.create("companies", {"name": name, "tax_id": SECRET})
    record_id: str = created["id"]
    return record_id


async def key_ids(world: World) -> set[str]:
    """The key ids every stored value of the field is sealed under, records and history."""
    table = world.app.state.objects.get("companies").model.__table__
    db: Database = world.app.state.db
    async with db.read_session() as session:
        customs = (await session.scalars(select(table.c.custom))).all()
        history = (await session.scalars(select(FieldHistory).where(FieldHistory.field == "tax_id"))).all()
    values = [custom.get("tax_id") for custom in customs] + [row.new_value for row in history]
    return {value["kid"] for value in values if value is not None}


async def read(world: World, record_id: str, headers: dict[str, str] | None = None) -> Any:
    return await world.client.get(f"/api/v1/companies/{record_id}", headers=headers or world.auth())


async def test_rotation_keeps_old_values_readable_and_reencrypt_moves_them(
    world: World, settings: Settings
) -> None:
    first = await sensitive_company(world)
    assert await key_ids(world) == {"a"}

    use_keys(settings, f"{B},{A}")  # a new key first, the old one still there
    assert (await read(world, first)).json()["tax_id"] == SECRET
    second = await sensitive_company(world, "Beta")
    assert await key_ids(world) == {"a", "b"}

    use_keys(settings, B)  # the old key dropped too early: a clear error, not a 500
    response = await read(world, first)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "encryption_key_missing"
    assert "'a'" in response.json()["detail"]
    assert (await read(world, second)).json()["tax_id"] == SECRET

    use_keys(settings, f"{B},{A}")
    db: Database = world.app.state.db
    reports: list[str] = []
    done = await sensitive_values.reencrypt(
        db, world.app.state.objects, batch=1, report=lambda label, _: reports.append(label)
    )
    assert [(p.records_changed, p.history_changed, p.unsettled) for _, p in done] == [(1, 1, 0)]
    assert len(reports) >= 4  # one transaction per row: progress after each
    assert await key_ids(world) == {"b"}
    again = await sensitive_values.reencrypt(db, world.app.state.objects, batch=500, report=lambda *_: None)
    assert [(p.records_changed, p.history_changed) for _, p in again] == [(0, 0)]  # nothing left to do

    use_keys(settings, B)
    for record_id in (first, second):
        assert (await read(world, record_id)).json()["tax_id"] == SECRET


async def test_a_wrong_key_is_a_clear_error_and_masked_readers_need_none(
    world: World, settings: Settings
) -> None:
    record_id = await sensitive_company(world)
    use_keys(settings, A_FORGED)
    response = await read(world, record_id)
    assert response.status_code == 503
    assert response.json()["code"] == "decryption_failed"
    history = await world.client.get(f"/api/v1/companies/{record_id}/history", headers=world.auth())
    assert history.json()["code"] == "decryption_failed"
    # A role that gets the field masked never needs it decrypted.
    masked = await read(world, record_id, world.auth(SILENT))
    assert masked.status_code == 200
    assert masked.json()["tax_id"] == "[masked]"


async def test_production_without_keys_refuses_to_store_sensitive_values(
    world: World, settings: Settings
) -> None:
    record_id = await sensitive_company(world)
    use_keys(settings, None, env="production")
    response = await world.client.post(
        "/api/v1/metadata/objects/companies/fields",
        json={"api_name": "passport", "label": "Passport", "type": "text", "sensitive": True},
        headers=world.auth(),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "encryption_not_configured"
    described = await world.client.get("/api/v1/metadata/objects/companies", headers=world.auth())
    assert "passport" not in {f["name"] for f in described.json()["fields"]}
    assert not (settings.data_dir / KEYS_FILE).exists()  # production never makes up a key file
    stored = await read(world, record_id)
    assert stored.status_code == 503
    assert stored.json()["code"] == "encryption_key_missing"


async def test_embedded_key_is_generated_on_first_use_and_kept(world: World, settings: Settings) -> None:
    use_keys(settings, None)
    key_file = settings.data_dir / KEYS_FILE
    assert not key_file.exists()
    record_id = await sensitive_company(world)
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    [(key_id, _)] = parse_keys(key_file.read_text())
    assert await key_ids(world) == {key_id}

    use_keys(settings, None)  # a restart reads the same file
    assert (await read(world, record_id)).json()["tax_id"] == SECRET
    # `kronos keys rotate` in another process, next to the running server:
    command = Keys()
    command.configure(settings.model_copy(update={"encryption_keys": None}))
    new_id = command.rotate_file()
    assert [k for k, _ in parse_keys(key_file.read_text())] == [new_id, key_id]
    assert (await read(world, record_id)).json()["tax_id"] == SECRET  # the old key still decrypts
    await sensitive_company(world, "Beta")  # the server noticed the new file: it encrypts with the new key
    assert await key_ids(world) == {key_id, new_id}
    db: Database = world.app.state.db
    await sensitive_values.reencrypt(db, world.app.state.objects, batch=500, report=lambda *_: None)
    assert await key_ids(world) == {new_id}
    assert (await read(world, record_id)).json()["tax_id"] == SECRET


def test_bad_encryption_keys_stop_the_settings_with_a_clear_message(
    database_url: str, tmp_path: Path
) -> None:
    for value, words in (
        ("nocolon", "expected id:base64key"),
        ("a:!!!!", "not valid base64"),
        ("a:" + format_key("x", b"short")[2:], "AES-256 needs 32"),
        (f"{A},{A}", "appears twice"),
    ):
        with pytest.raises(ValidationError) as raised:
            make_settings(database_url, tmp_path, encryption_keys=value)
        assert words in str(raised.value)
        assert "QUFB" not in str(raised.value)  # never the key material (base64 of AAA...)


runner = CliRunner()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Path:
    monkeypatch.setenv("KRONOS_DATABASE_URL", database_url)
    monkeypatch.setenv("KRONOS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KRONOS_SECRET_KEY", "x" * 40)
    monkeypatch.chdir(tmp_path)
    for key in ("KRONOS_REDIS_URL", "KRONOS_BROKER_URL", "KRONOS_ENCRYPTION_KEYS"):
        monkeypatch.delenv(key, raising=False)
    return tmp_path


def test_cli_generates_rotates_and_reencrypts(env: Path) -> None:
    generated = runner.invoke(cli, ["keys", "generate"])
    assert generated.exit_code == 0, generated.output
    [(key_id, material)] = parse_keys(generated.output)
    assert len(material) == 32

    refused = runner.invoke(cli, ["keys", "rotate"], env={"KRONOS_ENCRYPTION_KEYS": generated.output.strip()})
    assert refused.exit_code == 2
    assert "KRONOS_ENCRYPTION_KEYS" in refused.output

    rotated = runner.invoke(cli, ["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    [(new_id, _)] = parse_keys((env / KEYS_FILE).read_text())
    assert new_id != key_id
    assert f"New key {new_id}" in rotated.output
    assert "every value is sealed under" in rotated.output

    again = runner.invoke(cli, ["keys", "reencrypt", "--batch-size", "10"])
    assert again.exit_code == 0, again.output
    assert new_id in again.output
