"""Sensitive fields: values encrypted at rest (records, history, events), masked for roles without the right
to read them, and the operations encrypted values give up refused with a 422 naming the field."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Text, cast, select

from kronos.app import create_app
from kronos.config import Settings
from kronos.kit.db import Database
from kronos.kit.events import Registry
from kronos.kit.events.models import OutboxEvent
from kronos.modules.access.permissions import permissions_from_json
from tests.conftest import empty_all_tables
from tests.kit.records.support import World

SECRET = "078-05-1120"
OTHER = "219-09-9999"
MASK = "[masked]"

# Roles as the access module builds them: one names the field (sees it), one does not (gets it masked).
NAMES_IT = permissions_from_json(
    {"objects": {"companies": {"actions": ["read", "create", "update"], "fields": {"tax_id": "write"}}}}
)
SILENT = permissions_from_json({"objects": {"companies": {"actions": ["read", "create", "update"]}}})


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app with no event consumers: jobs a switch starts stay in the outbox for the test to run."""
    application = create_app(settings)
    application.state.event_registry = Registry()
    try:
        async with application.router.lifespan_context(application):
            yield application
    finally:
        await empty_all_tables(settings)


async def add_field(world: World, **body: Any) -> dict[str, Any]:
    body = {"api_name": "tax_id", "label": "Tax id", "type": "text", **body}
    response = await world.client.post(
        "/api/v1/metadata/objects/companies/fields", json=body, headers=world.auth()
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def set_sensitive(world: World, on: bool, name: str = "tax_id") -> dict[str, Any]:
    response = await world.client.patch(
        f"/api/v1/metadata/objects/companies/fields/{name}", json={"sensitive": on}, headers=world.auth()
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def stored(world: World, record_id: str) -> tuple[dict[str, Any], str, int]:
    """The record's ``custom`` as the database holds it, as text too, and its version."""
    table = world.app.state.objects.get("companies").model.__table__
    db: Database = world.app.state.db
    async with db.read_session() as session:
        row = (
            await session.execute(
                select(table.c.custom, cast(table.c.custom, Text), table.c.version).where(
                    table.c.id == uuid.UUID(record_id)
                )
            )
        ).one()
    return row[0], row[1], row[2]


def is_envelope(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"kid", "enc"}


async def history_values(world: World, record_id: str, field: str = "tax_id") -> list[Any]:
    rows = [row for row in await world.history(record_id) if row.field == field]
    return [value for row in rows for value in (row.old_value, row.new_value) if value is not None]


async def test_values_are_encrypted_in_records_history_and_events(world: World) -> None:
    await add_field(world, sensitive=True)
    created = await world.create("companies", {"name": "Acme", "tax_id": SECRET})
    assert created["tax_id"] == SECRET  # the admin reads it back plain
    response = await world.client.patch(
        f"/api/v1/companies/{created['id']}", json={"tax_id": OTHER}, headers=world.auth()
    )
    assert response.status_code == 200, response.text

    custom, text, _ = await stored(world, created["id"])
    assert is_envelope(custom["tax_id"])
    assert SECRET not in text
    assert OTHER not in text
    values = await history_values(world, created["id"])
    assert len(values) == 3  # created with SECRET, then SECRET -> OTHER
    assert all(is_envelope(value) for value in values)
    assert len({value["enc"] for value in values}) == 3  # a fresh nonce each time
    db: Database = world.app.state.db
    async with db.read_session() as session:
        payloads = [json.dumps(e.payload) for e in await session.scalars(select(OutboxEvent))]
    assert payloads
    assert not any(SECRET in p or OTHER in p for p in payloads)

    read = await world.client.get(f"/api/v1/companies/{created['id']}", headers=world.auth())
    assert read.json()["tax_id"] == OTHER
    history = await world.client.get(f"/api/v1/companies/{created['id']}/history", headers=world.auth())
    change = next(i for i in history.json()["items"] if i["field"] == "tax_id" and i["op"] == "update")
    assert (change["old_value"], change["new_value"]) == (SECRET, OTHER)
    assert change["new_display"] == OTHER


async def test_roles_see_plain_values_only_with_a_grant_on_the_field(world: World) -> None:
    await add_field(world, sensitive=True)
    await add_field(world, api_name="motto", label="Motto", sensitive=True)
    created = await world.create("companies", {"name": "Acme", "tax_id": SECRET})
    empty = await world.create("companies", {"name": "Blank"})
    record = f"/api/v1/companies/{created['id']}"
    before = (await world.client.get("/api/v1/companies", headers=world.auth())).json()["items"]
    assert {item["name"]: item["tax_id"] for item in before} == {"Acme": SECRET, "Blank": None}

    for perms, expected in ((NAMES_IT, SECRET), (SILENT, MASK)):
        headers = world.auth(perms)
        assert (await world.client.get(record, headers=headers)).json()["tax_id"] == expected
        items = (await world.client.get("/api/v1/companies", headers=headers)).json()["items"]
        assert {item["name"]: item["tax_id"] for item in items} == {"Acme": expected, "Blank": None}
        history = (await world.client.get(f"{record}/history", headers=headers)).json()["items"]
        change = next(item for item in history if item["field"] == "tax_id")
        assert (change["new_value"], change["new_display"]) == (expected, expected)
        at = (await world.client.get(record, params={"as_of": created["updated_at"]}, headers=headers)).json()
        assert at["tax_id"] == expected
        listed = await world.client.get(
            "/api/v1/companies", params={"as_of": created["updated_at"]}, headers=headers
        )
        assert [item["tax_id"] for item in listed.json()["items"]] == [expected]
        described = await world.client.get("/api/v1/metadata/objects/companies", headers=headers)
        field = next(f for f in described.json()["fields"] if f["name"] == "tax_id")
        assert (field["sensitive"], field["masked"]) == (True, expected == MASK)
    # A role that names one sensitive field sees that one only.
    motto = await world.client.patch(record, json={"motto": "Secret motto"}, headers=world.auth())
    assert motto.json()["motto"] == "Secret motto"
    assert (await world.client.get(record, headers=world.auth(NAMES_IT))).json()["motto"] == MASK
    assert (await world.client.get(f"/api/v1/companies/{empty['id']}", headers=world.auth(SILENT))).json()[
        "tax_id"
    ] is None


async def test_a_masked_value_sent_back_keeps_the_stored_value(world: World) -> None:
    await add_field(world, sensitive=True, required=True)
    created = await world.create("companies", {"name": "Acme", "tax_id": SECRET})
    record = f"/api/v1/companies/{created['id']}"
    headers = world.auth(SILENT)
    shown = (await world.client.get(record, headers=headers)).json()
    assert shown["tax_id"] == MASK
    body = {
        key: value for key, value in shown.items() if key not in ("id", "version", "created_at", "updated_at")
    }
    replaced = await world.client.put(record, json={**body, "name": "Acme Ltd"}, headers=headers)
    assert replaced.status_code == 200, replaced.text
    assert (await world.client.get(record, headers=world.auth())).json()["tax_id"] == SECRET
    # The same role may still write a new value, which it then sees masked like the old one.
    written = await world.client.patch(record, json={"tax_id": OTHER}, headers=headers)
    assert written.json()["tax_id"] == MASK
    assert (await world.client.get(record, headers=world.auth())).json()["tax_id"] == OTHER
    # Creating a record from a masked copy does not store the mask: the required field is missing.
    copied = await world.client.post("/api/v1/companies", json=body, headers=headers)
    assert copied.status_code == 422
    assert [e["path"] for e in copied.json()["errors"]] == ["body.tax_id"]


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"tax_id[eq]": SECRET}, "query.tax_id[eq]"),
        ({"tax_id[starts_with]": "078"}, "query.tax_id[starts_with]"),
        ({"tax_id[in]": f"{SECRET},{OTHER}"}, "query.tax_id[in]"),
        ({"filter": json.dumps({"field": "tax_id", "op": "contains", "value": "05"})}, "query.filter"),
        ({"sort": "-tax_id"}, "query.sort"),
        ({"tax_id[eq]": SECRET, "as_of": "2030-01-01T00:00:00Z"}, "query.tax_id[eq]"),
    ],
)
async def test_lists_refuse_what_encrypted_values_cannot_do(
    world: World, params: dict[str, str], path: str
) -> None:
    await add_field(world, sensitive=True)
    await world.create("companies", {"name": "Acme", "tax_id": SECRET})
    response = await world.client.get("/api/v1/companies", params=params, headers=world.auth())
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"] == [
        {"path": path, "message": problem["errors"][0]["message"], "type": "sensitive_field"}
    ]
    assert "'tax_id' is a sensitive field" in problem["detail"]


