"""GET /api/v1/{object}/since: when each record took its current value of a field (cards' "in stage")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import event

from kronos.kit.db import Database
from kronos.kit.ids import uuid7
from kronos.kit.records.since import MAX_IDS
from tests.kit.records.support import READ_ONLY, Perms, World
from tests.kit.records.test_as_of import T0, Clock, frozen, iso

__all__ = ["frozen"]  # the fixture, shared with test_as_of


def at(minutes: float) -> str:
    return iso(T0 + timedelta(minutes=minutes))


async def since(world: World, object_name: str, field: str, ids: list[str], **kw: Any) -> httpx.Response:
    return await world.client.get(
        f"/api/v1/{object_name}/since",
        params={"field": field, "ids": ",".join(ids), **kw.get("extra", {})},
        headers=kw.get("headers") or world.auth(),
    )


async def _stages(world: World) -> dict[str, str]:
    response = await world.client.get("/api/v1/stages?sort=position", headers=world.auth())
    return {stage["name"]: stage["id"] for stage in response.json()["items"]}


async def test_stage_and_status_since_follow_the_history(world: World, frozen: Clock) -> None:
    frozen.at(minutes=0)
    first = await world.create("deals", {"name": "First"})
    stages = await _stages(world)
    frozen.at(minutes=10)
    second = await world.create("deals", {"name": "Second", "stage_id": stages["Negotiation"]})
    frozen.at(minutes=20)
    url = f"/api/v1/deals/{first['id']}"
    assert (
        await world.client.patch(url, json={"stage_id": stages["Proposal"]}, headers=world.auth())
    ).is_success
    frozen.at(minutes=30)  # another field changing does not restart the stage clock
    assert (await world.client.patch(url, json={"name": "First!"}, headers=world.auth())).is_success
    frozen.at(minutes=40)

    response = await since(world, "deals", "stage_id", [second["id"], first["id"], second["id"]])
    assert response.status_code == 200, response.text
    assert response.json() == {
        "items": [
            {"id": second["id"], "value": stages["Negotiation"], "since": at(10)},
            {"id": first["id"], "value": stages["Proposal"], "since": at(20)},
        ]
    }
    # The owner was set when the deal was created.
    owners = (await since(world, "deals", "owner_id", [first["id"]])).json()["items"]
    assert owners == [{"id": first["id"], "value": str(world.user), "since": at(0)}]

    # Leads by status, moved through their own route.
    frozen.at(minutes=50)
    lead = await world.create("leads", {"last_name": "Lee"})
    frozen.at(minutes=65)
    moved = await world.client.patch(
        f"/api/v1/leads/{lead['id']}/status", json={"status": "contacted"}, headers=world.auth()
    )
    assert moved.status_code == 200, moved.text
    assert (await since(world, "leads", "status", [lead["id"]])).json()["items"] == [
        {"id": lead["id"], "value": "contacted", "since": at(65)}
    ]


async def test_a_field_without_history_counts_from_the_creation(world: World, frozen: Clock) -> None:
    frozen.at(minutes=0)
    company = await world.create("companies", {"name": "Acme"})
    frozen.at(minutes=5)
    field = {
        "api_name": "tier",
        "label": "Tier",
        "type": "select",
        "options": [{"value": "g", "label": "Gold"}],
    }
    added = await world.client.post(
        "/api/v1/metadata/objects/companies/fields", json=field, headers=world.auth()
    )
    assert added.status_code == 201, added.text
    frozen.at(minutes=9)
    later = await world.create("companies", {"name": "Later", "tier": "g"})

    items = (await since(world, "companies", "tier", [company["id"], later["id"]])).json()["items"]
    assert items == [
        {"id": company["id"], "value": None, "since": at(0)},
        {"id": later["id"], "value": "g", "since": at(9)},
    ]


async def test_deleted_missing_and_other_workspaces_records_are_left_out(world: World) -> None:
    kept = await world.create("leads", {"last_name": "Kept"})
    gone = await world.create("leads", {"last_name": "Gone"})
    assert (await world.client.delete(f"/api/v1/leads/{gone['id']}", headers=world.auth())).status_code == 204
    theirs = await world.create(
        "leads", {"last_name": "Theirs"}, headers=world.auth(tenant=world.other_tenant)
    )

    response = await since(world, "leads", "status", [gone["id"], str(uuid7()), theirs["id"], kept["id"]])
    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()["items"]] == [kept["id"]]
    # And the other workspace sees its own lead only.
    other = await since(
        world, "leads", "status", [kept["id"], theirs["id"]], headers=world.auth(tenant=world.other_tenant)
    )
    assert [item["id"] for item in other.json()["items"]] == [theirs["id"]]


async def test_permissions_are_those_of_reading(world: World) -> None:
    mine = await world.create("leads", {"last_name": "Mine"})
    colleague = await world.member()  # user fields take members of the workspace only
    theirs = await world.create("leads", {"last_name": "Theirs", "owner_id": str(colleague)})
    ids = [mine["id"], theirs["id"]]

    no_read = world.auth(Perms(actions=frozenset({"create"})))
    denied = await since(world, "leads", "status", ids, headers=no_read)
    assert denied.status_code == 403, denied.text
    assert denied.headers["content-type"].startswith("application/problem+json")

    hidden = world.auth(Perms(hidden=frozenset({("leads", "status")})))
    response = await since(world, "leads", "status", ids, headers=hidden)
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "path": "query.field",
        "message": "Unknown field 'status'.",
        "type": "unknown_field",
    }

    read_only = await since(world, "leads", "status", ids, headers=world.auth(READ_ONLY))
    assert [item["id"] for item in read_only.json()["items"]] == ids

    own = await since(world, "leads", "status", ids, headers=world.auth(Perms(scope="own")))
    assert [item["id"] for item in own.json()["items"]] == [mine["id"]]
    team = world.auth(Perms(scope="team"), team=frozenset({colleague}))
    assert [
        item["id"] for item in (await since(world, "leads", "status", ids, headers=team)).json()["items"]
    ] == ids


async def test_bad_input_is_a_422_naming_what_is_wrong(world: World) -> None:
    lead = await world.create("leads", {"last_name": "Lee"})
    ok = [lead["id"]]

    async def problem(object_name: str, field: str, ids: list[str], **extra: str) -> tuple[str, str]:
        response = await since(world, object_name, field, ids, extra=extra)
        assert response.status_code == 422, response.text
        error = response.json()["errors"][0]
        return error["path"], error["type"]

    assert await problem("leads", "nope", ok) == ("query.field", "unknown_field")
    assert await problem("leads", "last_name", ok) == ("query.field", "unsupported_field")
    assert await problem("leads", "contact_ids", ok) == ("query.field", "unsupported_field")
    assert await problem("leads", "status", ["not-an-id"]) == ("query.ids", "invalid_id")
    assert await problem("leads", "status", [" ", ""]) == ("query.ids", "missing")
    too_many = [str(uuid7()) for _ in range(MAX_IDS + 1)]
    assert await problem("leads", "status", too_many) == ("query.ids", "too_many")
    assert await problem("leads", "status", ok, limit="3") == ("query.limit", "unknown_parameter")

    missing = await world.client.get("/api/v1/leads/since", params={"ids": lead["id"]}, headers=world.auth())
    assert missing.status_code == 422
    unknown_object = await since(world, "widgets", "status", ok)
    assert unknown_object.status_code == 404
    assert (await world.client.get("/api/v1/leads/since?field=status&ids=" + lead["id"])).status_code == 401


async def test_two_hundred_records_in_one_query(world: World) -> None:
    created = await world.client.post(
        "/api/v1/deals/batch",
        json={"operation": "create", "records": [{"name": f"Deal {i}"} for i in range(MAX_IDS)]},
        headers=world.auth(),
    )
    assert created.status_code == 200, created.text
    listed = await world.client.get("/api/v1/deals?limit=200&fields=id", headers=world.auth())
    ids = [item["id"] for item in listed.json()["items"]]
    assert len(ids) == MAX_IDS
    await since(world, "deals", "stage_id", ids[:1])  # warm the schema cache: only the answer's query is left

    db: Database = world.app.state.db
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "field_history" in statement or " deals" in statement:
            statements.append(statement)

    event.listen(db.read_engine.sync_engine, "before_cursor_execute", count)
    try:
        response = await since(world, "deals", "stage_id", ids)
    finally:
        event.remove(db.read_engine.sync_engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == MAX_IDS
    assert len(statements) == 1, statements
