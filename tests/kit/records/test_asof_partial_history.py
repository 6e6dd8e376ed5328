"""``?as_of=`` of a record whose history is partial — update rows without their create (history loaded
without it, a record from before history that was edited since), a deletion that left no row, an imported
past before the create — reads the same through ``GET /{object}/{id}`` and ``GET /{object}``, at every
instant, and equals what the rule in ``asof``'s and ``history``'s docstrings gives, computed by hand here."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, update

from kronos.kit.db import Database
from kronos.kit.records.models import FieldHistory
from kronos.modules.crm.models import Contact
from tests.kit.records.support import World
from tests.kit.records.test_as_of import T0, Clock, as_of, frozen, iso

__all__ = ["frozen"]  # the fixture, shared with test_as_of

MISSING = None  # the record did not exist (or was deleted) then: 404 alone, absent from the list


async def add_tier(world: World) -> None:
    response = await world.client.post(
        "/api/v1/metadata/objects/contacts/fields",
        json={
            "api_name": "tier",
            "label": "Tier",
            "type": "select",
            "options": [{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}],
        },
        headers=world.auth(),
    )
    assert response.status_code == 201, response.text


async def patch(world: World, obj: str, record_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await world.client.patch(f"/api/v1/{obj}/{record_id}", json=body, headers=world.auth())
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def forget(world: World, record_id: str, *ops: str) -> None:
    """Drop the record's history rows of ``ops``, as a load that never wrote them leaves it."""
    db: Database = world.app.state.db
    async with db.write_session() as session:
        await session.execute(
            delete(FieldHistory).where(
                FieldHistory.record_id == uuid.UUID(record_id), FieldHistory.op.in_(ops)
            )
        )


async def read_both(
    world: World, obj: str, record_id: str, title: tuple[str, str], moment: str
) -> dict[str, Any] | None:
    """The record at ``moment`` alone and in a list filtered on its title, asserted equal; None if neither
    has it."""
    alone = await as_of(world, obj, record_id, moment)
    field, value = title
    listed = await world.client.get(
        f"/api/v1/{obj}", params={"as_of": moment, f"{field}[eq]": value}, headers=world.auth()
    )
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    if alone.status_code == 404:
        assert items == [], (moment, items)
        return None
    assert alone.status_code == 200, alone.text
    assert items == [alone.json()], moment
    body: dict[str, Any] = alone.json()
    return body


def subset(body: dict[str, Any] | None, keys: dict[str, Any]) -> dict[str, Any] | None:
    return None if body is None else {key: body.get(key) for key in keys}


async def test_update_rows_without_their_create(world: World, frozen: Clock) -> None:
    await add_tier(world)
    frozen.at(minutes=0)
    contact = await world.create(
        "contacts", {"last_name": "Upd", "job_title": "Engineer", "tier": "gold", "phones": ["+3212345678"]}
    )
    cid = contact["id"]
    frozen.at(minutes=10)
    await patch(world, "contacts", cid, {"job_title": "Manager"})
    frozen.at(minutes=20)
    await patch(world, "contacts", cid, {"tier": "silver"})
    frozen.at(minutes=30)
    now = await patch(world, "contacts", cid, {"job_title": "Director"})
    await forget(world, cid, "create")
    # History now: job_title Engineer->Manager (10), tier gold->silver (20), job_title Manager->Director
    # (30); last_name and phones have no row at all. The row: created 0, updated 30, version 4.

    def at(minutes: float) -> str:
        return iso(T0 + timedelta(minutes=minutes))

    expected: dict[float, dict[str, Any] | None] = {
        -1: MISSING,  # before created_at, and no history row yet
        # Before the first row: each field holds what its first change says it held (old_value); a field
        # with no row at all holds its current value. One version: its creation, which left no row.
        0: {
            "job_title": "Engineer", "tier": "gold", "last_name": "Upd", "phones": ["+3212345678"],
            "version": 1, "created_at": at(0), "updated_at": at(0),
        },
        15: {
            "job_title": "Manager", "tier": "gold", "last_name": "Upd", "phones": ["+3212345678"],
            "version": 2, "created_at": at(0), "updated_at": at(10),
        },
        20: {
            "job_title": "Manager", "tier": "silver", "last_name": "Upd", "phones": ["+3212345678"],
            "version": 3, "created_at": at(0), "updated_at": at(20),
        },
        45: {
            "job_title": "Director", "tier": "silver", "last_name": "Upd", "phones": ["+3212345678"],
            "version": 4, "created_at": at(0), "updated_at": at(30),
        },
    }  # fmt: skip
    for minutes, want in expected.items():
        body = await read_both(world, "contacts", cid, ("last_name", "Upd"), at(minutes))
        assert subset(body, want or {}) == want, minutes
    # Now, the past equals the present.
    assert await read_both(world, "contacts", cid, ("last_name", "Upd"), at(45)) == now
    # Filters see the past values (here a value only the first later change tells).
    for query, minutes in (("job_title[eq]=Engineer", 0), ("tier[eq]=gold", 15)):
        listed = await world.client.get(f"/api/v1/contacts?as_of={at(minutes)}&{query}", headers=world.auth())
        assert [item["id"] for item in listed.json()["items"]] == [cid], query