async def test_is_null_filters_and_aggregates_group_refusal(world: World) -> None:
    await add_field(world, sensitive=True)
    await world.create("companies", {"name": "Acme", "tax_id": SECRET})
    await world.create("companies", {"name": "Blank"})
    for flag, names in (("true", ["Blank"]), ("false", ["Acme"])):
        response = await world.client.get(
            "/api/v1/companies", params={"tax_id[is_null]": flag}, headers=world.auth()
        )
        assert [item["name"] for item in response.json()["items"]] == names
    grouped = await world.client.get(
        "/api/v1/companies/aggregate", params={"group_by": "tax_id"}, headers=world.auth()
    )
    assert grouped.status_code == 422
    assert grouped.json()["errors"][0]["type"] == "sensitive_field"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"type": "number"}, "body.sensitive"),
        ({"type": "select", "options": [{"value": "a", "label": "A"}]}, "body.sensitive"),
        ({"unique": True}, "body.unique"),
        ({"default": "000-00-0000"}, "body.default"),
    ],
)
async def test_fields_that_cannot_be_sensitive_are_refused(
    world: World, body: dict[str, Any], path: str
) -> None:
    response = await world.client.post(
        "/api/v1/metadata/objects/companies/fields",
        json={"api_name": "tax_id", "label": "Tax id", "type": "text", "sensitive": True, **body},
        headers=world.auth(),
    )
    assert response.status_code == 422, response.text
    assert [(e["path"], e["type"]) for e in response.json()["errors"]] == [(path, "sensitive_field")]
    described = await world.client.get("/api/v1/metadata/objects/companies", headers=world.auth())
    assert "tax_id" not in {f["name"] for f in described.json()["fields"]}


