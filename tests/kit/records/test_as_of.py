"""GET /api/v1/{object}/{id}?as_of=: a record rebuilt from its history, against hand-computed states."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from kronos.kit import clock
from kronos.kit.db import Database
from kronos.kit.ids import uuid7
from kronos.kit.records import write
from kronos.kit.records.fields import format_datetime
from kronos.kit.records.models import FieldHistory
from tests.kit.records.support import Perms, World

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class Clock:
    """Freezes the time the write path and the history service read; ``at(minutes=...)`` moves it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = T0
        monkeypatch.setattr(write, "utcnow", self)
        monkeypatch.setattr(clock, "utcnow", self)

    def __call__(self) -> datetime:
        return self.now

    def at(self, **delta: float) -> datetime:
        self.now = T0 + timedelta(**delta)
        return self.now


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def iso(moment: datetime) -> str:
    return format_datetime(moment)


async def as_of(world: World, object_name: str, record_id: str, moment: datetime | str, **kw: Any) -> Any:
    stamp = moment if isinstance(moment, str) else iso(moment)
    return await world.client.get(
        f"/api/v1/{object_name}/{record_id}",
        params={"as_of": stamp, **kw.pop("params", {})},
        headers=kw.pop("headers", None) or world.auth(),
    )


async def test_record_at_each_instant(world: World, frozen: Clock) -> None:
    frozen.at(minutes=0)
    company = await world.create("companies", {"name": "Acme", "industry": "software"})
    url = f"/api/v1/companies/{company['id']}"
    frozen.at(minutes=10)
    assert (
        await world.client.patch(url, json={"name": "Acme Corp", "size": "11-50"}, headers=world.auth())
    ).is_success
    frozen.at(minutes=20)
    assert (await world.client.patch(url, json={"industry": None}, headers=world.auth())).is_success
    frozen.at(minutes=30)
    assert (await world.client.delete(url, headers=world.auth())).status_code == 204
    frozen.at(minutes=40)
    assert (await world.client.post(f"{url}/restore", headers=world.auth())).is_success
    frozen.at(minutes=50)

    before = await as_of(world, "companies", company["id"], T0 - timedelta(microseconds=1))
    assert before.status_code == 404
    assert before.json()["code"] == "not_found"

    at_create = (await as_of(world, "companies", company["id"], T0)).json()
    assert (at_create["name"], at_create["industry"], at_create["size"]) == ("Acme", "software", None)
    assert at_create["version"] == 1
    assert at_create["created_at"] == at_create["updated_at"] == iso(T0)
    assert at_create["owner_id"] == str(world.user)

    mid = (await as_of(world, "companies", company["id"], T0 + timedelta(minutes=15))).json()
    assert (mid["name"], mid["industry"], mid["size"], mid["version"]) == (
        "Acme Corp",
        "software",
        "11-50",
        2,
    )
    assert mid["updated_at"] == iso(T0 + timedelta(minutes=10))
    # The instant of a change includes it (changes are "at or before" the instant).
    exact = (await as_of(world, "companies", company["id"], T0 + timedelta(minutes=20))).json()
    assert (exact["industry"], exact["version"]) == (None, 3)

    deleted = await as_of(world, "companies", company["id"], T0 + timedelta(minutes=35))
    assert deleted.status_code == 404
    restored = (await as_of(world, "companies", company["id"], "2026-01-05T10:45:00+01:00")).json()
    assert (restored["name"], restored["size"], restored["version"]) == ("Acme Corp", "11-50", 5)

    # Now, the rebuilt record is exactly what GET returns; no ETag (not a version one can write to).
    current = await world.client.get(url, headers=world.auth())
    rebuilt = await as_of(world, "companies", company["id"], T0 + timedelta(minutes=50))
    assert rebuilt.json() == current.json()
    assert "etag" not in rebuilt.headers
    projected = await as_of(world, "companies", company["id"], T0, params={"fields": "name"})
    assert projected.json() == {"id": company["id"], "version": 1, "name": "Acme"}


async def test_changes_in_one_microsecond_are_ordered_by_id(world: World, frozen: Clock) -> None:
    frozen.at(minutes=0)
    lead = await world.create("leads", {"last_name": "Lee"})
    url = f"/api/v1/leads/{lead['id']}"
    frozen.at(minutes=5)  # three change sets in the same microsecond
    for status in ("contacted", "qualified", "unqualified"):
        assert (await world.client.patch(url, json={"status": status}, headers=world.auth())).is_success
    state = (await as_of(world, "leads", lead["id"], T0 + timedelta(minutes=5))).json()
    assert (state["status"], state["version"]) == ("unqualified", 4)
    history = (
        await world.client.get(f"{url}/history", params={"field": "status"}, headers=world.auth())
    ).json()
    assert [i["new_value"] for i in history["items"]] == ["unqualified", "qualified", "contacted", "new"]


