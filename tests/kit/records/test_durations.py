"""GET /api/v1/{object}/{id}/durations: time in each value, checked against hand-computed stints."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete

from kronos.kit.db import Database
from kronos.kit.ids import uuid7
from kronos.modules.identity.models import Membership, User, Workspace
from tests.kit.records.support import Perms, World
from tests.kit.records.test_as_of import T0, Clock, frozen, iso

__all__ = ["frozen"]  # the fixture, shared with test_as_of


async def durations(world: World, object_name: str, record_id: str, field: str, **kw: Any) -> Any:
    return await world.client.get(
        f"/api/v1/{object_name}/{record_id}/durations",
        params={"field": field},
        headers=kw.get("headers") or world.auth(),
    )


def stint(value: Any, display: str, entered: float, left: float | None, seconds: float) -> dict[str, Any]:
    return {
        "value": value,
        "display": display,
        "entered_at": iso(T0 + timedelta(minutes=entered)),
        "left_at": None if left is None else iso(T0 + timedelta(minutes=left)),
        "duration_seconds": seconds,
    }


async def test_status_stints_with_same_microsecond_changes_and_delete_restore(
    world: World, frozen: Clock
) -> None:
    frozen.at(minutes=0)
    lead = await world.create("leads", {"last_name": "Lee"})  # status defaults to "new"
    url = f"/api/v1/leads/{lead['id']}"
    frozen.at(minutes=10)
    await world.client.patch(url, json={"status": "contacted"}, headers=world.auth())
    frozen.at(minutes=30)  # two changes in one microsecond: a zero-length stint
    await world.client.patch(url, json={"status": "qualified"}, headers=world.auth())
    await world.client.patch(url, json={"status": "contacted"}, headers=world.auth())
    frozen.at(minutes=60)
    await world.client.delete(url, headers=world.auth())
    frozen.at(minutes=90)
    await world.client.post(f"{url}/restore", headers=world.auth())
    frozen.at(minutes=120)

    response = await durations(world, "leads", lead["id"], "status")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "field": "status",
        "items": [
            stint("new", "New", 0, 10, 600.0),
            stint("contacted", "Contacted", 10, 30, 1200.0),
            stint("qualified", "Qualified", 30, 30, 0.0),
            stint("contacted", "Contacted", 30, 60, 1800.0),
            stint("contacted", "Contacted", 90, None, 1800.0),  # the current stint runs to now
        ],
        "totals": [
            {"value": "new", "display": "New", "total_seconds": 600.0, "times_entered": 1},
            {"value": "contacted", "display": "Contacted", "total_seconds": 4800.0, "times_entered": 3},
            {"value": "qualified", "display": "Qualified", "total_seconds": 0.0, "times_entered": 1},
        ],
    }
    # Deleted now: the last stint ends at the deletion.
    frozen.at(minutes=150)
    await world.client.delete(url, headers=world.auth())
    frozen.at(minutes=600)
    items = (await durations(world, "leads", lead["id"], "status")).json()["items"]
    assert items[-1] == stint("contacted", "Contacted", 90, 150, 3600.0)


async def test_relation_stints_show_titles(world: World, frozen: Clock) -> None:
    frozen.at(minutes=0)
    deal = await world.create("deals", {"name": "Big"})  # lands in the default pipeline's first stage
    stages = (
        await world.client.get("/api/v1/stages", params={"sort": "position"}, headers=world.auth())
    ).json()
    by_name = {s["name"]: s["id"] for s in stages["items"]}
    assert deal["stage_id"] == by_name["Qualification"]
    frozen.at(minutes=45)
    moved = await world.client.patch(
        f"/api/v1/deals/{deal['id']}", json={"stage_id": by_name["Proposal"]}, headers=world.auth()
    )
    assert moved.status_code == 200
    frozen.at(minutes=60)
    body = (await durations(world, "deals", deal["id"], "stage_id")).json()
    assert body["items"] == [
        stint(by_name["Qualification"], "Qualification", 0, 45, 2700.0),
        stint(by_name["Proposal"], "Proposal", 45, None, 900.0),
    ]
    assert [(t["display"], t["total_seconds"]) for t in body["totals"]] == [
        ("Qualification", 2700.0),
        ("Proposal", 900.0),
    ]


async def test_user_stints_show_member_names_only(world: World, frozen: Clock) -> None:
    db: Database = world.app.state.db
    ada, bob = uuid7(), uuid7()
    async with db.write_session() as session:
        elsewhere = Workspace(name="Elsewhere")
        session.add_all(
            [
                User(id=ada, email=f"ada-{ada}@x.io", password_hash="-", full_name="Ada Lovelace"),
                User(id=bob, email=f"bob-{bob}@x.io", password_hash="-", full_name="Bob Secret"),
                elsewhere,
            ]
        )
        await session.flush()
        session.add_all(
            [
                Membership(tenant_id=world.tenant, user_id=ada, role="sales_rep"),
                Membership(tenant_id=world.tenant, user_id=bob, role="sales_rep"),
                Membership(tenant_id=elsewhere.id, user_id=bob, role="sales_rep"),
            ]
        )
    frozen.at(minutes=0)
    company = await world.create("companies", {"name": "Acme", "owner_id": str(ada)})
    frozen.at(minutes=5)
    moved = await world.client.patch(
        f"/api/v1/companies/{company['id']}", json={"owner_id": str(bob)}, headers=world.auth()
    )
    assert moved.status_code == 200, moved.text
    async with db.write_session() as session:  # Bob leaves this workspace; he stays in the other
        await session.execute(
            delete(Membership).where(Membership.tenant_id == world.tenant, Membership.user_id == bob)
        )
    frozen.at(minutes=6)
    items = (await durations(world, "companies", company["id"], "owner_id")).json()["items"]
    # Bob belongs to another workspace only: his id is all this one learns.
    assert [(i["display"], i["duration_seconds"]) for i in items] == [
        ("Ada Lovelace", 300.0),
        (str(bob), 60.0),
    ]


async def test_imported_past_changes_count(world: World, frozen: Clock) -> None:
    frozen.at(minutes=0)
    lead = await world.create("leads", {"last_name": "Lee", "status": "qualified"})
    changes = [
        {
            "field": "status",
            "old_value": None,
            "new_value": "new",
            "changed_at": iso(T0 - timedelta(hours=3)),
        },
        {
            "field": "status",
            "old_value": "new",
            "new_value": "contacted",
            "changed_at": iso(T0 - timedelta(hours=2)),
        },
    ]
    imported = await world.client.post(
        f"/api/v1/leads/{lead['id']}/history/import", json={"changes": changes}, headers=world.auth()
    )
    assert imported.status_code == 201, imported.text
    frozen.at(minutes=30)
    body = (await durations(world, "leads", lead["id"], "status")).json()
    assert body["items"] == [
        stint("new", "New", -180, -120, 3600.0),
        stint("contacted", "Contacted", -120, 0, 7200.0),
        stint("qualified", "Qualified", 0, None, 1800.0),
    ]


@pytest.mark.parametrize(
    ("object_name", "field", "type"),
    [
        ("leads", "last_name", "unsupported_field"),
        ("leads", "contact_ids", "unsupported_field"),  # a list of relations
        ("leads", "tags", "unsupported_field"),  # multi-select
        ("leads", "nope", "unknown_field"),
        ("leads", "deleted_at", "unknown_field"),
    ],
)
async def test_bad_fields_are_422(world: World, object_name: str, field: str, type: str) -> None:
    await world.client.post(
        "/api/v1/metadata/objects/leads/fields",
        json={
            "api_name": "tags",
            "label": "Tags",
            "type": "multi_select",
            "options": [{"value": "a", "label": "A"}],
        },
        headers=world.auth(),
    )
    lead = await world.create("leads", {"last_name": "Lee"})
    response = await durations(world, object_name, lead["id"], field)
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "query.field"
    assert response.json()["errors"][0]["type"] == type


async def test_hidden_fields_other_workspaces_and_missing_parameter(world: World) -> None:
    lead = await world.create("leads", {"last_name": "Lee"})
    hidden = world.auth(Perms(hidden=frozenset({("leads", "status")})))
    response = await durations(world, "leads", lead["id"], "status", headers=hidden)
    assert (response.status_code, response.json()["errors"][0]["type"]) == (422, "unknown_field")
    other = await durations(
        world, "leads", lead["id"], "status", headers=world.auth(tenant=world.other_tenant)
    )
    assert other.status_code == 404
    missing = await durations(world, "leads", str(uuid.uuid4()), "status")
    assert missing.status_code == 404
    no_field = await world.client.get(f"/api/v1/leads/{lead['id']}/durations", headers=world.auth())
    assert no_field.status_code == 422