async def test_standard_fields_cannot_be_made_sensitive(world: World) -> None:
    response = await world.client.patch(
        "/api/v1/metadata/objects/companies/fields/domain", json={"sensitive": True}, headers=world.auth()
    )
    assert response.status_code == 404, response.text
    described = await world.client.get("/api/v1/metadata/objects/companies", headers=world.auth())
    assert next(f for f in described.json()["fields"] if f["name"] == "domain")["sensitive"] is False


async def test_switching_sensitive_on_and_off_converts_records_and_history(world: World) -> None:
    await add_field(world)
    created = await world.create("companies", {"name": "Acme", "tax_id": SECRET})
    await world.client.patch(
        f"/api/v1/companies/{created['id']}", json={"tax_id": OTHER}, headers=world.auth()
    )
    _, _, version = await stored(world, created["id"])

    field = await set_sensitive(world, True)
    assert field["sensitive"] is True
    custom, text, converted = await stored(world, created["id"])
    assert is_envelope(custom["tax_id"])
    assert OTHER not in text
    assert converted == version + 1  # a writer holding the plain copy gets a 412, not a silent undo
    assert all(is_envelope(value) for value in await history_values(world, created["id"]))
    assert (await world.client.get(f"/api/v1/companies/{created['id']}", headers=world.auth())).json()[
        "tax_id"
    ] == OTHER

    field = await set_sensitive(world, False)
    assert field["sensitive"] is False
    custom, _, _ = await stored(world, created["id"])
    assert custom["tax_id"] == OTHER
    assert sorted(await history_values(world, created["id"])) == sorted([SECRET, SECRET, OTHER])
    filtered = await world.client.get("/api/v1/companies", params={"tax_id[eq]": OTHER}, headers=world.auth())
    assert [item["name"] for item in filtered.json()["items"]] == ["Acme"]


async def test_history_imported_for_a_sensitive_field_is_stored_sealed(world: World) -> None:
    await add_field(world, sensitive=True)
    created = await world.create("companies", {"name": "Acme"})
    response = await world.client.post(
        f"/api/v1/companies/{created['id']}/history/import",
        json={"changes": [{"field": "tax_id", "old_value": None, "new_value": SECRET,
                           "changed_at": "2020-01-01T00:00:00Z"}]},
        headers=world.auth(),
    )  # fmt: skip
    assert response.status_code == 201, response.text
    assert [is_envelope(value) for value in await history_values(world, created["id"])] == [True]
    at = await world.client.get(
        f"/api/v1/companies/{created['id']}", params={"as_of": "2021-01-01T00:00:00Z"}, headers=world.auth()
    )
    assert at.json()["tax_id"] == SECRET