async def test_a_standard_currency_field_before_its_first_recorded_change(
    world: World, frozen: Clock
) -> None:
    frozen.at(minutes=0)
    deal = await world.create(
        "deals", {"name": "Upd deal", "amount": {"amount_minor": 100, "currency": "EUR"}}
    )
    frozen.at(minutes=10)
    await patch(world, "deals", deal["id"], {"amount": {"amount_minor": 200, "currency": "USD"}})
    await forget(world, deal["id"], "create")  # its stage, pipeline and owner now have no row at all
    for minutes, amount, version in ((0, (100, "EUR"), 1), (5, (100, "EUR"), 1), (10, (200, "USD"), 2)):
        body = await read_both(
            world, "deals", deal["id"], ("name", "Upd deal"), iso(T0 + timedelta(minutes=minutes))
        )
        assert body is not None
        assert (body["amount"], body["version"]) == (
            {"amount_minor": amount[0], "currency": amount[1]},
            version,
        )
        assert (body["stage_id"], body["pipeline_id"]) == (deal["stage_id"], deal["pipeline_id"])
    # Filters on the past amount and its currency (the currency column's past value).
    for bound, found in (("150 EUR", [deal["id"]]), ("150 USD", []), ("50 EUR", [])):
        listed = await world.client.get(
            "/api/v1/deals", params={"as_of": iso(T0), "amount[lt]": bound}, headers=world.auth()
        )
        assert listed.status_code == 200, listed.text
        assert [item["id"] for item in listed.json()["items"]] == found, bound


async def test_deletions_that_left_no_history_row(world: World, frozen: Clock) -> None:
    frozen.at(minutes=0)
    gone = (await world.create("contacts", {"last_name": "Gone", "job_title": "A"}))["id"]
    back = (await world.create("contacts", {"last_name": "Back", "job_title": "A"}))["id"]
    frozen.at(minutes=10)
    await patch(world, "contacts", gone, {"job_title": "B"})
    assert (await world.client.delete(f"/api/v1/contacts/{back}", headers=world.auth())).status_code == 204
    frozen.at(minutes=20)
    assert (await world.client.delete(f"/api/v1/contacts/{gone}", headers=world.auth())).status_code == 204
    restored = await world.client.post(f"/api/v1/contacts/{back}/restore", headers=world.auth())
    assert restored.status_code == 200
    for record_id in (gone, back):
        await forget(world, record_id, "create", "delete")
    # Gone: one update row (job_title A->B at 10); its row says deleted at 20. Back: one restore row at 20
    # whose old_value says since when it was deleted (10).
    cases: list[tuple[str, str, float, Any]] = [
        (gone, "Gone", 5, "A"),
        (gone, "Gone", 15, "B"),
        (gone, "Gone", 20, MISSING),  # deleted at that instant
        (gone, "Gone", 25, MISSING),
        (back, "Back", 5, "A"),
        (back, "Back", 10, MISSING),
        (back, "Back", 15, MISSING),
        (back, "Back", 20, "A"),
    ]
    for record_id, name, minutes, job_title in cases:
        body = await read_both(
            world, "contacts", record_id, ("last_name", name), iso(T0 + timedelta(minutes=minutes))
        )
        assert (body and body["job_title"]) == job_title, (name, minutes)


