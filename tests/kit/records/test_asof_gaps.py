"""``?as_of=`` on one record and on a list agree for records without history rows (loaded in bulk), and
every read of the past is decided by the record's owner now."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, update

from kronos.kit.db import Database
from kronos.kit.records.models import FieldHistory
from kronos.modules.crm.models import Contact
from tests.kit.records.support import Perms, World
from tests.kit.records.test_as_of import T0, Clock, as_of, frozen, iso

__all__ = ["frozen"]  # the fixture, shared with test_as_of


async def listed(world: World, moment: str, name: str, headers: dict[str, str] | None = None) -> list[Any]:
    response = await world.client.get(
        "/api/v1/contacts",
        params={"as_of": moment, "last_name[eq]": name},
        headers=headers or world.auth(),
    )
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


async def test_a_record_without_history_reads_the_same_alone_and_in_a_list(
    world: World, frozen: Clock
) -> None:
    frozen.at(minutes=0)
    contact = await world.create("contacts", {"last_name": "Bulk", "job_title": "Director"})
    frozen.at(minutes=10)
    patched = await world.client.patch(
        f"/api/v1/contacts/{contact['id']}", json={"job_title": "CEO"}, headers=world.auth()
    )
    assert patched.status_code == 200
    db: Database = world.app.state.db
    key = uuid.UUID(contact["id"])
    async with db.write_session() as session:  # as a bulk load leaves it: a row, no history
        await session.execute(delete(FieldHistory).where(FieldHistory.record_id == key))
        # (updated_at given: a Core UPDATE would stamp it with the real clock)
        deleted = {"deleted_at": T0 + timedelta(hours=1), "updated_at": T0 + timedelta(minutes=10)}
        await session.execute(update(Contact).where(Contact.id == key).values(**deleted))

    for minutes, version in ((0, 1), (5, 1), (30, 2)):
        moment = iso(T0 + timedelta(minutes=minutes))
        alone = await as_of(world, "contacts", contact["id"], moment)
        assert alone.status_code == 200, (minutes, alone.text)
        body = alone.json()
        # Its current values since it was created: history that was never written cannot be told.
        assert (body["job_title"], body["version"]) == ("CEO", version)
        assert body["updated_at"] == (contact["created_at"] if version == 1 else patched.json()["updated_at"])
        assert await listed(world, moment, "Bulk") == [body]
    for moment in (iso(T0 - timedelta(seconds=1)), iso(T0 + timedelta(hours=2))):  # before it, deleted
        assert (await as_of(world, "contacts", contact["id"], moment)).status_code == 404
        assert await listed(world, moment, "Bulk") == []


async def test_reads_of_the_past_follow_todays_owner(world: World, frozen: Clock) -> None:
    frozen.at(minutes=0)
    ann, bob = world.user, await world.member()
    contact = await world.create("contacts", {"last_name": "Handed", "job_title": "CTO"})
    url = f"/api/v1/contacts/{contact['id']}"
    frozen.at(minutes=10)
    moved = await world.client.patch(url, json={"owner_id": str(bob)}, headers=world.auth())
    assert moved.status_code == 200
    then = iso(T0 + timedelta(minutes=5))  # when it was still Ann's
    former = world.auth(Perms(scope="own"), user=ann)
    for response in (
        await as_of(world, "contacts", contact["id"], then, headers=former),
        await world.client.get(f"{url}/history", headers=former),
        await world.client.get(f"{url}/durations", params={"field": "owner_id"}, headers=former),
    ):
        assert response.status_code == 404, response.text
    assert await listed(world, then, "Handed", headers=former) == []
    current = world.auth(Perms(scope="own"), user=bob)
    past = await as_of(world, "contacts", contact["id"], then, headers=current)
    assert past.status_code == 200
    assert (past.json()["owner_id"], past.json()["job_title"]) == (str(ann), "CTO")  # the owner it had then
    assert await listed(world, then, "Handed", headers=current) == [past.json()]
    changes = (await world.client.get(f"{url}/history", headers=current)).json()["items"]
    assert {c["field"] for c in changes} >= {"owner_id", "job_title"}