async def test_sensitive_values_never_reach_the_logs(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    await add_field(world, sensitive=True)
    created = await world.create("companies", {"name": "Acme", "tax_id": SECRET})
    await world.client.get("/api/v1/companies", params={"tax_id[eq]": SECRET}, headers=world.auth())
    await world.client.get(f"/api/v1/companies/{created['id']}/history", headers=world.auth())
    assert caplog.records  # something was logged: the check below looks at real output
    assert SECRET not in caplog.text


async def pending_jobs(world: World, seen: set[uuid.UUID]) -> list[OutboxEvent]:
    db: Database = world.app.state.db
    async with db.read_session() as session:
        events = await session.scalars(
            select(OutboxEvent).where(OutboxEvent.name == "field.convert_values").order_by(OutboxEvent.id)
        )
        return [event for event in events if event.id not in seen]


async def run_jobs(world: World) -> int:
    """Run the chain of conversion jobs to its end, as the consumer would; how many steps ran."""
    from kronos.kit.records.sensitive_values import run_job

    db: Database = world.app.state.db
    seen: set[uuid.UUID] = set()
    steps = 0
    while jobs := await pending_jobs(world, seen):
        for job in jobs:
            seen.add(job.id)
            assert job.tenant_id is not None
            async with db.write_session() as session:
                await run_job(session, job.tenant_id, job.payload)
            steps += 1
    return steps


async def test_a_big_switch_runs_as_a_chain_of_jobs(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from kronos.kit.records import sensitive_values

    monkeypatch.setattr(sensitive_values, "INLINE_LIMIT", 2)
    monkeypatch.setattr(sensitive_values, "BATCH", 2)
    await add_field(world)
    ids = [
        (await world.create("companies", {"name": f"C{i}", "tax_id": f"{i}{SECRET}"}))["id"] for i in range(5)
    ]

    assert (await set_sensitive(world, True))["sensitive"] is True
    custom, _, _ = await stored(world, ids[0])
    assert custom["tax_id"] == f"0{SECRET}"  # not converted yet: read as it is meanwhile
    assert (await world.client.get(f"/api/v1/companies/{ids[0]}", headers=world.auth())).json()[
        "tax_id"
    ] == f"0{SECRET}"
    assert await run_jobs(world) == 6  # 5 records, then 5 history rows, 2 a step
    for i, record_id in enumerate(ids):
        custom, _, _ = await stored(world, record_id)
        assert is_envelope(custom["tax_id"])
        assert all(is_envelope(value) for value in await history_values(world, record_id))
        read = await world.client.get(f"/api/v1/companies/{record_id}", headers=world.auth())
        assert read.json()["tax_id"] == f"{i}{SECRET}"

    # Off: still sensitive (values sealed) until the job has decrypted them all, then plain.
    assert (await set_sensitive(world, False))["sensitive"] is True
    refused = await world.client.get("/api/v1/companies", params={"tax_id[eq]": "x"}, headers=world.auth())
    assert refused.status_code == 422
    await run_jobs(world)
    described = await world.client.get("/api/v1/metadata/objects/companies", headers=world.auth())
    assert next(f for f in described.json()["fields"] if f["name"] == "tax_id")["sensitive"] is False
    for i, record_id in enumerate(ids):
        custom, _, _ = await stored(world, record_id)
        assert custom["tax_id"] == f"{i}{SECRET}"


async def test_a_job_outrun_by_a_newer_switch_stops(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from kronos.kit.records import sensitive_values

    monkeypatch.setattr(sensitive_values, "INLINE_LIMIT", 2)
    await add_field(world)
    ids = [(await world.create("companies", {"name": f"C{i}", "tax_id": SECRET}))["id"] for i in range(3)]
    await set_sensitive(world, True)  # a job to encrypt...
    await set_sensitive(world, False)  # ...then one to decrypt: the field is not sensitive once both ran
    await run_jobs(world)
    described = await world.client.get("/api/v1/metadata/objects/companies", headers=world.auth())
    assert next(f for f in described.json()["fields"] if f["name"] == "tax_id")["sensitive"] is False
    for record_id in ids:
        custom, _, _ = await stored(world, record_id)
        assert custom["tax_id"] == SECRET
    history = [row for record_id in ids for row in await world.history(record_id) if row.field == "tax_id"]
    assert history
    assert all(row.new_value == SECRET for row in history)


async def test_an_idempotent_create_keeps_its_stored_response_encrypted(world: World) -> None:
    from kronos.kit.records.idempotency import IdempotencyKey, request_hash

    await add_field(world, sensitive=True)
    headers = {**world.auth(), "Idempotency-Key": "create-acme"}
    body = {"name": "Acme", "tax_id": SECRET}
    first = await world.client.post("/api/v1/companies", json=body, headers=headers)
    assert first.status_code == 201, first.text
    db: Database = world.app.state.db
    async with db.read_session() as session:
        row = (await session.scalars(select(IdempotencyKey))).one()
    assert SECRET not in json.dumps(row.response_body)
    # Not a plain hash of the request: a guess at the value cannot be checked against it offline.
    assert row.request_hash != request_hash("POST /api/v1/companies", body)
    again = await world.client.post("/api/v1/companies", json=body, headers=headers)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again.json()["tax_id"] == SECRET
    changed = await world.client.post("/api/v1/companies", json={**body, "tax_id": OTHER}, headers=headers)
    assert changed.json()["code"] == "idempotency_key_reused"


async def test_batches_store_sealed_values_and_answer_masked(world: World) -> None:
    await add_field(world, sensitive=True)
    response = await world.client.post(
        "/api/v1/companies/batch",
        json={"operation": "create", "records": [{"name": "A", "tax_id": SECRET}, {"name": "B"}]},
        headers=world.auth(SILENT),
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["record"]["tax_id"] for r in results] == [MASK, None]
    custom, text, _ = await stored(world, results[0]["id"])
    assert is_envelope(custom["tax_id"])
    assert SECRET not in text
    assert [is_envelope(value) for value in await history_values(world, results[0]["id"])] == [True]
    read = await world.client.get(f"/api/v1/companies/{results[0]['id']}", headers=world.auth())
    assert read.json()["tax_id"] == SECRET


async def test_revert_and_erasure_work_on_sealed_values(world: World) -> None:
    await add_field(world, sensitive=True)
    created = await world.create("companies", {"name": "Acme", "tax_id": SECRET})
    record = f"/api/v1/companies/{created['id']}"
    await world.client.patch(record, json={"tax_id": OTHER}, headers=world.auth())
    reverted = await world.client.post(
        f"{record}/revert", json={"as_of": created["updated_at"], "fields": ["tax_id"]}, headers=world.auth()
    )
    assert reverted.status_code == 200, reverted.text
    assert reverted.json()["tax_id"] == SECRET
    custom, _, _ = await stored(world, created["id"])
    assert is_envelope(custom["tax_id"])

    erased = await world.client.post(f"{record}/erase", json={"fields": ["tax_id"]}, headers=world.auth())
    assert erased.status_code == 200, erased.text
    assert (await world.client.get(record, headers=world.auth())).json()["tax_id"] == "[erased]"
    assert set(await history_values(world, created["id"])) == {"[erased]"}  # no envelope left to decrypt


async def test_the_workspace_openapi_document_describes_masked_values(world: World) -> None:
    await add_field(world, api_name="billing", label="Billing", type="email", sensitive=True)
    for perms, masked in ((NAMES_IT, True), (SILENT, True), (None, False)):
        headers = world.auth(perms) if perms is not None else world.auth()
        document = (await world.client.get("/api/v1/openapi.json", headers=headers)).json()
        company = next(
            schema
            for schema in document["components"]["schemas"].values()
            if "billing" in schema.get("properties", {}) and schema.get("title") == "Company"
        )
        billing = company["properties"]["billing"]
        assert billing["x-kronos-sensitive"] is True
        # A masked caller gets "[masked]", which is no e-mail address: the document must not promise one.
        assert ("format" in billing) is not masked
