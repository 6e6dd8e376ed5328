"""A record's history: the change list, revert, GDPR erasure, imported past changes, append-only storage."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from kronos.kit.db import Database
from kronos.kit.events.models import OutboxEvent
from kronos.kit.ids import uuid7
from kronos.kit.records import write
from kronos.kit.records.models import FieldDefinition, FieldHistory
from kronos.modules.access.models import AuditEvent
from kronos.modules.crm.models import Company
from kronos.modules.identity.models import Membership, User
from tests.kit.records.support import Perms, World
from tests.kit.records.test_as_of import T0, Clock, frozen, iso

__all__ = ["frozen"]  # the fixture, shared with test_as_of


async def add_member(world: World, name: str) -> uuid.UUID:
    db: Database = world.app.state.db
    user_id = uuid7()
    async with db.write_session() as session:
        session.add(User(id=user_id, email=f"{user_id}@x.io", password_hash="-", full_name=name))
        await session.flush()
        session.add(Membership(tenant_id=world.tenant, user_id=user_id, role="sales_rep"))
    return user_id


async def history(world: World, object_name: str, record_id: str, **params: Any) -> Any:
    headers = params.pop("headers", None) or world.auth()
    return await world.client.get(
        f"/api/v1/{object_name}/{record_id}/history", params=params, headers=headers
    )


async def snapshot(world: World) -> dict[uuid.UUID, tuple[Any, ...]]:
    db: Database = world.app.state.db
    async with db.read_session() as session:
        rows = (await session.scalars(select(FieldHistory))).all()
        return {
            r.id: (
                r.object,
                r.record_id,
                r.field,
                r.op,
                r.old_value,
                r.new_value,
                r.changed_at,
                r.change_set_id,
                r.actor_user_id,
                r.actor_api_key_id,
                r.source,
            )
            for r in rows
        }


async def test_change_list_with_displays_and_actors(world: World, frozen: Clock) -> None:
    ada = await add_member(world, "Ada Lovelace")
    await world.client.post(
        "/api/v1/metadata/objects/companies/fields",
        json={"api_name": "revenue", "label": "Revenue", "type": "currency"},
        headers=world.auth(),
    )
    frozen.at(minutes=0)
    acme = await world.create("companies", {"name": "Acme"})
    company = await world.create(
        "companies", {"name": "Beta", "industry": "software", "owner_id": str(ada)}, world.auth(user=ada)
    )
    contact = await world.create("contacts", {"last_name": "Ng"})
    frozen.at(minutes=1)
    key = world.auth(user=ada, via="api_key")
    response = await world.client.patch(
        f"/api/v1/companies/{company['id']}",
        json={"industry": "retail", "revenue": {"amount_minor": 123456789, "currency": "EUR"}},
        headers=key,
    )
    assert response.status_code == 200
    await world.client.patch(
        f"/api/v1/contacts/{contact['id']}", json={"company_id": acme["id"]}, headers=world.auth()
    )

    body = (await history(world, "companies", company["id"])).json()
    assert body["next_cursor"] is None
    items = body["items"]
    # One change set: one microsecond, newest id first (the write stored industry, then revenue).
    assert [(i["op"], i["field"]) for i in items[:2]] == [("update", "revenue"), ("update", "industry")]
    by_field = {(i["op"], i["field"]): i for i in items}
    industry = by_field[("update", "industry")]
    assert industry | {"id": None, "change_set_id": None, "actor": None} == {
        "id": None,
        "change_set_id": None,
        "op": "update",
        "field": "industry",
        "field_label": "Industry",
        "field_type": "select",
        "old_value": "software",
        "new_value": "retail",
        "old_display": "Software",
        "new_display": "Retail",
        "changed_at": iso(T0 + timedelta(minutes=1)),
        "source": "api",
        "actor": None,
    }
    assert industry["actor"]["type"] == "api_key"
    assert (industry["actor"]["user_id"], industry["actor"]["name"]) == (str(ada), "Ada Lovelace")
    assert industry["actor"]["id"] != str(ada)  # the key's id
    revenue = by_field[("update", "revenue")]
    assert (revenue["old_display"], revenue["new_display"]) == (None, "EUR 1,234,567.89")
    assert revenue["change_set_id"] == industry["change_set_id"]
    owner = by_field[("create", "owner_id")]
    assert (owner["new_display"], owner["actor"]) == (
        "Ada Lovelace",
        {"type": "user", "id": str(ada), "user_id": str(ada), "name": "Ada Lovelace"},
    )
    assert [i["op"] for i in items[2:]] == ["create"] * 3

    related = (await history(world, "contacts", contact["id"], field="company_id")).json()["items"]
    assert [(i["new_value"], i["new_display"]) for i in related] == [(acme["id"], "Acme")]
    # Related titles follow the caller's rights: a hidden title field shows the id.
    blind = world.auth(Perms(hidden=frozenset({("companies", "name")})))
    related = (await history(world, "contacts", contact["id"], field="company_id", headers=blind)).json()[
        "items"
    ]
    assert related[0]["new_display"] == acme["id"]


async def test_filters_and_keyset_pages_through_one_microsecond(world: World, frozen: Clock) -> None:
    other_user = uuid7()
    frozen.at(minutes=0)
    lead = await world.create("leads", {"last_name": "Lee", "email": "lee@x.io"})
    url = f"/api/v1/leads/{lead['id']}"
    frozen.at(minutes=10)  # five change sets in one microsecond
    for n in range(5):
        await world.client.patch(url, json={"score": n}, headers=world.auth())
    frozen.at(minutes=20)
    await world.client.patch(url, json={"title": "CTO"}, headers=world.auth(user=other_user, via="api_key"))

    everything = (await history(world, "leads", lead["id"], limit=200)).json()["items"]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"after": cursor} if cursor else {})
        page = (await history(world, "leads", lead["id"], **params)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [i["id"] for i in everything]
    assert len(seen) == len(set(seen)) == 4 + 5 + 1  # create: last_name, email, status, owner_id
    keys = [(i["changed_at"], i["id"]) for i in everything]
    assert keys == sorted(keys, reverse=True)
    scores = [i["new_value"] for i in everything if i["field"] == "score"]
    assert scores == [4, 3, 2, 1, 0]

    only_score = (await history(world, "leads", lead["id"], field="score")).json()["items"]
    assert {i["field"] for i in only_score} == {"score"}
    assert len(only_score) == 5
    by_key = (await history(world, "leads", lead["id"], source="api")).json()["items"]
    assert [(i["field"], i["actor"]["user_id"]) for i in by_key] == [("title", str(other_user))]
    by_user = (await history(world, "leads", lead["id"], actor_user_id=str(other_user))).json()["items"]
    assert [i["field"] for i in by_user] == ["title"]
    window = (
        await history(
            world,
            "leads",
            lead["id"],
            since=iso(T0 + timedelta(minutes=10)),
            until=iso(T0 + timedelta(minutes=15)),
        )
    ).json()["items"]
    assert [i["field"] for i in window] == ["score"] * 5


@pytest.mark.parametrize(
    ("params", "path", "type"),
    [
        ({"field": "nope"}, "query.field", "unknown_field"),
        ({"since": "last week"}, "query.since", "datetime_parsing"),
        ({"until": "2026-01-01T00:00:00"}, "query.until", "timezone_required"),
        ({"source": "fax"}, "query.source", "invalid_option"),
        ({"actor_user_id": "ada"}, "query.actor_user_id", "uuid_parsing"),
        ({"after": "bm90LWEtY3Vyc29y"}, "query.after", "invalid_cursor"),
        ({"limit": 201}, "query.limit", "less_than_equal"),
    ],
)
async def test_bad_parameters_are_422(world: World, params: dict[str, Any], path: str, type: str) -> None:
    company = await world.create("companies", {"name": "Acme"})
    response = await history(world, "companies", company["id"], **params)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert (error["path"], error["type"]) == (path, type)


async def test_hidden_fields_visibility_and_workspaces(world: World) -> None:
    company = await world.create("companies", {"name": "Acme", "domain": "acme.io"})
    hidden = world.auth(Perms(hidden=frozenset({("companies", "domain")})))
    items = (await history(world, "companies", company["id"], headers=hidden)).json()["items"]
    assert {i["field"] for i in items} == {"name", "owner_id"}
    asked = await history(world, "companies", company["id"], field="domain", headers=hidden)
    assert asked.status_code == 422
    for headers in (world.auth(tenant=world.other_tenant), world.auth(Perms(scope="own"), user=uuid7())):
        response = await history(world, "companies", company["id"], headers=headers)
        assert response.status_code == 404
    assert (await history(world, "companies", "not-an-id")).status_code == 404
    assert (await history(world, "unicorns", company["id"])).status_code == 404
    no_read = world.auth(Perms(actions=frozenset({"create"})))
    assert (await history(world, "companies", company["id"], headers=no_read)).status_code == 403
    # A soft-deleted record keeps its history readable.
    await world.client.delete(f"/api/v1/companies/{company['id']}", headers=world.auth())
    items = (await history(world, "companies", company["id"])).json()["items"]
    assert (items[0]["op"], items[0]["field"], items[0]["field_type"]) == ("delete", "deleted_at", "datetime")


async def test_renamed_archived_and_removed_fields_stay_readable(world: World) -> None:
    fields_url = "/api/v1/metadata/objects/companies/fields"
    for name in ("tier", "motto", "gone"):
        body: dict[str, Any] = {"api_name": name, "label": name.title(), "type": "text"}
        if name == "tier":
            body |= {"type": "select", "options": [{"value": "gold", "label": "Gold"}]}
        assert (await world.client.post(fields_url, json=body, headers=world.auth())).status_code == 201
    company = await world.create("companies", {"name": "Acme", "tier": "gold", "motto": "Go", "gone": "x"})
    await world.client.patch(f"{fields_url}/tier", json={"label": "Level"}, headers=world.auth())
    await world.client.post(f"{fields_url}/motto/archive", headers=world.auth())
    db: Database = world.app.state.db
    async with db.write_session() as session:
        await session.execute(
            update(FieldDefinition).where(FieldDefinition.api_name == "gone").values(deleted_at=T0)
        )
    items = {i["field"]: i for i in (await history(world, "companies", company["id"])).json()["items"]}
    assert (items["tier"]["field_label"], items["tier"]["new_display"]) == ("Level", "Gold")
    assert (items["motto"]["field_label"], items["motto"]["new_display"]) == ("Motto", "Go")
    assert (items["gone"]["field_label"], items["gone"]["field_type"], items["gone"]["new_display"]) == (
        "gone",
        None,
        "x",
    )


async def test_revert_writes_the_past_back_as_a_new_change(world: World, frozen: Clock) -> None:
    frozen.at(minutes=0)
    company = await world.create("companies", {"name": "Acme", "industry": "software", "domain": "acme.io"})
    url = f"/api/v1/companies/{company['id']}"
    frozen.at(minutes=10)
    await world.client.patch(
        url, json={"name": "Acme 2", "industry": "retail", "domain": None}, headers=world.auth()
    )
    frozen.at(minutes=20)
    partial = await world.client.post(
        f"{url}/revert", json={"as_of": iso(T0), "fields": ["industry"]}, headers=world.auth(via="api_key")
    )
    assert partial.status_code == 200, partial.text
    assert (partial.json()["industry"], partial.json()["name"], partial.headers["etag"]) == (
        "software",
        "Acme 2",
        '"3"',
    )
    stale = await world.client.post(
        f"{url}/revert", json={"as_of": iso(T0)}, headers={**world.auth(), "If-Match": '"2"'}
    )
    assert stale.status_code == 412
    frozen.at(minutes=30)
    full = await world.client.post(
        f"{url}/revert", json={"as_of": iso(T0)}, headers={**world.auth(), "If-Match": '"3"'}
    )
    assert full.status_code == 200
    assert (full.json()["name"], full.json()["domain"], full.json()["version"]) == ("Acme", "acme.io", 4)
    latest = (await history(world, "companies", company["id"], since=iso(T0 + timedelta(minutes=20)))).json()[
        "items"
    ]
    assert {(i["field"], i["new_value"], i["source"], i["changed_at"]) for i in latest} == {
        ("industry", "software", "api", iso(T0 + timedelta(minutes=20))),
        ("name", "Acme", "ui", iso(T0 + timedelta(minutes=30))),
        ("domain", "acme.io", "ui", iso(T0 + timedelta(minutes=30))),
    }

    # Before it existed: 422; read-only fields: 403; unknown: 422; another workspace: 404.
    before = await world.client.post(
        f"{url}/revert", json={"as_of": iso(T0 - timedelta(days=1))}, headers=world.auth()
    )
    assert (before.status_code, before.json()["errors"][0]["path"]) == (422, "body.as_of")
    read_only = world.auth(Perms(read_only=frozenset({("companies", "name")})))
    denied = await world.client.post(
        f"{url}/revert", json={"as_of": iso(T0), "fields": ["name"]}, headers=read_only
    )
    assert denied.status_code == 403
    unknown = await world.client.post(
        f"{url}/revert", json={"as_of": iso(T0), "fields": ["nope"]}, headers=world.auth()
    )
    assert unknown.status_code == 422
    elsewhere = await world.client.post(
        f"{url}/revert", json={"as_of": iso(T0)}, headers=world.auth(tenant=world.other_tenant)
    )
    assert elsewhere.status_code == 404
    # A unique value taken meanwhile is a conflict, like any write.
    await world.client.patch(url, json={"domain": None}, headers=world.auth())
    await world.create("companies", {"name": "Squatter", "domain": "acme.io"})
    clash = await world.client.post(
        f"{url}/revert", json={"as_of": iso(T0), "fields": ["domain"]}, headers=world.auth()
    )
    assert clash.status_code == 409


async def test_erase_replaces_personal_values_everywhere(world: World, frozen: Clock) -> None:
    await world.client.post(
        "/api/v1/metadata/objects/contacts/fields",
        json={"api_name": "private_email", "label": "Private e-mail", "type": "email", "unique": True},
        headers=world.auth(),
    )
    frozen.at(minutes=0)
    contact = await world.create(
        "contacts",
        {"first_name": "Ann", "last_name": "Smith", "emails": ["ann@x.io"], "private_email": "ann@home.io"},
    )
    url = f"/api/v1/contacts/{contact['id']}"
    frozen.at(minutes=5)
    await world.client.patch(url, json={"last_name": "Smyth", "job_title": "CEO"}, headers=world.auth())

    refused = await world.client.post(f"{url}/erase", json={}, headers=world.auth(Perms()))
    assert refused.status_code == 403
    frozen.at(minutes=10)
    response = await world.client.post(f"{url}/erase", json={"fields": None}, headers=world.auth())
    assert response.status_code == 200, response.text
    result = response.json()
    assert set(result["fields"]) == {
        "first_name",
        "last_name",
        "emails",
        "phones",
        "job_title",
        "private_email",
    }
    assert result["marker"] == "[erased]"

    current = (await world.client.get(url, headers=world.auth())).json()
    # Contact e-mails are unique, so they are emptied rather than marked (two erased contacts must not
    # collide, and their claims in unique_values go with them); their history shows the marker.
    assert (current["first_name"], current["last_name"], current["emails"], current["job_title"]) == (
        "[erased]",
        "[erased]",
        [],
        "[erased]",
    )
    assert current["phones"] == []
    assert current["private_email"] is None
    text = str(await snapshot(world))
    for secret in ("Ann", "Smith", "Smyth", "ann@x.io", "ann@home.io", "CEO"):
        assert secret not in text
    items = (await history(world, "contacts", contact["id"], limit=200)).json()["items"]
    erased = [i for i in items if i["op"] == "erase"]
    assert {i["field"] for i in erased} == set(result["fields"])
    assert all(i["changed_at"] == iso(T0 + timedelta(minutes=10)) for i in erased)
    smith = next(i for i in items if i["field"] == "last_name" and i["op"] == "update")
    assert (smith["old_value"], smith["new_value"], smith["old_display"]) == (
        "[erased]",
        "[erased]",
        "[erased]",
    )
    then = (await world.client.get(url, params={"as_of": iso(T0)}, headers=world.auth())).json()
    assert (then["first_name"], then["emails"], then["job_title"]) == ("[erased]", ["[erased]"], None)

    db: Database = world.app.state.db
    async with db.read_session() as session:
        audit = (await session.scalars(select(AuditEvent).where(AuditEvent.event == "record.erased"))).all()
        events = (
            await session.scalars(select(OutboxEvent).where(OutboxEvent.name == "contact.erased"))
        ).all()
    assert [a.detail["id"] for a in audit if a.detail] == [contact["id"]]
    assert len(events) == 1

    bad = await world.client.post(
        f"{url}/erase", json={"fields": ["company_id", "nope"]}, headers=world.auth()
    )
    assert bad.status_code == 422
    assert [e["type"] for e in bad.json()["errors"]] == ["not_erasable", "unknown_field"]
    other = await world.client.post(f"{url}/erase", json={}, headers=world.auth(tenant=world.other_tenant))
    assert other.status_code == 404


async def test_import_past_changes(world: World, frozen: Clock) -> None:
    frozen.at(minutes=0)
    lead = await world.create("leads", {"last_name": "Lee", "status": "qualified"})
    url = f"/api/v1/leads/{lead['id']}/history/import"
    good = [
        {"field": "status", "old_value": None, "new_value": "new", "changed_at": "2025-12-01T10:00:00+01:00"},
        {
            "field": "email",
            "old_value": None,
            "new_value": "Lee@Old.io",
            "changed_at": "2025-12-01T09:00:00Z",
        },
        {
            "field": "status",
            "old_value": "new",
            "new_value": "contacted",
            "changed_at": "2025-12-02T09:00:00Z",
        },
    ]
    response = await world.client.post(url, json={"changes": good}, headers=world.auth())
    assert (response.status_code, response.json()) == (201, {"imported": 3})
    items = (await history(world, "leads", lead["id"], source="import")).json()["items"]
    assert [(i["op"], i["field"], i["new_value"], i["changed_at"]) for i in items] == [
        ("import", "status", "contacted", "2025-12-02T09:00:00.000000Z"),
        ("import", "email", "lee@old.io", "2025-12-01T09:00:00.000000Z"),  # same instant: later id first
        ("import", "status", "new", "2025-12-01T09:00:00.000000Z"),
    ]
    then = (
        await world.client.get(
            f"/api/v1/leads/{lead['id']}", params={"as_of": "2025-12-01T12:00:00Z"}, headers=world.auth()
        )
    ).json()
    assert (then["status"], then["email"], then["last_name"]) == ("new", "lee@old.io", "Lee")
    too_early = await world.client.get(
        f"/api/v1/leads/{lead['id']}", params={"as_of": "2025-11-30T00:00:00Z"}, headers=world.auth()
    )
    assert too_early.status_code == 404
    current = (await world.client.get(f"/api/v1/leads/{lead['id']}", headers=world.auth())).json()
    assert (current["status"], current["version"]) == ("qualified", 1)  # the record itself did not change

    bad = [
        {"field": "status", "old_value": None, "new_value": "gold", "changed_at": "2025-12-01T09:00:00Z"},
        {"field": "nope", "old_value": None, "new_value": 1, "changed_at": "2025-12-01T09:00:00Z"},
        {"field": "score", "old_value": None, "new_value": 1, "changed_at": iso(T0 + timedelta(seconds=1))},
        {"field": "score", "old_value": None, "new_value": 1, "changed_at": "soon"},
        {"field": "converted_at", "old_value": None, "new_value": None, "changed_at": "2025-12-01T09:00:00Z"},
    ]
    rejected = await world.client.post(url, json={"changes": bad}, headers=world.auth())
    assert rejected.status_code == 422
    assert [(e["path"], e["type"]) for e in rejected.json()["errors"]] == [
        ("body.changes.0.new_value", "invalid_option"),
        ("body.changes.1.field", "unknown_field"),
        ("body.changes.2.changed_at", "in_future"),
        ("body.changes.3.changed_at", "datetime_parsing"),
        ("body.changes.4.field", "unknown_field"),
    ]
    assert len((await history(world, "leads", lead["id"], source="import")).json()["items"]) == 3
    read_only = world.auth(Perms(read_only=frozenset({("leads", "status")})))
    assert (await world.client.post(url, json={"changes": good[:1]}, headers=read_only)).status_code == 403
    assert (await world.client.post(url, json={"changes": []}, headers=world.auth())).status_code == 422


async def test_only_erase_changes_stored_history(world: World, frozen: Clock) -> None:
    frozen.at(minutes=0)
    seen = await snapshot(world)

    async def unchanged_plus_new() -> None:
        nonlocal seen
        now = await snapshot(world)
        assert {k: now[k] for k in seen} == seen  # nothing stored before changed
        assert len(now) >= len(seen)
        seen = now

    company = await world.create("companies", {"name": "Acme", "domain": "acme.io"})
    url = f"/api/v1/companies/{company['id']}"
    steps = [
        ("PATCH", url, {"name": "Acme 2"}),
        ("PUT", url, {"name": "Acme 3"}),
        ("POST", f"{url}/revert", {"as_of": iso(T0)}),
        (
            "POST",
            f"{url}/history/import",
            {
                "changes": [
                    {
                        "field": "name",
                        "old_value": None,
                        "new_value": "A",
                        "changed_at": iso(T0 - timedelta(days=9)),
                    }
                ]
            },
        ),
        (
            "POST",
            "/api/v1/companies/batch",
            {"operation": "update", "records": [{"id": company["id"], "size": "1-10"}]},
        ),
        (
            "POST",
            "/api/v1/metadata/objects/companies/fields",
            {"api_name": "x", "label": "X", "type": "text"},
        ),
        ("PATCH", "/api/v1/metadata/objects/companies/fields/x", {"label": "Y"}),
        ("POST", "/api/v1/metadata/objects/companies/fields/x/archive", None),
        ("DELETE", url, None),
        ("POST", f"{url}/restore", None),
        ("GET", f"{url}/history", None),
        ("GET", f"{url}/durations?field=industry", None),
    ]
    for method, path, body in steps:
        frozen.at(minutes=len(seen))
        await world.client.request(method, path, json=body, headers=world.auth())
        await unchanged_plus_new()
    before = await snapshot(world)
    await world.client.post(f"{url}/erase", json={"fields": ["name"]}, headers=world.auth())
    after = await snapshot(world)
    changed = {k for k in before if before[k] != after[k]}
    assert changed
    assert all(before[k][2] == "name" for k in changed)


async def test_a_write_whose_history_cannot_be_stored_does_not_happen(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    company = await world.create("companies", {"name": "Acme"})

    def broken(**values: Any) -> FieldHistory:
        return FieldHistory(**(values | {"changed_at": None}))  # NOT NULL: the insert fails

    monkeypatch.setattr(write, "FieldHistory", broken)
    response = await world.client.patch(
        f"/api/v1/companies/{company['id']}", json={"name": "Changed"}, headers=world.auth()
    )
    assert response.status_code >= 400
    monkeypatch.undo()
    db: Database = world.app.state.db
    async with db.read_session() as session:
        row = await session.scalar(select(Company).where(Company.id == uuid.UUID(company["id"])))
        assert row is not None
        assert (row.name, row.version) == ("Acme", 1)
        outbox = (
            await session.scalars(select(OutboxEvent).where(OutboxEvent.name == "company.updated"))
        ).all()
        assert outbox == []
    assert len(await world.history(company["id"])) == 2