async def test_an_imported_past_before_the_create(world: World, frozen: Clock) -> None:
    await add_tier(world)
    frozen.at(minutes=0)
    contact = await world.create("contacts", {"last_name": "Imp", "job_title": "Engineer"})
    cid = contact["id"]
    changes = [
        {
            "field": "job_title",
            "old_value": old,
            "new_value": new,
            "changed_at": iso(T0 - timedelta(days=days)),
        }
        for old, new, days in ((None, "Intern", 2), ("Intern", "Engineer", 1))
    ]
    imported = await world.client.post(
        f"/api/v1/contacts/{cid}/history/import", json={"changes": changes}, headers=world.auth()
    )
    assert imported.status_code == 201, imported.text

    def at(hours: float) -> str:
        return iso(T0 + timedelta(hours=hours))

    expected: dict[float, dict[str, Any] | None] = {
        -72: MISSING,
        # Existing through its imported past; last_name held what the create says it arrived with; tier has
        # no row. created_at stays when it was created here; imports are not versions.
        -36: {"job_title": "Intern", "last_name": "Imp", "tier": None, "version": 1,
              "created_at": at(0), "updated_at": at(-48)},
        -12: {"job_title": "Engineer", "last_name": "Imp", "tier": None, "version": 1,
              "created_at": at(0), "updated_at": at(-24)},
        0: {"job_title": "Engineer", "last_name": "Imp", "tier": None, "version": 1,
            "created_at": at(0), "updated_at": at(0)},
    }  # fmt: skip
    for hours, want in expected.items():
        body = await read_both(world, "contacts", cid, ("last_name", "Imp"), at(hours))
        assert subset(body, want or {}) == want, hours
    current = (await world.client.get(f"/api/v1/contacts/{cid}", headers=world.auth())).json()
    assert await read_both(world, "contacts", cid, ("last_name", "Imp"), at(1)) == current


async def test_a_value_set_without_history_held_since_the_record_existed(world: World, frozen: Clock) -> None:
    await add_tier(world)
    frozen.at(minutes=0)
    cid = (await world.create("contacts", {"last_name": "Side", "job_title": "A"}))["id"]
    frozen.at(minutes=10)
    await patch(world, "contacts", cid, {"job_title": "B"})
    db: Database = world.app.state.db
    async with db.write_session() as session:  # a value written around the write path: no history row
        await session.execute(
            update(Contact)
            .where(Contact.id == uuid.UUID(cid))
            .values(custom={"tier": "gold"}, updated_at=T0 + timedelta(minutes=10))
        )
    for minutes, job_title in ((0, "A"), (10, "B")):
        body = await read_both(
            world, "contacts", cid, ("last_name", "Side"), iso(T0 + timedelta(minutes=minutes))
        )
        assert body is not None
        # No row ever told of tier: nothing says it changed, so it held its current value.
        assert (body["job_title"], body["tier"], body["version"]) == (job_title, "gold", 1 + minutes // 10)


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
async def test_instants_at_the_edge_of_the_calendar(world: World, moment: str) -> None:
    contact = await world.create("contacts", {"last_name": "Edge"})
    alone = await as_of(world, "contacts", contact["id"], moment)
    listed = await world.client.get("/api/v1/contacts", params={"as_of": moment}, headers=world.auth())
    assert (alone.status_code, listed.status_code) == (422, 422)
    assert alone.json()["errors"][0]["path"] == listed.json()["errors"][0]["path"] == "query.as_of"


async def test_a_bare_date_is_the_same_instant_in_both(world: World, frozen: Clock) -> None:
    frozen.at(minutes=0)
    contact = await world.create("contacts", {"last_name": "Day"})
    for day, found in (("2026-01-05", False), ("2026-01-06", True)):  # T0 is 2026-01-05T09:00Z
        body = await read_both(world, "contacts", contact["id"], ("last_name", "Day"), day)
        assert (body is not None) == found, day


async def test_a_custom_object_lists_only_its_own_records_in_the_past(world: World, frozen: Clock) -> None:
    frozen.at(minutes=0)
    for api_name, label in (("projects", "Project"), ("vehicles", "Vehicle")):
        definition = {"api_name": api_name, "label": label, "label_plural": f"{label}s"}
        response = await world.client.post("/api/v1/metadata/objects", json=definition, headers=world.auth())
        assert response.status_code == 201, response.text
    project = await world.create("projects", {"name": "Apollo"})
    vehicle = await world.create("vehicles", {"name": "Apollo"})  # the same table, another object
    for obj, record, other in (("projects", project, vehicle), ("vehicles", vehicle, project)):
        body = await read_both(world, obj, record["id"], ("name", "Apollo"), iso(T0))
        assert body is not None
        assert body["id"] == record["id"]
        assert (await as_of(world, obj, other["id"], iso(T0))).status_code == 404
