"""A list serializes its rows by a per-schema plan (``kronos.kit.records.rows``), a single read by the
schema's readers: both must give every field the same canonical value, for every field type."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kronos.kit.db import Database
from kronos.kit.records.objects import ObjectRegistry
from kronos.kit.records.rows import row_columns, serialize_rows
from tests.kit.records.support import World
from tests.kit.records.test_custom_fields import GOOD, add_fields


async def _list_matches_reads(
    world: World, object_name: str, ids: list[str], fields: str | None = None
) -> None:
    query = f"?limit=200&fields={fields}" if fields else "?limit=200"
    listed = await world.client.get(f"/api/v1/{object_name}{query}", headers=world.auth())
    assert listed.status_code == 200, listed.text
    items = {item["id"]: item for item in listed.json()["items"]}
    assert set(ids) <= set(items)
    for record_id in ids:
        suffix = f"?fields={fields}" if fields else ""
        one = await world.client.get(f"/api/v1/{object_name}/{record_id}{suffix}", headers=world.auth())
        assert one.status_code == 200, one.text
        assert items[record_id] == one.json()


async def test_every_custom_field_type_lists_as_it_reads(world: World) -> None:
    await add_fields(world)
    parent = await world.create("companies", {"name": "Parent", "domain": "parent.example"})
    full = await world.create("companies", {"name": "Acme", **GOOD, "parent": parent["id"]})
    empty = await world.create("companies", {"name": "Empty"})
    assert empty["tags"] == []  # an empty list field reads as [], not null
    await _list_matches_reads(world, "companies", [parent["id"], full["id"], empty["id"]])
    await _list_matches_reads(world, "companies", [full["id"]], fields="name,revenue,last_seen,tags,csm")


async def test_standard_fields_of_every_type_list_as_they_read(world: World) -> None:
    owner = str(await world.member())
    company = await world.create("companies", {"name": "Co", "domain": "co.example", "owner_id": owner})
    contact = await world.create(
        "contacts",
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "emails": ["Ada@Example.com"],
            "phones": ["+1 555 010 2030"],
            "company_id": company["id"],
            "owner_id": owner,
        },
    )
    bare: dict[str, Any] = await world.create("contacts", {"last_name": "Bare"})
    assert bare["emails"] == []
    assert bare["company_id"] is None
    deal = await world.create(
        "deals",
        {
            "name": "Big one",
            "amount": {"amount_minor": 1_250_000, "currency": "eur"},
            "close_date": "2026-03-01",
            "company_id": company["id"],
            "contact_ids": [contact["id"]],
        },
    )
    assert deal["amount"] == {"amount_minor": 1_250_000, "currency": "EUR"}
    task = await world.create(
        "activities", {"kind": "task", "subject": "Call", "due_at": "2026-03-01T10:30:00.5+02:00"}
    )
    await _list_matches_reads(world, "companies", [company["id"]])
    await _list_matches_reads(world, "contacts", [contact["id"], bare["id"]])
    await _list_matches_reads(world, "deals", [deal["id"]])
    await _list_matches_reads(world, "activities", [task["id"]])


async def test_custom_object_records_list_as_they_read(world: World) -> None:
    created = await world.client.post(
        "/api/v1/metadata/objects",
        json={"api_name": "projects", "label": "Project", "label_plural": "Projects", "singular": "project"},
        headers=world.auth(),
    )
    assert created.status_code == 201, created.text
    await add_fields(world, "projects")
    record = await world.create("projects", {"name": "Apollo", **GOOD})
    await _list_matches_reads(world, "projects", [record["id"]])


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (a UUID is not its string, though JSON would agree)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


async def test_row_plans_give_the_readers_values_and_types(world: World) -> None:
    await add_fields(world)
    parent = await world.create("companies", {"name": "Parent"})
    await world.create("companies", {"name": "Acme", **GOOD, "parent": parent["id"]})
    await world.create("deals", {"name": "Deal", "amount": {"amount_minor": 5, "currency": "usd"}})
    await world.create("activities", {"kind": "task", "due_at": "2026-03-01T10:30:00Z"})
    registry: ObjectRegistry = world.app.state.objects
    db: Database = world.app.state.db
    async with db.read_session() as session:
        for name in ("companies", "deals", "activities", "contacts"):
            schema = await registry.schema(session, world.tenant, name)
            model = schema.model
            # Only what fields are read from: custom JSON only where custom fields live (companies here).
            selected = {column.key for column in row_columns(schema)}
            assert "tenant_id" not in selected
            assert "deleted_at" not in selected
            assert ("custom" in selected) is (name == "companies")
            rows = (
                await session.execute(select(*row_columns(schema)).where(model.tenant_id == world.tenant))
            ).all()
            shown = set(schema.fields)
            expected = [
                {
                    n: ([] if v is None and is_list else v)
                    for n, is_list, read in schema.readers()
                    for v in [read(r)]
                }
                for r in rows
            ]
            assert _same(serialize_rows(schema, rows, shown), expected), name
