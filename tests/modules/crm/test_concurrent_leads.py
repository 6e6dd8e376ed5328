"""Lead status changes and conversions racing on one lead: every change applies once, in order, or gets a
clear 409; never a 500, never a lead converted twice."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select

from kronos.kit.db import Database
from kronos.modules.crm.models import Company, Contact, Deal
from tests.kit.records.support import World

WRITERS = 8


async def _count(world: World, model: type) -> int:
    db: Database = world.app.state.db
    async with db.read_session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_status_changes_racing_all_apply_in_order(world: World) -> None:
    lead = await world.create("leads", {"last_name": "Doe"})
    url = f"/api/v1/leads/{lead['id']}/status"
    headers = world.auth()
    await world.member()
    statuses = ["contacted", "qualified"]
    responses = await asyncio.gather(
        *(world.client.patch(url, json={"status": statuses[i % 2]}, headers=headers) for i in range(WRITERS))
    )
    assert Counter(r.status_code for r in responses) == {200: WRITERS}, [r.text for r in responses]
    current = (await world.client.get(f"/api/v1/leads/{lead['id']}", headers=headers)).json()
    changes = {row.change_set_id for row in await world.history(lead["id"]) if row.op == "update"}
    # A change to the status the lead already has writes nothing: versions count the others.
    assert current["version"] == len(changes) + 1
    rows = sorted(
        (row for row in await world.history(lead["id"]) if row.field == "status" and row.op == "update"),
        key=lambda row: row.id,
    )
    assert [row.old_value for row in rows[1:]] == [row.new_value for row in rows[:-1]]


async def test_a_lead_converted_by_racing_requests_is_converted_once(world: World) -> None:
    lead = await world.create("leads", {"last_name": "Doe", "email": "jane@acme.io", "company_name": "Acme"})
    url = f"/api/v1/leads/{lead['id']}/convert"
    headers = world.auth()
    await world.member()
    responses = await asyncio.gather(
        *(
            world.client.post(url, json={"create_deal": {"name": f"Deal {i}"}}, headers=headers)
            for i in range(WRITERS)
        )
    )
    answers = Counter(r.status_code for r in responses)
    assert answers == {200: 1, 409: WRITERS - 1}, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"lead_already_converted"}
    assert (await _count(world, Contact), await _count(world, Company), await _count(world, Deal)) == (
        1,
        1,
        1,
    )
    current = (await world.client.get(f"/api/v1/leads/{lead['id']}", headers=headers)).json()
    assert current["status"] == "converted"
    assert current["version"] == 2
