"""The one write path: history rows per changed field, versions and If-Match, unique values, atomicity."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from kronos.kit.db import Database
from kronos.kit.records.models import FieldHistory
from kronos.modules.crm.models import Company
from tests.kit.records.support import World


async def test_history_has_one_row_per_changed_field(world: World) -> None:
    headers = world.auth(via="api_key")
    company = await world.create("companies", {"name": "Acme", "domain": "acme.com"}, headers)
    rows = await world.history(company["id"])
    assert {(r.field, r.op, r.old_value, r.new_value) for r in rows} == {
        ("name", "create", None, "Acme"),
        ("domain", "create", None, "acme.com"),
        ("owner_id", "create", None, str(world.user)),
    }
    assert all(r.source == "api" and r.actor_user_id == world.user and r.actor_api_key_id for r in rows)

    response = await world.client.patch(
        f"/api/v1/companies/{company['id']}",
        json={"name": "Acme", "domain": "acme.io", "industry": "software"},
        headers=world.auth(),
    )
    assert response.json()["version"] == 2
    rows = [r for r in await world.history(company["id"]) if r.op == "update"]
    assert {(r.field, r.old_value, r.new_value) for r in rows} == {
        ("domain", "acme.com", "acme.io"),
        ("industry", None, "software"),
    }  # name did not change: no row
    assert len({r.change_set_id for r in rows}) == 1
    assert len({r.changed_at for r in rows}) == 1
    assert rows[0].source == "ui"
    assert rows[0].changed_at.tzinfo is not None

    unchanged = await world.client.patch(
        f"/api/v1/companies/{company['id']}", json={"name": "Acme"}, headers=world.auth()
    )
    assert unchanged.json()["version"] == 2
    assert len(await world.history(company["id"])) == 5

    await world.client.delete(f"/api/v1/companies/{company['id']}", headers=world.auth())
    await world.client.post(f"/api/v1/companies/{company['id']}/restore", headers=world.auth())
    tail = [r for r in await world.history(company["id"]) if r.field == "deleted_at"]
    assert [r.op for r in sorted(tail, key=lambda r: r.id)] == ["delete", "restore"]
    assert tail[0].new_value == tail[1].old_value is not None


async def test_custom_field_history(world: World) -> None:
    await world.client.post(
        "/api/v1/metadata/objects/contacts/fields",
        json={"api_name": "budget", "label": "Budget", "type": "currency"},
        headers=world.auth(),
    )
    contact = await world.create(
        "contacts", {"last_name": "L", "budget": {"amount_minor": 100, "currency": "USD"}}
    )
    await world.client.patch(
        f"/api/v1/contacts/{contact['id']}",
        json={"budget": {"amount_minor": 250, "currency": "USD"}},
        headers=world.auth(),
    )
    rows = [r for r in await world.history(contact["id"]) if r.field == "budget"]
    assert [(r.old_value, r.new_value) for r in rows] == [
        (None, {"amount_minor": 100, "currency": "USD"}),
        ({"amount_minor": 100, "currency": "USD"}, {"amount_minor": 250, "currency": "USD"}),
    ]


async def test_if_match_refuses_lost_updates(world: World) -> None:
    company = await world.create("companies", {"name": "Acme"})
    url = f"/api/v1/companies/{company['id']}"
    first = await world.client.patch(url, json={"name": "A1"}, headers={**world.auth(), "If-Match": '"1"'})
    assert first.status_code == 200
    stale = await world.client.patch(url, json={"name": "A2"}, headers={**world.auth(), "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["code"] == "version_mismatch"
    assert stale.headers["etag"] == '"2"'
    stale_put = await world.client.put(url, json={"name": "A2"}, headers={**world.auth(), "If-Match": "1"})
    assert stale_put.status_code == 412
    stale_delete = await world.client.delete(url, headers={**world.auth(), "If-Match": 'W/"1"'})
    assert stale_delete.status_code == 412
    garbage = await world.client.patch(url, json={"name": "A2"}, headers={**world.auth(), "If-Match": "abc"})
    assert garbage.status_code == 400
    current = (await world.client.get(url, headers=world.auth())).json()
    assert (current["name"], current["version"]) == ("A1", 2)
    assert len(await world.history(company["id"])) == 3  # create name+owner, one update


async def test_unique_values_per_workspace(world: World) -> None:
    first = await world.create("companies", {"name": "Acme", "domain": "acme.com"})
    duplicate = await world.client.post(
        "/api/v1/companies", json={"name": "Other", "domain": "ACME.com"}, headers=world.auth()
    )
    assert duplicate.status_code == 409
    problem = duplicate.json()
    assert problem["code"] == "duplicate_value"
    assert problem["existing_id"] == first["id"]
    assert first["id"] in problem["detail"]
    assert problem["errors"][0]["path"] == "body.domain"

    # Another workspace may use the same domain.
    other = await world.client.post(
        "/api/v1/companies",
        json={"name": "Acme", "domain": "acme.com"},
        headers=world.auth(tenant=world.other_tenant),
    )
    assert other.status_code == 201

    second = await world.create("companies", {"name": "Second"})
    clash = await world.client.patch(
        f"/api/v1/companies/{second['id']}", json={"domain": "acme.com"}, headers=world.auth()
    )
    assert clash.status_code == 409
    # A deleted record frees its value; restoring it while taken is a conflict.
    await world.client.delete(f"/api/v1/companies/{first['id']}", headers=world.auth())
    assert (
        await world.client.patch(
            f"/api/v1/companies/{second['id']}", json={"domain": "acme.com"}, headers=world.auth()
        )
    ).status_code == 200
    restore = await world.client.post(f"/api/v1/companies/{first['id']}/restore", headers=world.auth())
    assert restore.status_code == 409


async def test_unique_custom_field(world: World) -> None:
    await world.client.post(
        "/api/v1/metadata/objects/contacts/fields",
        json={"api_name": "external_id", "label": "External id", "type": "text", "unique": True},
        headers=world.auth(),
    )
    first = await world.create("contacts", {"last_name": "A", "external_id": "X-1"})
    response = await world.client.post(
        "/api/v1/contacts", json={"last_name": "B", "external_id": "X-1"}, headers=world.auth()
    )
    assert response.status_code == 409
    assert response.json()["existing_id"] == first["id"]


async def test_a_failed_write_stores_nothing(world: World) -> None:
    company = await world.create("companies", {"name": "Acme", "domain": "acme.com"})
    await world.create("companies", {"name": "Beta", "domain": "beta.com"})
    failed = await world.client.patch(
        f"/api/v1/companies/{company['id']}",
        json={"name": "Renamed", "domain": "beta.com"},
        headers=world.auth(),
    )
    assert failed.status_code == 409
    current = (await world.client.get(f"/api/v1/companies/{company['id']}", headers=world.auth())).json()
    assert (current["name"], current["version"]) == ("Acme", 1)
    assert {r.op for r in await world.history(company["id"])} == {"create"}

    # The companies table's own unique index backs unique_values up: a row written around the engine (no
    # claim in unique_values, so the claim succeeds) still ends in a 409, not a 500, and no history.
    db: Database = world.app.state.db
    async with db.write_session() as session:
        before = await session.scalar(select(func.count()).select_from(FieldHistory))
        session.add(Company(tenant_id=world.tenant, id=uuid.uuid4(), name="Raw", domain="raw.com", custom={}))
    raced = await world.client.post(
        "/api/v1/companies", json={"name": "Raw 2", "domain": "raw.com"}, headers=world.auth()
    )
    assert raced.status_code == 409
    async with db.read_session() as reader:
        assert await reader.scalar(select(func.count()).select_from(FieldHistory)) == before
        assert await reader.scalar(select(func.count()).where(Company.name == "Raw 2")) == 0


async def test_each_write_emits_one_outbox_event(world: World) -> None:
    from kronos.kit.events.models import OutboxEvent

    company = await world.create("companies", {"name": "Acme"})
    url = f"/api/v1/companies/{company['id']}"
    await world.client.patch(url, json={"name": "Acme 2"}, headers=world.auth())
    await world.client.patch(url, json={"name": "Acme 2"}, headers=world.auth())  # no change: no event
    await world.client.delete(url, headers=world.auth())
    await world.client.post(f"{url}/restore", headers=world.auth())
    failed = await world.client.patch(url, json={"industry": "nope"}, headers=world.auth())
    assert failed.status_code == 422
    db: Database = world.app.state.db
    async with db.read_session() as session:
        events = (await session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))).all()
    mine = [e for e in events if e.payload.get("id") == company["id"]]
    assert [e.name for e in mine] == [
        "company.created",
        "company.updated",
        "company.deleted",
        "company.restored",
    ]
    assert all(e.tenant_id == world.tenant for e in mine)
    assert mine[1].payload["fields"] == ["name"]
    assert mine[1].payload["version"] == 2
