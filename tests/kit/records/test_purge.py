"""Purge: an admin removes a deleted record for good; its history stays and says so."""

from __future__ import annotations

from sqlalchemy import select

from kronos.kit.db import Database
from kronos.kit.events.models import OutboxEvent
from tests.kit.records.support import Perms, World


async def test_an_admin_purges_a_deleted_record(world: World) -> None:
    company = await world.create("companies", {"name": "Acme", "domain": "acme.example"})
    url = f"/api/v1/companies/{company['id']}"
    live = await world.client.post(f"{url}/purge", headers=world.auth())
    assert live.status_code == 404  # only deleted records can be purged: delete first
    assert (await world.client.delete(url, headers=world.auth())).status_code == 204

    member = await world.client.post(f"{url}/purge", headers=world.auth(Perms()))
    assert member.status_code == 403
    other = await world.client.post(f"{url}/purge", headers=world.auth(tenant=world.other_tenant))
    assert other.status_code == 404

    purged = await world.client.post(f"{url}/purge", headers=world.auth())
    assert purged.status_code == 204, purged.text
    assert (await world.client.post(f"{url}/restore", headers=world.auth())).status_code == 404
    assert (await world.client.get(url, headers=world.auth())).status_code == 404
    # The domain is free again, and the history is all still there, ending with the purge.
    await world.create("companies", {"name": "Acme again", "domain": "acme.example"})
    history = await world.history(company["id"])
    assert [row.op for row in history][-2:] == ["delete", "purge"]
    assert {row.field for row in history if row.op == "create"} >= {"name", "domain"}
    db: Database = world.app.state.db
    async with db.read_session() as session:
        names = set((await session.scalars(select(OutboxEvent.name))).all())
    assert "company.purged" in names


async def test_a_record_others_point_at_is_not_purged(world: World) -> None:
    company = await world.create("companies", {"name": "Acme"})
    await world.create("contacts", {"last_name": "Ada", "company_id": company["id"]})
    url = f"/api/v1/companies/{company['id']}"
    assert (await world.client.delete(url, headers=world.auth())).status_code == 204
    refused = await world.client.post(f"{url}/purge", headers=world.auth())
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "still_referenced"
    # Nothing changed: the company can still be restored, and no purge entry was recorded.
    assert (await world.client.post(f"{url}/restore", headers=world.auth())).status_code == 200
    assert "purge" not in {row.op for row in await world.history(company["id"])}