async def test_renamed_and_archived_custom_fields(world: World, frozen: Clock) -> None:
    admin = world.auth()
    for body in (
        {"api_name": "nickname", "label": "Nickname", "type": "text"},
        {"api_name": "budget", "label": "Budget", "type": "currency"},
    ):
        assert (
            await world.client.post("/api/v1/metadata/objects/contacts/fields", json=body, headers=admin)
        ).is_success
    frozen.at(minutes=0)
    contact = await world.create(
        "contacts",
        {"last_name": "Ng", "nickname": "Nico", "budget": {"amount_minor": 500, "currency": "EUR"}},
    )
    frozen.at(minutes=1)
    url = f"/api/v1/contacts/{contact['id']}"
    assert (await world.client.patch(url, json={"nickname": "Nic"}, headers=admin)).is_success
    fields_url = "/api/v1/metadata/objects/contacts/fields"
    assert (
        await world.client.patch(f"{fields_url}/nickname", json={"label": "Alias"}, headers=admin)
    ).is_success
    assert (await world.client.post(f"{fields_url}/budget/archive", headers=admin)).is_success

    then = (await as_of(world, "contacts", contact["id"], T0)).json()
    assert then["nickname"] == "Nico"  # renamed: same api name, its value then
    assert then["budget"] == {"amount_minor": 500, "currency": "EUR"}  # archived since: still shown
    later = (await as_of(world, "contacts", contact["id"], T0 + timedelta(minutes=1))).json()
    assert later["nickname"] == "Nic"
    assert "budget" not in (await world.client.get(url, headers=admin)).json()


async def test_deleted_then_restored_record_and_its_rebuilt_fields(world: World, frozen: Clock) -> None:
    frozen.at(hours=0)
    contact = await world.create("contacts", {"last_name": "Old", "emails": ["a@x.io"]})
    url = f"/api/v1/contacts/{contact['id']}"
    frozen.at(hours=1)
    await world.client.delete(url, headers=world.auth())
    # Deleted now: as_of still reads its past (the caller can see it), but not the time it is deleted.
    assert (await as_of(world, "contacts", contact["id"], T0 + timedelta(hours=2))).status_code == 404
    alive = (await as_of(world, "contacts", contact["id"], T0 + timedelta(minutes=30))).json()
    assert (alive["last_name"], alive["emails"], alive["phones"]) == ("Old", ["a@x.io"], [])
    frozen.at(hours=3)
    await world.client.post(f"{url}/restore", headers=world.auth())
    frozen.at(hours=4)
    await world.client.patch(url, json={"last_name": "New", "emails": []}, headers=world.auth())
    at_restore = (await as_of(world, "contacts", contact["id"], T0 + timedelta(hours=3))).json()
    assert (at_restore["last_name"], at_restore["emails"], at_restore["version"]) == ("Old", ["a@x.io"], 3)
    after = (await as_of(world, "contacts", contact["id"], T0 + timedelta(hours=5))).json()
    assert (after["last_name"], after["emails"], after["version"]) == ("New", [], 4)


async def test_permissions_and_workspaces(world: World, frozen: Clock) -> None:
    frozen.at(minutes=0)
    company = await world.create("companies", {"name": "Acme", "domain": "acme.io"})
    hidden = world.auth(Perms(hidden=frozenset({("companies", "domain")})))
    shown = (await as_of(world, "companies", company["id"], T0, headers=hidden)).json()
    assert "domain" not in shown
    assert shown["name"] == "Acme"
    other = await as_of(world, "companies", company["id"], T0, headers=world.auth(tenant=world.other_tenant))
    assert other.status_code == 404
    someone_else = world.auth(Perms(scope="own"), user=uuid7())
    assert (await as_of(world, "companies", company["id"], T0, headers=someone_else)).status_code == 404
    no_read = world.auth(Perms(actions=frozenset({"create"})))
    assert (await as_of(world, "companies", company["id"], T0, headers=no_read)).status_code == 403


@pytest.mark.parametrize(
    ("stamp", "type"),
    [
        ("yesterday", "datetime_parsing"),
        ("2026-01-05T09:00:00", "timezone_required"),
        ("", "datetime_parsing"),
    ],
)
async def test_bad_timestamps(world: World, stamp: str, type: str) -> None:
    company = await world.create("companies", {"name": "Acme"})
    response = await as_of(world, "companies", company["id"], stamp)
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "path": "query.as_of",
        "message": response.json()["errors"][0]["message"],
        "type": type,
    }


@pytest.fixture
def statements(world: World) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = world.app.state.db.read_engine.sync_engine

    def listen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    yield seen
    event.remove(engine, "before_cursor_execute", listen)


async def test_a_record_with_1200_changes_is_rebuilt_in_one_history_query(
    world: World, frozen: Clock, statements: list[str]
) -> None:
    frozen.at(minutes=0)
    deal = await world.create("deals", {"name": "Big", "amount": {"amount_minor": 0, "currency": "EUR"}})
    record_id = uuid.UUID(deal["id"])
    db: Database = world.app.state.db
    async with db.write_session() as session:
        rows = []
        for n in range(1, 1201):
            field, old, new = (
                ("amount", {"amount_minor": n - 1, "currency": "EUR"}, {"amount_minor": n, "currency": "EUR"})
                if n % 2
                else ("name", f"Big {n - 2}" if n > 2 else "Big", f"Big {n}")
            )
            rows.append(
                FieldHistory(
                    tenant_id=world.tenant,
                    id=uuid7(),
                    object="deals",
                    record_id=record_id,
                    field=field,
                    op="update",
                    old_value=old,
                    new_value=new,
                    changed_at=T0 + timedelta(seconds=n),
                    change_set_id=uuid7(),
                    actor_user_id=world.user,
                    actor_api_key_id=None,
                    source="api",
                )
            )
        session.add_all(rows)
    statements.clear()
    response = await as_of(world, "deals", deal["id"], T0 + timedelta(seconds=777))
    state = response.json()
    assert state["amount"] == {"amount_minor": 777, "currency": "EUR"}
    assert state["name"] == "Big 776"
    assert state["version"] == 1 + 777
    history_queries = [s for s in statements if "field_history" in s]
    assert len(history_queries) == 1, history_queries
