"""Leads: CRUD, the status route, configurable statuses and conversion."""

from __future__ import annotations

from sqlalchemy import func, select

from kronos.kit.db import Database
from kronos.kit.events.models import OutboxEvent
from kronos.modules.crm.models import Company, Contact, Deal
from tests.kit.records.support import Perms, World


async def _counts(world: World) -> tuple[int, int, int, int]:
    db: Database = world.app.state.db
    async with db.read_session() as session:
        return (
            int(await session.scalar(select(func.count()).select_from(Contact)) or 0),
            int(await session.scalar(select(func.count()).select_from(Company)) or 0),
            int(await session.scalar(select(func.count()).select_from(Deal)) or 0),
            int(await session.scalar(select(func.count()).select_from(OutboxEvent)) or 0),
        )


async def test_lead_crud_and_status_route(world: World) -> None:
    client, headers = world.client, world.auth()
    lead = await world.create(
        "leads", {"last_name": "Doe", "email": "Jane@Acme.io", "score": 42, "source": "web"}
    )
    assert lead["status"] == "new"
    assert lead["email"] == "jane@acme.io"
    assert lead["converted_at"] is None
    moved = await client.patch(
        f"/api/v1/leads/{lead['id']}/status", json={"status": "qualified"}, headers=headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "qualified"
    assert moved.headers["etag"] == '"2"'
    rows = [row for row in await world.history(lead["id"]) if row.op == "update"]
    assert [(row.field, row.old_value, row.new_value) for row in rows] == [("status", "new", "qualified")]
    assert (
        await client.patch(f"/api/v1/leads/{lead['id']}/status", json={"status": "nope"}, headers=headers)
    ).status_code == 422
    converted = await client.patch(
        f"/api/v1/leads/{lead['id']}/status", json={"status": "converted"}, headers=headers
    )
    assert converted.status_code == 422
    assert converted.json()["errors"][0]["type"] == "use_lead_conversion"
    stale = await client.patch(
        f"/api/v1/leads/{lead['id']}/status", json={"status": "new"}, headers={**headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    listed = await client.get("/api/v1/leads?status[eq]=qualified", headers=headers)
    assert [item["id"] for item in listed.json()["items"]] == [lead["id"]]
    stranger = world.auth(tenant=world.other_tenant)
    gone = await client.patch(f"/api/v1/leads/{lead['id']}/status", json={"status": "new"}, headers=stranger)
    assert gone.status_code == 404


async def test_status_options_are_configurable_per_workspace(world: World) -> None:
    client, admin = world.client, world.auth()
    options = [
        {"value": "new", "label": "New"},
        {"value": "nurturing", "label": "Nurturing"},
        {"value": "converted", "label": "Converted"},
    ]
    changed = await client.patch(
        "/api/v1/metadata/objects/leads/fields/status", json={"options": options}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    lead = await world.create("leads", {"last_name": "X", "status": "nurturing"})
    assert lead["status"] == "nurturing"
    assert (
        await client.post("/api/v1/leads", json={"last_name": "Y", "status": "contacted"}, headers=admin)
    ).status_code == 422
    other = await client.post(
        "/api/v1/leads",
        json={"last_name": "Z", "status": "contacted"},
        headers=world.auth(tenant=world.other_tenant),
    )
    assert other.status_code == 201
    missing = await client.patch(
        "/api/v1/metadata/objects/leads/fields/status", json={"options": options[:2]}, headers=admin
    )
    assert missing.status_code == 422


async def test_conversion_creates_and_matches(world: World) -> None:
    client, headers = world.client, world.auth()
    lead = await world.create(
        "leads",
        {
            "first_name": "Jane",
            "last_name": "Doe",
            "email": "jane@acme.io",
            "company_name": "Acme",
            "phone": "+33 1 23 45 67 89",
        },
    )
    response = await client.post(
        f"/api/v1/leads/{lead['id']}/convert",
        json={"create_deal": {"name": "Acme deal", "amount_minor": 990000, "currency": "EUR"}},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    contact, company, deal, converted = body["contact"], body["company"], body["deal"], body["lead"]
    assert contact["emails"] == ["jane@acme.io"]
    assert contact["company_id"] == company["id"]
    assert company["domain"] == "acme.io"
    assert company["name"] == "Acme"
    assert deal["company_id"] == company["id"]
    assert deal["contact_ids"] == [contact["id"]]
    assert deal["amount"] == {"amount_minor": 990000, "currency": "EUR"}
    assert deal["stage_id"] is not None
    assert converted["status"] == "converted"
    assert converted["converted_contact_id"] == contact["id"]
    assert converted["converted_company_id"] == company["id"]
    assert converted["converted_deal_id"] == deal["id"]
    assert converted["contact_ids"] == [contact["id"]]
    assert converted["converted_at"] is not None
    changed = {row.field for row in await world.history(lead["id"]) if row.op == "update"}
    assert {"status", "converted_at", "converted_contact_id", "converted_deal_id"} <= changed
    for record_id in (contact["id"], company["id"], deal["id"]):
        assert any(row.op == "create" for row in await world.history(record_id))

    again = await client.post(f"/api/v1/leads/{lead['id']}/convert", json={}, headers=headers)
    assert again.status_code == 409
    assert again.json()["code"] == "lead_already_converted"
    back = await client.patch(f"/api/v1/leads/{lead['id']}/status", json={"status": "new"}, headers=headers)
    assert back.status_code == 422

    # A second lead from the same domain, and one with the same e-mail: matched, not duplicated.
    colleague = await world.create("leads", {"last_name": "Roe", "email": "rick@acme.io"})
    matched = (await client.post(f"/api/v1/leads/{colleague['id']}/convert", headers=headers)).json()
    assert matched["company"]["id"] == company["id"]
    assert matched["contact"]["id"] != contact["id"]
    assert matched["deal"] is None
    twin = await world.create("leads", {"last_name": "Doe", "email": "JANE@acme.io"})
    same = (await client.post(f"/api/v1/leads/{twin['id']}/convert", headers=headers)).json()
    assert same["contact"]["id"] == contact["id"]
    assert (await _counts(world))[:3] == (2, 1, 1)


async def test_conversion_is_atomic_and_checks_permissions(world: World) -> None:
    client, headers = world.client, world.auth()
    lead = await world.create("leads", {"last_name": "Doe", "email": "jane@globex.com"})
    before = await _counts(world)
    bad = await client.post(
        f"/api/v1/leads/{lead['id']}/convert",
        json={"create_deal": {"name": "D", "amount_minor": 100, "currency": "ZZZ"}},
        headers=headers,
    )
    assert bad.status_code == 422, bad.text
    assert await _counts(world) == before
    assert (await client.get(f"/api/v1/leads/{lead['id']}", headers=headers)).json()["status"] == "new"

    class NoDealCreate(Perms):
        def can(self, object_name: str, action: str) -> bool:
            return not (object_name == "deals" and action == "create")

    limited = world.auth(NoDealCreate())
    denied = await client.post(
        f"/api/v1/leads/{lead['id']}/convert", json={"create_deal": {"name": "D"}}, headers=limited
    )
    assert denied.status_code == 403, denied.text
    assert await _counts(world) == before
    allowed = await client.post(f"/api/v1/leads/{lead['id']}/convert", headers=limited)
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["deal"] is None
    stranger = world.auth(tenant=world.other_tenant)
    other = await world.create("leads", {"last_name": "Z"})
    assert (await client.post(f"/api/v1/leads/{other['id']}/convert", headers=stranger)).status_code == 404


async def test_a_retried_conversion_converts_once(world: World) -> None:
    lead = await world.create(
        "leads", {"last_name": "Retry", "email": "ada@retry.example", "company_name": "Retry"}
    )
    headers = {**world.auth(), "Idempotency-Key": "convert-once-1"}
    url = f"/api/v1/leads/{lead['id']}/convert"
    body = {"create_deal": {"name": "Retry deal"}}
    first = await world.client.post(url, json=body, headers=headers)
    assert first.status_code == 200, first.text
    counts = await _counts(world)
    again = await world.client.post(url, json=body, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert await _counts(world) == counts  # no second contact, company or deal
    reused = await world.client.post(url, json={}, headers=headers)
    assert reused.status_code == 422  # the same key with another body is a client bug
