"""Unique fields through ``unique_values``: claims follow every write, normalization, custom fields made
unique (or not) by an admin, erasure, workspaces, and two transactions racing for one value."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import delete, event, select, text

from kronos.kit.db import Database, bind_tenant
from kronos.kit.records.models import UniqueValue
from kronos.kit.records.objects import ObjectRegistry
from kronos.kit.records.unique import DuplicateValue
from kronos.kit.records.write import Actor, write_record
from kronos.modules.identity.models import Membership
from tests.kit.records.support import World

Claim = tuple[str, str, str, str]  # object, field, value_key, record_id


async def claims(world: World, tenant: uuid.UUID | None = None) -> set[Claim]:
    db: Database = world.app.state.db
    async with db.read_session() as session:
        rows = await session.execute(
            select(UniqueValue.object, UniqueValue.field, UniqueValue.value_key, UniqueValue.record_id).where(
                UniqueValue.tenant_id == (tenant or world.tenant)
            )
        )
        return {(o, f, k, str(r)) for o, f, k, r in rows.all()}


async def add_field(world: World, object_name: str, body: dict[str, Any]) -> None:
    response = await world.client.post(
        f"/api/v1/metadata/objects/{object_name}/fields", json=body, headers=world.auth()
    )
    assert response.status_code == 201, response.text


async def post(world: World, object_name: str, body: dict[str, Any]) -> Any:
    return await world.client.post(f"/api/v1/{object_name}", json=body, headers=world.auth())


async def patch(world: World, object_name: str, record_id: str, body: dict[str, Any]) -> Any:
    return await world.client.patch(f"/api/v1/{object_name}/{record_id}", json=body, headers=world.auth())


def assert_duplicate(response: Any, existing: str, field: str) -> None:
    assert response.status_code == 409, response.text
    problem = response.json()
    assert (problem["code"], problem["existing_id"], problem["field"]) == ("duplicate_value", existing, field)
    assert problem["errors"][0]["path"] == f"body.{field}"


async def test_claims_follow_create_update_delete_restore_and_purge(world: World) -> None:
    await add_field(world, "companies", {"api_name": "ext", "label": "Ext", "type": "text", "unique": True})
    a = await world.create("companies", {"name": "A", "domain": " Acme.COM ", "ext": "X-1"})
    assert await claims(world) == {
        ("companies", "domain", "acme.com", a["id"]),
        ("companies", "ext", "X-1", a["id"]),
    }
    # Domains compare without case; the refused write stores nothing, claims included.
    assert_duplicate(await post(world, "companies", {"name": "B", "domain": "ACME.com"}), a["id"], "domain")
    assert len(await claims(world)) == 2
    # An update moves the claim: the old value is free at once.
    assert (await patch(world, "companies", a["id"], {"domain": "acme.org"})).status_code == 200
    b = await world.create("companies", {"name": "B", "domain": "acme.com"})
    assert ("companies", "domain", "acme.org", a["id"]) in await claims(world)
    assert ("companies", "domain", "acme.com", b["id"]) in await claims(world)
    # Emptying a value frees it.
    assert (await patch(world, "companies", b["id"], {"domain": None})).status_code == 200
    assert {c for c in await claims(world) if c[3] == b["id"]} == set()

    # Soft delete frees the values; restoring while one is taken is a 409 naming the holder, changing nothing.
    assert (
        await world.client.delete(f"/api/v1/companies/{a['id']}", headers=world.auth())
    ).status_code == 204
    assert {c for c in await claims(world) if c[3] == a["id"]} == set()
    c = await world.create("companies", {"name": "C", "ext": "X-1"})
    restore = await world.client.post(f"/api/v1/companies/{a['id']}/restore", headers=world.auth())
    assert_duplicate(restore, c["id"], "ext")
    assert (await world.client.get(f"/api/v1/companies/{a['id']}", headers=world.auth())).status_code == 404
    assert {cl for cl in await claims(world) if cl[3] == a["id"]} == set()
    # Once the value is free again the restore claims everything back.
    assert (await patch(world, "companies", c["id"], {"ext": "X-2"})).status_code == 200
    restore = await world.client.post(f"/api/v1/companies/{a['id']}/restore", headers=world.auth())
    assert restore.status_code == 200, restore.text
    assert {cl for cl in await claims(world) if cl[3] == a["id"]} == {
        ("companies", "domain", "acme.org", a["id"]),
        ("companies", "ext", "X-1", a["id"]),
    }
    # Purge (after delete) leaves no claim behind.
    await world.client.delete(f"/api/v1/companies/{a['id']}", headers=world.auth())
    purged = await world.client.post(f"/api/v1/companies/{a['id']}/purge", headers=world.auth())
    assert purged.status_code == 204, purged.text
    assert {cl for cl in await claims(world) if cl[3] == a["id"]} == set()


async def test_normalization_per_type(world: World) -> None:
    for body in (
        {"api_name": "code", "label": "Code", "type": "text", "unique": True},
        {"api_name": "billing", "label": "Billing", "type": "email", "unique": True},
        {"api_name": "seat", "label": "Seat", "type": "number", "unique": True},
        {"api_name": "long_id", "label": "Long id", "type": "text", "unique": True,
         "settings": {"max_length": 5000}},
    ):  # fmt: skip
        await add_field(world, "contacts", body)
    long_value = "z" * 3000
    first = await world.create(
        "contacts",
        {"last_name": "A", "code": "Ab", "billing": "Pay@Example.com", "seat": 7, "long_id": long_value},
    )
    # Text keeps its case; e-mails do not; 7 and 7.0 are the same number; a long value is claimed by hash.
    assert (await post(world, "contacts", {"last_name": "B", "code": "ab"})).status_code == 201
    assert_duplicate(await post(world, "contacts", {"last_name": "C", "code": " Ab "}), first["id"], "code")
    assert_duplicate(
        await post(world, "contacts", {"last_name": "D", "billing": "pay@EXAMPLE.COM"}),
        first["id"],
        "billing",
    )
    assert_duplicate(await post(world, "contacts", {"last_name": "E", "seat": 7.0}), first["id"], "seat")
    assert_duplicate(
        await post(world, "contacts", {"last_name": "F", "long_id": long_value}), first["id"], "long_id"
    )
    keys = {(f, k) for _, f, k, r in await claims(world) if r == first["id"]}
    assert ("billing", "pay@example.com") in keys
    assert ("seat", "7") in keys
    assert ("long_id", long_value) not in keys
    assert any(f == "long_id" and k.startswith("sha256:") and len(k) < 100 for f, k in keys)


async def test_an_admin_makes_a_field_unique_only_over_distinct_values(world: World) -> None:
    await add_field(world, "companies", {"api_name": "vat", "label": "VAT", "type": "text"})
    first = await world.create("companies", {"name": "A", "vat": "V1"})
    second = await world.create("companies", {"name": "B", "vat": "V1"})
    third = await world.create("companies", {"name": "C", "vat": "V3"})
    gone = await world.create("companies", {"name": "D", "vat": "V3"})
    await world.client.delete(f"/api/v1/companies/{gone['id']}", headers=world.auth())  # deleted: no clash
    url = "/api/v1/metadata/objects/companies/fields/vat"
    refused = await world.client.patch(url, json={"unique": True}, headers=world.auth())
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["code"] == "duplicate_values"
    assert problem["duplicates"] == [{"value": "V1", "record_ids": [first["id"], second["id"]]}]
    meta = (await world.client.get("/api/v1/metadata/objects/companies", headers=world.auth())).json()
    assert next(f for f in meta["fields"] if f["name"] == "vat")["unique"] is False
    assert await claims(world) == set()

    assert (await patch(world, "companies", second["id"], {"vat": "V2"})).status_code == 200
    made = await world.client.patch(url, json={"unique": True}, headers=world.auth())
    assert made.status_code == 200, made.text
    assert made.json()["unique"] is True
    assert {c for c in await claims(world) if c[1] == "vat"} == {
        ("companies", "vat", "V1", first["id"]),
        ("companies", "vat", "V2", second["id"]),
        ("companies", "vat", "V3", third["id"]),
    }
    assert_duplicate(await post(world, "companies", {"name": "E", "vat": "V2"}), second["id"], "vat")
    # The deleted record's value is taken now: restoring it is refused.
    restore = await world.client.post(f"/api/v1/companies/{gone['id']}/restore", headers=world.auth())
    assert_duplicate(restore, third["id"], "vat")

    unmade = await world.client.patch(url, json={"unique": False}, headers=world.auth())
    assert unmade.status_code == 200, unmade.text
    assert {c for c in await claims(world) if c[1] == "vat"} == set()
    assert (await post(world, "companies", {"name": "F", "vat": "V2"})).status_code == 201
    # Types that cannot be unique, and a unique field with a default, are refused.
    await add_field(world, "companies", {"api_name": "flag", "label": "Flag", "type": "boolean"})
    bad = await world.client.patch(
        "/api/v1/metadata/objects/companies/fields/flag", json={"unique": True}, headers=world.auth()
    )
    assert bad.status_code == 422


async def test_an_archived_field_keeps_its_claims(world: World) -> None:
    await add_field(world, "companies", {"api_name": "ext", "label": "Ext", "type": "text", "unique": True})
    a = await world.create("companies", {"name": "A", "ext": "E1"})
    archive = await world.client.post(
        "/api/v1/metadata/objects/companies/fields/ext/archive", headers=world.auth()
    )
    assert archive.status_code == 200, archive.text
    await world.client.delete(f"/api/v1/companies/{a['id']}", headers=world.auth())
    assert await claims(world) == set()
    await world.client.post(f"/api/v1/companies/{a['id']}/restore", headers=world.auth())
    assert await claims(world) == {("companies", "ext", "E1", a["id"])}


async def test_the_same_value_in_two_workspaces(world: World) -> None:
    await add_field(world, "companies", {"api_name": "ext", "label": "Ext", "type": "text", "unique": True})
    mine = await world.create("companies", {"name": "Mine", "domain": "shared.io", "ext": "S"})
    other = world.auth(tenant=world.other_tenant)
    response = await world.client.post(
        "/api/v1/metadata/objects/companies/fields",
        json={"api_name": "ext", "label": "Ext", "type": "text", "unique": True},
        headers=other,
    )
    assert response.status_code == 201
    theirs = await world.create("companies", {"name": "Theirs", "domain": "shared.io", "ext": "S"}, other)
    assert await claims(world) == {
        ("companies", "domain", "shared.io", mine["id"]),
        ("companies", "ext", "S", mine["id"]),
    }
    assert await claims(world, world.other_tenant) == {
        ("companies", "domain", "shared.io", theirs["id"]),
        ("companies", "ext", "S", theirs["id"]),
    }
    # An upsert in one workspace never matches the other's record.
    upsert = await world.client.post(
        "/api/v1/companies/batch",
        json={"operation": "upsert", "match_on": "ext", "records": [{"name": "Again", "ext": "S"}]},
        headers=other,
    )
    assert upsert.status_code == 200, upsert.text
    assert upsert.json()["results"][0]["id"] == theirs["id"]


async def test_erasure_leaves_no_personal_value_in_unique_values(world: World) -> None:
    await add_field(
        world, "contacts", {"api_name": "private_email", "label": "Private", "type": "email", "unique": True}
    )
    ann = await world.create(
        "contacts", {"last_name": "Smith", "emails": ["ann@x.io"], "private_email": "ann@home.io"}
    )
    assert len(await claims(world)) == 2
    erased = await world.client.post(
        f"/api/v1/contacts/{ann['id']}/erase", json={"fields": None}, headers=world.auth()
    )
    assert erased.status_code == 200, erased.text
    assert await claims(world) == set()
    # The addresses are free for someone else; the erased contact holds none.
    assert (await post(world, "contacts", {"last_name": "New", "emails": ["ann@x.io"]})).status_code == 201


async def test_concurrent_requests_for_one_value(world: World) -> None:
    """Whatever the interleaving, exactly one wins and the other gets a 409, never a 500."""
    bodies = [{"name": f"Racer {i}", "domain": "race.io"} for i in range(4)]
    responses = await asyncio.gather(*(post(world, "companies", body) for body in bodies))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409], [r.text for r in responses]
    winner = next(r.json()["id"] for r in responses if r.status_code == 201)
    assert all(r.json()["existing_id"] == winner for r in responses if r.status_code == 409)


async def _wait_for_lock_wait(db: Database) -> None:
    """Until a backend of this database waits on a lock (the second insert, behind the first)."""
    for _ in range(2000):
        async with db.write_engine.connect() as connection:
            waiting = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the second transaction never waited for the first")


@pytest.mark.parametrize("first_commits", [True, False])
async def test_two_transactions_racing_for_one_value(world: World, first_commits: bool) -> None:
    """PostgreSQL: the second claim waits for the first transaction; if it commits, the second is a 409
    naming its record; if it rolls back, the second wins."""
    db: Database = world.app.state.db
    if db.dialect != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: there is no race to lose")
    registry: ObjectRegistry = world.app.state.objects
    actor = Actor(user_id=world.user, api_key_id=None, source="api")

    async def create(session: Any, name: str) -> Any:
        await bind_tenant(session, world.tenant)
        schema = await registry.schema(session, world.tenant, "companies")
        return await write_record(
            session, schema, world.tenant, op="create", actor=actor,
            changes={"name": name, "domain": "race.io"}, dialect=db.dialect,
        )  # fmt: skip

    async with db.write_sessionmaker() as first, db.write_sessionmaker() as second:
        winner = await create(first, "First")
        racing = asyncio.ensure_future(create(second, "Second"))
        await _wait_for_lock_wait(db)
        await (first.commit() if first_commits else first.rollback())
        if first_commits:
            with pytest.raises(DuplicateValue) as caught:
                await racing
            assert caught.value.extra == {"existing_id": str(winner.record.id), "field": "domain"}
            await second.rollback()
        else:
            await racing
            await second.commit()
    expected = "First" if first_commits else "Second"
    listed = (await world.client.get("/api/v1/companies", headers=world.auth())).json()["items"]
    assert [item["name"] for item in listed] == [expected]
    assert {c[2] for c in await claims(world)} == {"race.io"}


async def test_user_fields_take_members_of_the_workspace_only(world: World) -> None:
    await add_field(world, "companies", {"api_name": "csm", "label": "CSM", "type": "user"})
    stranger = uuid.uuid4()
    elsewhere = await world.member(world.other_tenant)  # a member of the other workspace only
    colleague = await world.member()
    for owner in (stranger, elsewhere):
        refused = await post(world, "companies", {"name": "X", "owner_id": str(owner)})
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"] == [
            {"path": "body.owner_id", "message": "Not a member of this workspace.", "type": "not_a_member"}
        ]
    both = await post(world, "companies", {"name": "X", "owner_id": str(stranger), "csm": str(elsewhere)})
    assert [e["path"] for e in both.json()["errors"]] == ["body.owner_id", "body.csm"]
    assert (await world.client.get("/api/v1/companies", headers=world.auth())).json()["items"] == []

    kept = await world.create(
        "companies", {"name": "Kept", "owner_id": str(colleague), "csm": str(colleague)}
    )
    # The colleague leaves: the record keeps its owner and stays editable; setting a leaver again is refused.
    db: Database = world.app.state.db
    async with db.write_session() as session:
        await session.execute(
            delete(Membership).where(Membership.tenant_id == world.tenant, Membership.user_id == colleague)
        )
    world.members.discard((world.tenant, colleague))
    assert (await patch(world, "companies", kept["id"], {"name": "Renamed"})).status_code == 200
    other = await world.create("companies", {"name": "Other"})
    assert (await patch(world, "companies", other["id"], {"csm": str(colleague)})).status_code == 422
    # A batch refuses the non-member record only (per record), or everything (all or nothing).
    batch = await world.client.post(
        "/api/v1/companies/batch",
        json={"operation": "create", "mode": "per_record",
              "records": [{"name": "Ok"}, {"name": "No", "owner_id": str(stranger)}]},
        headers=world.auth(),
    )  # fmt: skip
    assert [r["status"] for r in batch.json()["results"]] == [201, 422]


async def test_the_caller_as_owner_costs_no_membership_query(world: World) -> None:
    await world.member(world.tenant, world.user)  # signed in: a member, as authentication requires
    colleague = await world.member()
    db: Database = world.app.state.db
    asked: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM memberships" in statement:
            asked.append(statement)

    event.listen(db.write_engine.sync_engine, "before_cursor_execute", count)
    try:
        await world.create("companies", {"name": "Mine"})  # owner_id: the caller, by default
        by_default = list(asked)
        await world.create("companies", {"name": "Theirs", "owner_id": str(colleague)})
    finally:
        event.remove(db.write_engine.sync_engine, "before_cursor_execute", count)
    assert by_default == []
    assert len(asked) == 1  # the colleague was looked up; the caller never was
