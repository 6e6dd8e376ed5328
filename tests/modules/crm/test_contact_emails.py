"""Contact e-mails are unique in a workspace (through ``unique_values``), and batch upserts match contacts on
any of their e-mails with one lookup for the whole batch."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import Connection

from kronos.kit.db import Database
from kronos.kit.events.models import OutboxEvent
from kronos.kit.records.models import UniqueValue
from tests.kit.records.support import World


async def _upsert(world: World, records: list[dict[str, Any]], mode: str = "per_record") -> Any:
    return await world.client.post(
        "/api/v1/contacts/batch",
        json={"operation": "upsert", "match_on": "emails", "mode": mode, "records": records},
        headers=world.auth(),
    )


async def _get(world: World, record_id: str) -> Any:
    return (await world.client.get(f"/api/v1/contacts/{record_id}", headers=world.auth())).json()


async def test_an_address_belongs_to_one_live_contact(world: World) -> None:
    ada = await world.create(
        "contacts", {"last_name": "Lovelace", "emails": ["ada@engine.example", "a@x.io"]}
    )
    taken = await world.client.post(
        "/api/v1/contacts", json={"last_name": "Imposter", "emails": [" A@X.io "]}, headers=world.auth()
    )
    assert taken.status_code == 409, taken.text
    assert (taken.json()["existing_id"], taken.json()["field"]) == (ada["id"], "emails")
    assert taken.json()["errors"][0]["path"] == "body.emails"
    assert "a@x.io" in taken.json()["detail"]
    # An update adding a taken address is refused too; one keeping its own addresses is fine.
    grace = await world.create("contacts", {"last_name": "Hopper", "emails": ["grace@navy.example"]})
    url = f"/api/v1/contacts/{grace['id']}"
    clash = await world.client.patch(url, json={"emails": ["grace@navy.example", "ADA@engine.example"]},
                                     headers=world.auth())  # fmt: skip
    assert clash.status_code == 409
    assert (await _get(world, grace["id"]))["emails"] == ["grace@navy.example"]
    kept = await world.client.patch(url, json={"emails": ["Grace@Navy.example", "g@navy.example"]},
                                    headers=world.auth())  # fmt: skip
    assert kept.status_code == 200, kept.text
    # Another workspace may hold the same address; a deleted contact frees it...
    other = world.auth(tenant=world.other_tenant)
    await world.create("contacts", {"last_name": "Other", "emails": ["a@x.io"]}, other)
    assert (
        await world.client.delete(f"/api/v1/contacts/{ada['id']}", headers=world.auth())
    ).status_code == 204
    newcomer = await world.create("contacts", {"last_name": "Next", "emails": ["a@x.io"]})
    # ...and restoring the first one now collides, naming the newcomer.
    back = await world.client.post(f"/api/v1/contacts/{ada['id']}/restore", headers=world.auth())
    assert back.status_code == 409
    assert back.json()["existing_id"] == newcomer["id"]


async def test_upsert_matches_on_any_address(world: World) -> None:
    ada = await world.create(
        "contacts", {"last_name": "Lovelace", "emails": ["ada@engine.example", "a@x.io"]}
    )
    grace = await world.create("contacts", {"last_name": "Hopper", "emails": ["grace@navy.example"]})
    response = await _upsert(
        world,
        [
            {"last_name": "Lovelace", "job_title": "Analyst", "emails": ["A@X.IO"]},
            {"last_name": "Babbage", "emails": ["charles@engine.example"]},
            {"last_name": "Both", "emails": ["ada@engine.example", "grace@navy.example"]},
        ],
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [200, 201, 409]
    assert results[0]["id"] == ada["id"]
    assert results[2]["error"]["errors"][0]["type"] == "ambiguous"
    assert sorted(results[2]["error"]["existing_ids"]) == sorted([ada["id"], grace["id"]])
    updated = await _get(world, ada["id"])
    assert updated["job_title"] == "Analyst"
    assert updated["emails"] == ["a@x.io"]  # the upsert's value replaced the list, as a PATCH would
    assert (await _get(world, grace["id"]))["version"] == grace["version"]
    # The address the upsert dropped is free again.
    await world.create("contacts", {"last_name": "Free", "emails": ["ada@engine.example"]})


async def test_an_address_repeated_in_a_batch_is_refused(world: World) -> None:
    response = await _upsert(
        world,
        [
            {"last_name": "A", "emails": ["same@x.io"]},
            {"last_name": "B", "emails": ["other@x.io", "SAME@x.io"]},
        ],
        mode="all_or_nothing",
    )
    assert response.status_code == 422, response.text
    assert response.json()["records"][0]["code"] == "duplicate_in_batch"
    listed = (await world.client.get("/api/v1/contacts", headers=world.auth())).json()
    assert listed["items"] == []
    # A batch create of two contacts sharing an address: the second is a 409 and, all or nothing, no one.
    created = await world.client.post(
        "/api/v1/contacts/batch",
        json={"operation": "create", "records": [{"last_name": "A", "emails": ["x@x.io"]},
                                                  {"last_name": "B", "emails": ["X@x.io"]}]},
        headers=world.auth(),
    )  # fmt: skip
    assert created.status_code == 422
    assert created.json()["records"][0]["code"] == "duplicate_value"
    assert (await world.client.get("/api/v1/contacts", headers=world.auth())).json()["items"] == []


async def test_one_lookup_finds_every_match_of_a_batch(world: World) -> None:
    existing = [
        await world.create("contacts", {"last_name": f"Old {i}", "emails": [f"old{i}@x.io"]})
        for i in range(20)
    ]
    db: Database = world.app.state.db
    lookups: list[str] = []

    def count(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "unique_values" in statement:
            lookups.append(statement)

    event.listen(db.write_engine.sync_engine, "before_cursor_execute", count)
    try:
        records = [
            {"last_name": f"Old {i}", "job_title": "Kept", "emails": [f"OLD{i}@x.io"]} for i in range(20)
        ]
        records += [{"last_name": f"New {i}", "emails": [f"new{i}@x.io", f"n{i}@x.io"]} for i in range(20)]
        response = await _upsert(world, records, mode="all_or_nothing")
    finally:
        event.remove(db.write_engine.sync_engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [200] * 20 + [201] * 20
    assert [r["id"] for r in results[:20]] == [c["id"] for c in existing]
    assert len(lookups) == 1, lookups


async def test_an_all_or_nothing_batch_losing_one_address_writes_nothing(world: World) -> None:
    holder = await world.create("contacts", {"last_name": "Holder", "emails": ["taken@x.io"]})
    before = await claims_count(world)
    response = await world.client.post(
        "/api/v1/contacts/batch",
        json={"operation": "create", "records": [{"last_name": "A", "emails": ["a@x.io"]},
                                                  {"last_name": "B", "emails": ["b@x.io", "Taken@X.io"]}]},
        headers=world.auth(),
    )  # fmt: skip
    assert response.status_code == 422, response.text
    failed = response.json()["records"]
    assert [(r["index"], r["code"], r["existing_id"], r["field"]) for r in failed] == [
        (1, "duplicate_value", holder["id"], "emails")
    ]
    listed = (await world.client.get("/api/v1/contacts", headers=world.auth())).json()["items"]
    assert [item["last_name"] for item in listed] == ["Holder"]
    assert await claims_count(world) == before


async def test_batch_events_carry_the_versions_the_records_have(world: World) -> None:
    old = await world.create("contacts", {"last_name": "Old", "emails": ["old@x.io"]})
    response = await _upsert(
        world,
        [
            {"last_name": "Old", "job_title": "CEO", "emails": ["old@x.io"]},
            {"last_name": "New", "emails": ["n@x.io"]},
        ],
        mode="all_or_nothing",
    )
    assert response.status_code == 200, response.text
    records = {r["id"]: r["record"]["version"] for r in response.json()["results"]}
    assert records[old["id"]] == 2
    db: Database = world.app.state.db
    async with db.read_session() as session:
        events = (await session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))).all()
    last = {e.payload["id"]: e.payload["version"] for e in events if e.payload.get("id") in records}
    assert last == records  # the batch's own events (the latest of each record), flushed once at the end


async def claims_count(world: World) -> int:
    db: Database = world.app.state.db
    async with db.read_session() as session:
        return int(await session.scalar(select(func.count()).select_from(UniqueValue)) or 0)
