"""Lists as of a past instant: which records existed, their past values, filters/sorts/cursors on them,
permissions, and bad input. History timestamps are set directly so every expectation is exact."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import delete, select, update

from kronos.kit.db import Database
from kronos.kit.records import stints
from kronos.kit.records.models import FieldHistory
from kronos.modules.crm.models import Contact
from tests.kit.records.support import Perms, World

T = {
    1: datetime(2026, 1, 1, tzinfo=UTC),
    2: datetime(2026, 2, 1, tzinfo=UTC),
    3: datetime(2026, 3, 1, tzinfo=UTC),
    4: datetime(2026, 4, 1, tzinfo=UTC),
}


async def retime(world: World, model: Any, record_id: str, times: list[datetime]) -> None:
    """Give the record's change sets, oldest first, the instants ``times`` (same instant twice = the same
    microsecond; ids still order them), and its row the matching created/updated/deleted times."""
    db: Database = world.app.state.db
    key = uuid.UUID(record_id)
    async with db.write_session() as session:
        rows = (
            await session.scalars(
                select(FieldHistory)
                .where(FieldHistory.record_id == key)
                .order_by(FieldHistory.changed_at, FieldHistory.id)
            )
        ).all()
        sets: list[uuid.UUID] = []
        for row in rows:
            if row.change_set_id not in sets:
                sets.append(row.change_set_id)
        assert len(sets) == len(times), (len(sets), len(times))
        deleted: datetime | None = None
        for change_set, when in zip(sets, times, strict=True):
            await session.execute(
                update(FieldHistory).where(FieldHistory.change_set_id == change_set).values(changed_at=when)
            )
            ops = {r.op for r in rows if r.change_set_id == change_set}
            if "delete" in ops:
                deleted = when
            if "restore" in ops:
                deleted = None
        values: dict[str, Any] = {"created_at": times[0], "updated_at": times[-1]}
        record = await session.scalar(select(model).where(model.id == key))
        assert record is not None
        if record.deleted_at is not None:
            values["deleted_at"] = deleted
        await session.execute(update(model).where(model.id == key).values(**values))
        # Stints derive from history: moved history moves them (the rebuild the engine uses for imports).
        schema = await world.app.state.objects.schema(session, record.tenant_id, rows[0].object)
        await stints.rebuild_record(session, schema, record.tenant_id, key)


async def patch(world: World, obj: str, record_id: str, body: dict[str, Any], **kw: Any) -> None:
    response = await world.client.patch(
        f"/api/v1/{obj}/{record_id}", json=body, headers=kw.get("headers") or world.auth()
    )
    assert response.status_code == 200, response.text


async def seed(world: World) -> dict[str, str]:
    """A: Engineer (T1) -> Manager (T2) -> Director (T3).  B: Manager (T1), deleted T2, restored T3.
    C: created T3 as Manager.  D: Manager (T1), then X and Y in the same microsecond at T2.
    E: another workspace's Manager (T1). Custom number field ``score`` on A: 1 (T1), 5 (T2), 9 (T3)."""
    headers = world.auth()
    response = await world.client.post(
        "/api/v1/metadata/objects/contacts/fields",
        json={"api_name": "score", "label": "Score", "type": "number"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    a = (await world.create("contacts", {"last_name": "Alpha", "job_title": "Engineer", "score": 1}))["id"]
    await patch(world, "contacts", a, {"job_title": "Manager", "score": 5})
    await patch(world, "contacts", a, {"job_title": "Director", "score": 9})
    await retime(world, Contact, a, [T[1], T[2], T[3]])

    b = (await world.create("contacts", {"last_name": "Bravo", "job_title": "Manager"}))["id"]
    assert (await world.client.delete(f"/api/v1/contacts/{b}", headers=headers)).status_code == 204
    assert (await world.client.post(f"/api/v1/contacts/{b}/restore", headers=headers)).status_code == 200
    await retime(world, Contact, b, [T[1], T[2], T[3]])

    c = (await world.create("contacts", {"last_name": "Charlie", "job_title": "Manager"}))["id"]
    await retime(world, Contact, c, [T[3]])

    d = (await world.create("contacts", {"last_name": "Delta", "job_title": "Manager"}))["id"]
    await patch(world, "contacts", d, {"job_title": "X"})
    await patch(world, "contacts", d, {"job_title": "Y"})
    await retime(world, Contact, d, [T[1], T[2], T[2]])

    other = world.auth(tenant=world.other_tenant)
    e = (await world.create("contacts", {"last_name": "Echo", "job_title": "Manager"}, headers=other))["id"]
    await retime(world, Contact, e, [T[1]])
    return {"A": a, "B": b, "C": c, "D": d, "E": e}


async def listing(world: World, query: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = await world.client.get(f"/api/v1/contacts?{query}", headers=headers or world.auth())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def last_names(body: dict[str, Any]) -> list[str]:
    return [item["last_name"] for item in body["items"]]


async def test_filters_on_past_values_and_existence(world: World) -> None:
    await seed(world)
    mid_feb = "2026-02-15T00:00:00Z"
    body = await listing(world, f"as_of={mid_feb}&job_title[eq]=Manager&sort=last_name")
    # B was deleted then, C did not exist yet, D was Y, E is another workspace's.
    assert last_names(body) == ["Alpha"]
    assert body["items"][0]["job_title"] == "Manager"
    assert body["items"][0]["score"] == 5
    assert body["items"][0]["updated_at"] == "2026-02-01T00:00:00.000000Z"
    assert body["items"][0]["version"] == 2
    body = await listing(world, "as_of=2026-03-15T00:00:00Z&job_title[eq]=Manager&sort=last_name")
    assert last_names(body) == ["Bravo", "Charlie"]  # B restored at T3, C created at T3
    # Exactly at T2: the changes of T2 have happened (changed_at <= ts); B is deleted at that instant.
    body = await listing(world, "as_of=2026-02-01T00:00:00Z&sort=last_name")
    assert {i["last_name"]: i["job_title"] for i in body["items"]} == {
        "Alpha": "Manager",
        "Delta": "Y",  # two changes in one microsecond: the later id wins
    }
    # Just before T1 nothing existed; now (no as_of) A is a Director.
    assert (await listing(world, "as_of=2025-12-31T23:59:59Z"))["items"] == []
    assert last_names(await listing(world, "job_title[eq]=Director")) == ["Alpha"]


async def test_sort_pages_and_count_on_past_values(world: World) -> None:
    await seed(world)
    query = "as_of=2026-01-15T00:00:00Z&sort=-job_title,last_name&limit=1&count=true"
    first = await listing(world, query)
    assert first["total"] == 3
    seen = last_names(first)
    cursor = first["next_cursor"]
    while cursor:
        page = await listing(world, f"{query}&after={cursor}")
        seen += last_names(page)
        cursor = page["next_cursor"]
    # Past titles: Bravo Manager, Delta Manager, Alpha Engineer (Charlie not yet created).
    assert seen == ["Bravo", "Delta", "Alpha"]
    # A custom number field, filtered and sorted on its past value.
    body = await listing(world, "as_of=2026-02-15T00:00:00Z&score[gte]=5")
    assert last_names(body) == ["Alpha"]
    assert (await listing(world, "as_of=2026-01-15T00:00:00Z&score[gte]=5"))["items"] == []
    json_filter = quote(
        json.dumps(
            {
                "or": [
                    {"field": "score", "op": "lt", "value": 2},
                    {"field": "job_title", "op": "eq", "value": "Y"},
                ]
            }
        )
    )
    body = await listing(world, f"as_of=2026-02-15T00:00:00Z&filter={json_filter}&sort=last_name")
    assert last_names(body) == ["Delta"]
    body = await listing(world, f"as_of=2026-01-15T00:00:00Z&filter={json_filter}&sort=last_name")
    assert last_names(body) == ["Alpha"]


async def test_cursor_of_another_instant_is_refused(world: World) -> None:
    await seed(world)
    first = await listing(world, "as_of=2026-01-15T00:00:00Z&sort=last_name&limit=1")
    response = await world.client.get(
        f"/api/v1/contacts?as_of=2026-03-15T00:00:00Z&sort=last_name&limit=1&after={first['next_cursor']}",
        headers=world.auth(),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "invalid_cursor"


async def test_hidden_fields_and_visibility(world: World) -> None:
    ids = await seed(world)
    hidden = world.auth(Perms(hidden=frozenset({("contacts", "job_title")})))
    response = await world.client.get(
        "/api/v1/contacts?as_of=2026-02-15T00:00:00Z&job_title[eq]=Manager", headers=hidden
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "unknown_field"
    body = await listing(world, "as_of=2026-02-15T00:00:00Z", headers=hidden)
    assert body["items"]
    assert all("job_title" not in item for item in body["items"])
    # Visibility follows today's owner: A belonged to the caller in February but is someone else's now.
    someone = await world.member()
    await patch(world, "contacts", ids["A"], {"owner_id": str(someone)})
    own = world.auth(Perms(scope="own"))
    body = await listing(world, "as_of=2026-02-15T00:00:00Z&sort=last_name", headers=own)
    assert last_names(body) == ["Delta"]
    theirs = world.auth(Perms(scope="own"), user=someone)
    body = await listing(world, "as_of=2026-02-15T00:00:00Z&sort=last_name", headers=theirs)
    assert last_names(body) == ["Alpha"]
    assert body["items"][0]["owner_id"] == str(world.user)  # the owner it had then
    # Another workspace sees only its own record.
    other = world.auth(tenant=world.other_tenant)
    assert last_names(await listing(world, "as_of=2026-02-15T00:00:00Z", headers=other)) == ["Echo"]
    no_read = world.auth(Perms(actions=frozenset({"create"})))
    response = await world.client.get("/api/v1/contacts?as_of=2026-02-15T00:00:00Z", headers=no_read)
    assert response.status_code == 403


async def test_record_without_history_shows_current_values(world: World) -> None:
    ids = await seed(world)
    db: Database = world.app.state.db
    async with db.write_session() as session:
        await session.execute(delete(FieldHistory).where(FieldHistory.record_id == uuid.UUID(ids["A"])))
    body = await listing(world, "as_of=2026-02-15T00:00:00Z&last_name[eq]=Alpha")
    assert body["items"][0]["job_title"] == "Director"
    assert (await listing(world, "as_of=2025-06-01T00:00:00Z&last_name[eq]=Alpha"))["items"] == []


async def test_bad_input(world: World) -> None:
    for value in ("yesterday", "2026-02-15T00:00:00", "2026-13-01T00:00:00Z", ""):
        response = await world.client.get(f"/api/v1/contacts?as_of={quote(value)}", headers=world.auth())
        assert response.status_code == 422, value
        assert response.json()["errors"][0]["path"] == "query.as_of"
    response = await world.client.get(
        "/api/v1/contacts?as_of=2026-02-15T00:00:00Z&nope[eq]=1", headers=world.auth()
    )
    assert response.status_code == 422
    response = await world.client.get("/api/v1/nothing?as_of=2026-02-15T00:00:00Z", headers=world.auth())
    assert response.status_code == 404
    # A bare date is its midnight, UTC.
    assert (
        await world.client.get("/api/v1/contacts?as_of=2026-02-15", headers=world.auth())
    ).status_code == 200
