"""Saved views: CRUD, personal vs shared visibility, admin-only shared views, validation against the
fields the caller can see, default views, and workspaces that never see each other's views."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select

from kronos.kit.auth import Action
from kronos.kit.db import Database
from kronos.kit.ids import uuid7
from kronos.kit.records.views_models import SavedView, SavedViewDefault
from tests.kit.records.support import FULL, Perms, World

MEMBER = Perms()  # every object action, not an admin
HIDDEN_DOMAIN = Perms(hidden=frozenset({("companies", "domain")}))
FILTER = {
    "and": [{"field": "name", "op": "starts_with", "value": "Ac"}, {"field": "domain", "op": "is_null"}]
}


@dataclass(frozen=True)
class NoDeals(Perms):
    """A member whose role cannot read deals."""

    def can(self, object_name: str, action: Action) -> bool:
        return object_name != "deals"


def _view(**overrides: Any) -> dict[str, Any]:
    return {"object": "companies", "name": "Acme-ish", **overrides}


async def _rows(world: World) -> list[SavedView]:
    db: Database = world.app.state.db
    async with db.read_session() as session:
        return list((await session.scalars(select(SavedView).order_by(SavedView.name))).all())


async def _create(world: World, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await world.client.post("/api/v1/views", json=_view(**body), headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_crud_round_trip(world: World) -> None:
    me = world.auth(MEMBER)
    created = await _create(world, me, filter=FILTER, sort="-created_at, name", columns=["name", "domain"])
    assert created["object"] == "companies"
    assert created["shared"] is False
    assert created["owner_id"] == str(world.user)
    assert created["filter"] == FILTER
    assert created["sort"] == "-created_at,name"
    assert created["columns"] == ["name", "domain"]
    assert created["is_default"] is False
    assert created["pruned"] is False
    assert set(created) >= {"id", "created_at", "updated_at", "position"}
    url = f"/api/v1/views/{created['id']}"
    assert (await world.client.get(url, headers=me)).json() == created

    # The filter is one the list endpoint accepts as is.
    await world.create("companies", {"name": "Acme"})
    await world.create("companies", {"name": "Acme Two", "domain": "two.example"})
    await world.create("companies", {"name": "Other"})
    listed = await world.client.get(
        f"/api/v1/companies?filter={quote(json.dumps(created['filter']))}&sort={created['sort']}", headers=me
    )
    assert [r["name"] for r in listed.json()["items"]] == ["Acme"]

    patched = await world.client.patch(url, json={"name": "Renamed", "sort": None, "position": 3}, headers=me)
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["name"], body["sort"], body["position"]) == ("Renamed", None, 3)
    assert body["filter"] == FILTER
    assert body["columns"] == ["name", "domain"]
    cleared = await world.client.patch(url, json={"filter": None, "columns": None}, headers=me)
    assert (cleared.json()["filter"], cleared.json()["columns"]) == (None, None)
    [row] = await _rows(world)
    assert (row.name, row.filter, row.sort, row.columns, row.position) == ("Renamed", None, None, None, 3)

    assert (await world.client.delete(url, headers=me)).status_code == 204
    assert await _rows(world) == []
    assert (await world.client.get(url, headers=me)).status_code == 404
    assert (await world.client.delete(url, headers=me)).status_code == 404


async def test_list_mine_and_shared_in_order(world: World) -> None:
    me, other = world.auth(MEMBER), world.auth(MEMBER, user=uuid7())
    admin = world.auth(FULL, user=uuid7())
    await _create(world, me, name="B mine", position=2)
    await _create(world, me, name="A mine", position=2)
    await _create(world, me, name="Z first", position=1)
    await _create(world, me, object="contacts", name="Contacts mine")
    await _create(world, other, name="Not mine")
    await _create(world, admin, name="Shared", shared=True, position=5)
    await _create(world, admin, name="Admin's own")

    listed = await world.client.get("/api/v1/views?object=companies", headers=me)
    assert listed.status_code == 200
    assert [v["name"] for v in listed.json()["items"]] == ["Z first", "A mine", "B mine", "Shared"]
    everything = (await world.client.get("/api/v1/views", headers=me)).json()["items"]
    assert [v["name"] for v in everything] == ["Z first", "A mine", "B mine", "Shared", "Contacts mine"]
    theirs = (await world.client.get("/api/v1/views?object=companies", headers=other)).json()["items"]
    assert [v["name"] for v in theirs] == ["Not mine", "Shared"]
    assert (await world.client.get("/api/v1/views?object=nope", headers=me)).status_code == 404


async def test_personal_views_are_invisible_to_others(world: World) -> None:
    mine = await _create(world, world.auth(MEMBER))
    url = f"/api/v1/views/{mine['id']}"
    for headers in (world.auth(MEMBER, user=uuid7()), world.auth(FULL, user=uuid7())):  # admins too
        assert (await world.client.get(url, headers=headers)).status_code == 404
        assert (await world.client.patch(url, json={"name": "X"}, headers=headers)).status_code == 404
        assert (await world.client.delete(url, headers=headers)).status_code == 404
        assert (await world.client.put(f"{url}/default", headers=headers)).status_code == 404
    [row] = await _rows(world)
    assert row.name == "Acme-ish"
    assert (await world.client.get("/api/v1/views/not-a-uuid", headers=world.auth())).status_code == 404


async def test_shared_views_are_for_admins_to_manage(world: World) -> None:
    member, admin = world.auth(MEMBER), world.auth(FULL, user=uuid7())
    denied = await world.client.post("/api/v1/views", json=_view(shared=True), headers=member)
    assert denied.status_code == 403
    assert denied.json()["code"] == "forbidden"
    assert await _rows(world) == []

    shared = await _create(world, admin, shared=True)
    url = f"/api/v1/views/{shared['id']}"
    assert (await world.client.get(url, headers=member)).json()["shared"] is True
    assert (await world.client.patch(url, json={"name": "Mine now"}, headers=member)).status_code == 403
    assert (await world.client.delete(url, headers=member)).status_code == 403
    [row] = await _rows(world)
    assert row.name == "Acme-ish"

    # Members cannot share their own views; admins can, and can change any shared view.
    own = await _create(world, member, name="Own")
    shared_own = await world.client.patch(f"/api/v1/views/{own['id']}", json={"shared": True}, headers=member)
    assert shared_own.status_code == 403
    another_admin = world.auth(FULL, user=uuid7())
    renamed = await world.client.patch(url, json={"name": "Team view"}, headers=another_admin)
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Team view"

    # Un-sharing makes it its owner's personal view: the member no longer sees it.
    unshared = await world.client.patch(url, json={"shared": False}, headers=admin)
    assert unshared.json()["shared"] is False
    assert (await world.client.get(url, headers=member)).status_code == 404
    assert (await world.client.get(url, headers=admin)).status_code == 200
    assert (await world.client.delete(url, headers=admin)).status_code == 204


async def test_bad_filter_sort_and_columns_are_422_naming_the_path(world: World) -> None:
    me = world.auth(MEMBER)
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"filter": {"field": "nope", "op": "eq", "value": 1}}, "body.filter", "unknown_field"),
        ({"filter": {"and": [{"field": "name", "op": "eq", "value": "A"}, {"field": "x", "op": "eq"}]}},
         "body.filter.and.1", "unknown_field"),
        ({"filter": {"field": "name", "op": "explode", "value": 1}}, "body.filter", "unknown_operator"),
        ({"filter": {"field": "created_at", "op": "gt", "value": "soon"}}, "body.filter", "datetime_parsing"),
        ({"filter": {"field": "name"}}, "body.filter", "invalid_filter"),
        ({"sort": "-nope"}, "body.sort", "unknown_field"),
        ({"sort": "name,name"}, "body.sort", "invalid_filter"),
        ({"columns": ["name", "nope"]}, "body.columns.1", "unknown_field"),
        ({"columns": ["name", "name"]}, "body.columns.1", "duplicate_column"),
        ({"object": "nope"}, "body.object", "unknown_object"),
        ({"name": "   "}, "body.name", "string_too_short"),
    ]  # fmt: skip
    for body, path, type in cases:
        response = await world.client.post("/api/v1/views", json=_view(**body), headers=me)
        assert response.status_code == 422, (body, response.text)
        errors = response.json()["errors"]
        assert (errors[0]["path"], errors[0]["type"]) == (path, type), (body, errors)
    assert await _rows(world) == []

    view = await _create(world, me)
    bad = await world.client.patch(f"/api/v1/views/{view['id']}", json={"sort": "-nope"}, headers=me)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["path"] == "body.sort"
    nulled = await world.client.patch(f"/api/v1/views/{view['id']}", json={"name": None}, headers=me)
    assert nulled.status_code == 422
    unknown_key = await world.client.patch(f"/api/v1/views/{view['id']}", json={"object": "x"}, headers=me)
    assert unknown_key.status_code == 422
    [row] = await _rows(world)
    assert (row.name, row.sort) == ("Acme-ish", None)


async def test_hidden_fields_are_unknown_and_pruned_from_shared_views(world: World) -> None:
    hidden = world.auth(HIDDEN_DOMAIN)
    for body, path in (
        ({"filter": {"field": "domain", "op": "is_null"}}, "body.filter"),
        ({"sort": "domain"}, "body.sort"),
        ({"columns": ["name", "domain"]}, "body.columns.1"),
    ):
        response = await world.client.post("/api/v1/views", json=_view(**body), headers=hidden)
        assert response.status_code == 422, body
        assert response.json()["errors"][0] == {
            "path": path,
            "message": "Unknown field 'domain'.",
            "type": "unknown_field",
        }

    # A shared view naming a field hidden from a member comes back without it, flagged.
    admin = world.auth(FULL, user=uuid7())
    shared = await _create(
        world, admin, shared=True, filter=FILTER, sort="domain,-name", columns=["domain", "name"]
    )
    seen = (await world.client.get(f"/api/v1/views/{shared['id']}", headers=hidden)).json()
    assert seen["filter"] == {"and": [{"field": "name", "op": "starts_with", "value": "Ac"}]}
    assert (seen["sort"], seen["columns"], seen["pruned"]) == ("-name", ["name"], True)
    assert "domain" not in json.dumps(seen)
    assert (await world.client.get(f"/api/v1/views/{shared['id']}", headers=admin)).json()["pruned"] is False


async def test_views_of_unreadable_objects_are_not_listed(world: World) -> None:
    admin = world.auth(FULL, user=uuid7())
    deals = await _create(world, admin, object="deals", name="Big deals", shared=True, sort="-amount")
    await _create(world, admin, name="Companies", shared=True)
    no_deals = world.auth(NoDeals())
    names = [v["name"] for v in (await world.client.get("/api/v1/views", headers=no_deals)).json()["items"]]
    assert names == ["Companies"]
    assert (await world.client.get("/api/v1/views?object=deals", headers=no_deals)).status_code == 404
    assert (await world.client.get(f"/api/v1/views/{deals['id']}", headers=no_deals)).status_code == 404
    refused = await world.client.post("/api/v1/views", json=_view(object="deals"), headers=no_deals)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["path"] == "body.object"


async def test_other_workspaces_never_see_views(world: World) -> None:
    shared = await _create(world, world.auth(FULL), shared=True)
    outsider = world.auth(FULL, tenant=world.other_tenant)
    url = f"/api/v1/views/{shared['id']}"
    assert (await world.client.get("/api/v1/views", headers=outsider)).json() == {"items": []}
    assert (await world.client.get(url, headers=outsider)).status_code == 404
    assert (await world.client.patch(url, json={"name": "Mine"}, headers=outsider)).status_code == 404
    assert (await world.client.delete(url, headers=outsider)).status_code == 404
    assert (await world.client.put(f"{url}/default", headers=outsider)).status_code == 404
    [row] = await _rows(world)
    assert (row.name, row.tenant_id) == ("Acme-ish", world.tenant)


async def test_default_view_per_member(world: World) -> None:
    admin, member = world.auth(FULL, user=uuid7()), world.auth(MEMBER)
    shared = await _create(world, admin, name="Shared", shared=True)
    mine = await _create(world, member, name="Mine", is_default=True)
    assert mine["is_default"] is True

    # A member picks the shared view: it replaces their own default, and nobody else's changes.
    picked = await world.client.put(f"/api/v1/views/{shared['id']}/default", headers=member)
    assert picked.status_code == 200
    assert picked.json()["is_default"] is True
    items = (await world.client.get("/api/v1/views?object=companies", headers=member)).json()["items"]
    assert {v["name"]: v["is_default"] for v in items} == {"Mine": False, "Shared": True}
    admin_items = (await world.client.get("/api/v1/views?object=companies", headers=admin)).json()["items"]
    assert [v["is_default"] for v in admin_items] == [False]

    assert (
        await world.client.delete(f"/api/v1/views/{shared['id']}/default", headers=member)
    ).status_code == 204
    items = (await world.client.get("/api/v1/views?object=companies", headers=member)).json()["items"]
    assert not any(v["is_default"] for v in items)

    # Deleting or un-sharing a view drops it as anyone's default.
    await world.client.put(f"/api/v1/views/{shared['id']}/default", headers=member)
    await world.client.patch(f"/api/v1/views/{shared['id']}", json={"shared": False}, headers=admin)
    await world.client.put(f"/api/v1/views/{mine['id']}/default", headers=member)
    assert (await world.client.delete(f"/api/v1/views/{mine['id']}", headers=member)).status_code == 204
    db: Database = world.app.state.db
    async with db.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(SavedViewDefault)) == 0


async def test_requires_authentication(world: World) -> None:
    assert (await world.client.get("/api/v1/views")).status_code == 401
    assert (await world.client.post("/api/v1/views", json=_view())).status_code == 401
    assert (await world.client.delete(f"/api/v1/views/{uuid.uuid4()}")).status_code == 401


async def test_views_of_custom_objects_and_custom_fields(world: World) -> None:
    admin = world.auth()
    created = await world.client.post(
        "/api/v1/metadata/objects",
        json={"api_name": "projects", "label": "Project", "label_plural": "Projects"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    field = {"api_name": "stars", "label": "Stars", "type": "rating"}
    assert (
        await world.client.post("/api/v1/metadata/objects/projects/fields", json=field, headers=admin)
    ).status_code == 201
    view = await _create(
        world,
        world.auth(MEMBER),
        object="projects",
        filter={"field": "stars", "op": "gte", "value": 3},
        sort="-stars",
        columns=["name", "stars"],
    )
    assert view["columns"] == ["name", "stars"]
    # Archiving the field prunes it from the view; unarchiving brings it back.
    await world.client.post("/api/v1/metadata/objects/projects/fields/stars/archive", headers=admin)
    archived = (await world.client.get(f"/api/v1/views/{view['id']}", headers=world.auth(MEMBER))).json()
    assert (archived["filter"], archived["sort"], archived["columns"]) == (None, None, ["name"])
    assert archived["pruned"] is True
    await world.client.post("/api/v1/metadata/objects/projects/fields/stars/unarchive", headers=admin)
    back = (await world.client.get(f"/api/v1/views/{view['id']}", headers=world.auth(MEMBER))).json()
    assert (back["sort"], back["pruned"]) == ("-stars", False)
    other = world.auth(tenant=world.other_tenant)
    refused = await world.client.post("/api/v1/views", json=_view(object="projects"), headers=other)
    assert refused.status_code == 422
