"""Concurrent writes to one record, through the app with a session per request: each either applies in
order (a write without If-Match waits for the one before it and applies on top of it) or gets a clear 4xx
(412 with a stale If-Match, 404 once the record is gone, as the same requests one after the other would);
never a 500. The version and the history count every applied change exactly once."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from kronos.kit.db import Database
from kronos.kit.records.models import FieldHistory
from kronos.kit.records.objects import ObjectRegistry
from kronos.kit.records.write import Actor, VersionMismatch, write_record
from kronos.modules.crm.models import Contact
from tests.kit.records.support import World

WRITERS = 10
ROUNDS = 3


async def _record(world: World, object_name: str, record_id: str) -> dict[str, Any]:
    response = await world.client.get(f"/api/v1/{object_name}/{record_id}", headers=world.auth())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _history(world: World, record_id: str, field: str) -> list[FieldHistory]:
    return [row for row in await world.history(record_id) if row.field == field]


async def test_patches_without_if_match_all_apply_in_order(world: World) -> None:
    contact = await world.create("contacts", {"last_name": "Race"})
    url = f"/api/v1/contacts/{contact['id']}"
    headers = world.auth()
    await world.member()  # the caller's membership exists before the race starts
    answers: list[int] = []
    versions: list[int] = []
    for round in range(ROUNDS):
        responses = await asyncio.gather(
            *(
                world.client.patch(url, json={"job_title": f"r{round}-{i}"}, headers=headers)
                for i in range(WRITERS)
            )
        )
        answers += [response.status_code for response in responses]
        versions += [response.json()["version"] for response in responses if response.status_code == 200]
    # No If-Match: each PATCH waits for the one before it and applies on top of it.
    assert Counter(answers) == {200: WRITERS * ROUNDS}, answers
    assert sorted(versions) == list(range(2, WRITERS * ROUNDS + 2))
    final = await _record(world, "contacts", contact["id"])
    assert final["version"] == answers.count(200) + 1
    rows = await _history(world, contact["id"], "job_title")
    assert [row.op for row in rows].count("update") == answers.count(200)
    # Each change's old value is the value the one before it wrote: nothing was lost in between.
    ordered = sorted((row for row in rows if row.op == "update"), key=lambda row: row.id)
    assert [row.old_value for row in ordered[1:]] == [row.new_value for row in ordered[:-1]]
    assert final["job_title"] == ordered[-1].new_value


async def test_patches_with_one_if_match_let_exactly_one_through(world: World) -> None:
    contact = await world.create("contacts", {"last_name": "Race"})
    url = f"/api/v1/contacts/{contact['id']}"
    headers = {**world.auth(), "If-Match": '"1"'}
    await world.member()
    responses = await asyncio.gather(
        *(world.client.patch(url, json={"job_title": f"t{i}"}, headers=headers) for i in range(WRITERS))
    )
    answers = Counter(response.status_code for response in responses)
    assert answers == {200: 1, 412: WRITERS - 1}, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 412} == {"version_mismatch"}
    assert {r.headers["etag"] for r in responses if r.status_code == 412} == {'"2"'}
    assert (await _record(world, "contacts", contact["id"]))["version"] == 2
    assert len([row for row in await _history(world, contact["id"], "job_title") if row.op == "update"]) == 1


async def test_deletes_restores_and_patches_racing_answer_as_in_sequence(world: World) -> None:
    company = await world.create("companies", {"name": "Race", "domain": "race.io"})
    url = f"/api/v1/companies/{company['id']}"
    headers = world.auth()
    await world.member()
    deletes = await asyncio.gather(*(world.client.delete(url, headers=headers) for _ in range(WRITERS)))
    assert Counter(r.status_code for r in deletes) == {204: 1, 404: WRITERS - 1}, [r.text for r in deletes]
    restores = await asyncio.gather(
        *(world.client.post(f"{url}/restore", headers=headers) for _ in range(WRITERS))
    )
    assert Counter(r.status_code for r in restores) == {200: 1, 404: WRITERS - 1}, [r.text for r in restores]
    # A delete racing patches: the patches before it apply, those after it find no record.
    mixed = await asyncio.gather(
        *(
            world.client.delete(url, headers=headers)
            if i == WRITERS // 2
            else world.client.patch(url, json={"address_city": f"c{i}"}, headers=headers)
            for i in range(WRITERS)
        )
    )
    statuses = [r.status_code for r in mixed]
    assert statuses.count(204) == 1
    assert set(statuses) <= {200, 204, 404}, [r.text for r in mixed]
    patched = statuses.count(200)
    rows = await world.history(company["id"])
    assert [row.op for row in rows if row.field == "address_city"].count("update") == patched
    assert [row.op for row in rows if row.field == "deleted_at"] == ["delete", "restore", "delete"]
    # create + delete + restore + the patches + the last delete, one version each.
    db: Database = world.app.state.db
    async with db.read_session() as session:
        versions = set(
            await session.scalars(
                select(FieldHistory.change_set_id).where(FieldHistory.record_id == rows[0].record_id)
            )
        )
    assert len(versions) == 4 + patched


async def test_batch_updates_racing_patches_all_apply(world: World) -> None:
    companies = [await world.create("companies", {"name": f"C{i}"}) for i in range(3)]
    headers = world.auth()
    await world.member()

    def batch(i: int) -> Any:
        records = [{"id": c["id"], "address_city": f"b{i}"} for c in companies]
        return world.client.post(
            "/api/v1/companies/batch", json={"operation": "update", "records": records}, headers=headers
        )

    def patch(i: int) -> Any:
        return world.client.patch(
            f"/api/v1/companies/{companies[i % 3]['id']}", json={"address_region": f"p{i}"}, headers=headers
        )

    responses = await asyncio.gather(*(batch(i) if i % 2 else patch(i) for i in range(WRITERS)))
    assert Counter(r.status_code for r in responses) == {200: WRITERS}, [r.text for r in responses]
    for company in companies:
        current = await _record(world, "companies", company["id"])
        changes = {row.change_set_id for row in await world.history(company["id"]) if row.op == "update"}
        assert current["version"] == len(changes) + 1


async def test_a_row_that_moved_on_under_an_unlocked_read_is_a_412_not_a_500(world: World) -> None:
    """A caller of the write path that read the record without locking it (``write.for_update``) and lost
    the race: the UPDATE matches no row. The answer is a 412 built without touching the record again (the
    failed flush rolled the session back; reading it raised PendingRollbackError, a 500)."""
    contact = await world.create("contacts", {"last_name": "Race"})
    patched = await world.client.patch(
        f"/api/v1/contacts/{contact['id']}", json={"job_title": "CEO"}, headers=world.auth()
    )
    assert patched.json()["version"] == 2
    db: Database = world.app.state.db
    registry: ObjectRegistry = world.app.state.objects
    async with db.write_sessionmaker() as session:
        schema = await registry.schema(session, world.tenant, "contacts")
        record = await session.scalar(select(Contact).where(Contact.id == uuid.UUID(contact["id"])))
        set_committed_value(record, "version", 1)  # as read before the PATCH above committed
        with pytest.raises(VersionMismatch) as raised:
            await write_record(
                session,
                schema,
                world.tenant,
                op="update",
                actor=Actor(world.user, None, "api"),
                record=record,
                changes={"job_title": "CTO"},
                dialect=db.dialect,
            )
        assert raised.value.status_code == 412
        await session.rollback()
    assert (await _record(world, "contacts", contact["id"]))["job_title"] == "CEO"


async def test_an_erasure_racing_patches_applies_in_order(world: World) -> None:
    """An erasure rewrites the record too: it waits for the writes before it like any write (on PostgreSQL
    it lost the race to a PATCH and answered 500)."""
    contact = await world.create("contacts", {"last_name": "Race", "job_title": "CEO"})
    url = f"/api/v1/contacts/{contact['id']}"
    headers = world.auth()
    await world.member()
    responses = await asyncio.gather(
        *(
            world.client.post(f"{url}/erase", json={"fields": ["last_name"]}, headers=headers)
            if i == WRITERS // 2
            else world.client.patch(url, json={"job_title": f"t{i}"}, headers=headers)
            for i in range(WRITERS)
        )
    )
    assert Counter(r.status_code for r in responses) == {200: WRITERS}, [r.text for r in responses]
    final = await _record(world, "contacts", contact["id"])
    assert final["last_name"] == "[erased]"
    changes = {row.change_set_id for row in await world.history(contact["id"]) if row.op != "create"}
    assert final["version"] == len(changes) + 1
