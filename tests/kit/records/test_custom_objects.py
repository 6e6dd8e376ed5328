"""Custom objects: defined by an admin, served by the same engine as standard objects, kept apart."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from kronos.kit.db import Database
from kronos.kit.events.models import OutboxEvent
from kronos.kit.records.models import CustomRecord
from tests.kit.records.support import READ_ONLY, Perms, World

PROJECTS = {"api_name": "projects", "label": "Project", "label_plural": "Projects"}


async def _define(world: World, body: dict[str, Any] = PROJECTS, **kwargs: Any) -> dict[str, Any]:
    response = await world.client.post("/api/v1/metadata/objects", json=body, headers=world.auth(**kwargs))
    assert response.status_code == 201, response.text
    out: dict[str, Any] = response.json()
    return out


async def _field(world: World, object_name: str, body: dict[str, Any]) -> None:
    response = await world.client.post(
        f"/api/v1/metadata/objects/{object_name}/fields", json=body, headers=world.auth()
    )
    assert response.status_code == 201, response.text


async def test_an_admin_defines_an_object_and_gets_the_whole_api(world: World) -> None:
    described = await _define(world)
    assert described["name"] == "projects"
    assert described["singular"] == "project"
    assert described["custom"] is True
    assert [f["name"] for f in described["fields"] if not f["system"]] == ["name", "owner_id"]
    await _field(
        world,
        "projects",
        {
            "api_name": "status",
            "label": "Status",
            "type": "select",
            "options": [{"value": "planned", "label": "Planned"}, {"value": "live", "label": "Live"}],
        },
    )
    await _field(world, "projects", {"api_name": "budget", "label": "Budget", "type": "currency"})

    created = await world.create(
        "projects",
        {"name": "Apollo", "status": "planned", "budget": {"amount_minor": 500, "currency": "USD"}},
    )
    assert created["owner_id"] == str(world.user)  # the caller owns what they create, as everywhere
    await world.create("projects", {"name": "Gemini", "status": "live"})

    listed = await world.client.get(
        "/api/v1/projects", params={"status[eq]": "planned", "sort": "name"}, headers=world.auth()
    )
    assert listed.status_code == 200, listed.text
    assert [item["name"] for item in listed.json()["items"]] == ["Apollo"]

    stale = created["version"]
    patched = await world.client.patch(
        f"/api/v1/projects/{created['id']}",
        json={"status": "live"},
        headers={**world.auth(), "If-Match": f'"{stale}"'},
    )
    assert patched.status_code == 200, patched.text
    lost = await world.client.patch(
        f"/api/v1/projects/{created['id']}",
        json={"name": "Apollo 2"},
        headers={**world.auth(), "If-Match": f'"{stale}"'},
    )
    assert lost.status_code == 412

    bad = await world.client.post("/api/v1/projects", json={"status": "nope"}, headers=world.auth())
    assert bad.status_code == 422
    assert {e["path"] for e in bad.json()["errors"]} == {"body.name", "body.status"}

    assert (
        await world.client.delete(f"/api/v1/projects/{created['id']}", headers=world.auth())
    ).status_code == 204
    gone = await world.client.get(f"/api/v1/projects/{created['id']}", headers=world.auth())
    assert gone.status_code == 404

    history = await world.history(created["id"])
    assert {(row.object, row.field, row.op) for row in history} >= {
        ("projects", "name", "create"),
        ("projects", "status", "update"),
        ("projects", "deleted_at", "delete"),
    }
    db: Database = world.app.state.db
    async with db.read_session() as session:
        names = (await session.scalars(select(OutboxEvent.name).order_by(OutboxEvent.id))).all()
    assert {"project.created", "project.updated", "project.deleted"} <= set(names)


async def test_objects_sharing_the_table_never_see_each_others_records(world: World) -> None:
    await _define(world)
    await _define(world, {"api_name": "vehicles", "label": "Vehicle", "label_plural": "Vehicles"})
    project = await world.create("projects", {"name": "Apollo"})
    vehicle = await world.create("vehicles", {"name": "Rover"})

    projects = (await world.client.get("/api/v1/projects?count=true", headers=world.auth())).json()
    assert [item["id"] for item in projects["items"]] == [project["id"]]
    assert projects["total"] == 1
    # A vehicle's id under /projects is not found, for reads and writes alike.
    url = f"/api/v1/projects/{vehicle['id']}"
    assert (await world.client.get(url, headers=world.auth())).status_code == 404
    assert (await world.client.patch(url, json={"name": "x"}, headers=world.auth())).status_code == 404

    # A relation to projects accepts a project and refuses a vehicle.
    await _field(
        world,
        "contacts",
        {"api_name": "project", "label": "Project", "type": "relation", "settings": {"target": "projects"}},
    )
    ok = await world.client.post(
        "/api/v1/contacts", json={"last_name": "Ada", "project": project["id"]}, headers=world.auth()
    )
    assert ok.status_code == 201, ok.text
    wrong = await world.client.post(
        "/api/v1/contacts", json={"last_name": "Bob", "project": vehicle["id"]}, headers=world.auth()
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["type"] == "relation_not_found"

    # Unique custom fields are unique within the object, not across objects.
    for name in ("projects", "vehicles"):
        await _field(world, name, {"api_name": "code", "label": "Code", "type": "text", "unique": True})
    await world.create("projects", {"name": "P", "code": "X1"})
    await world.create("vehicles", {"name": "V", "code": "X1"})
    duplicate = await world.client.post(
        "/api/v1/projects", json={"name": "Q", "code": "X1"}, headers=world.auth()
    )
    assert duplicate.status_code == 409


async def test_other_workspaces_do_not_have_the_object(world: World) -> None:
    await _define(world)
    project = await world.create("projects", {"name": "Apollo"})
    other = world.auth(tenant=world.other_tenant)
    assert (await world.client.get("/api/v1/projects", headers=other)).status_code == 404
    assert (await world.client.get(f"/api/v1/projects/{project['id']}", headers=other)).status_code == 404
    described = (await world.client.get("/api/v1/metadata/objects", headers=other)).json()
    assert "projects" not in {o["name"] for o in described}
    # The other workspace may define its own object of the same name; the two stay apart.
    await _define(world, tenant=world.other_tenant)
    theirs = (await world.client.get("/api/v1/projects", headers=other)).json()
    assert theirs["items"] == []


async def test_permissions_apply_as_for_standard_objects(world: World) -> None:
    await _define(world)
    mine = await world.create("projects", {"name": "Mine"})
    someone = await world.member()
    theirs = await world.create("projects", {"name": "Theirs", "owner_id": str(someone)})
    own = world.auth(Perms(scope="own"))
    listed = (await world.client.get("/api/v1/projects", headers=own)).json()
    assert [item["id"] for item in listed["items"]] == [mine["id"]]
    assert (await world.client.get(f"/api/v1/projects/{theirs['id']}", headers=own)).status_code == 404

    reader = world.auth(READ_ONLY)
    assert (await world.client.get("/api/v1/projects", headers=reader)).status_code == 200
    denied = await world.client.post("/api/v1/projects", json={"name": "x"}, headers=reader)
    assert denied.status_code == 403
    # Only admins define objects.
    refused = await world.client.post(
        "/api/v1/metadata/objects", json={**PROJECTS, "api_name": "things"}, headers=world.auth(Perms())
    )
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "path"),
    [
        ({**PROJECTS, "api_name": "contacts"}, 409, "body.api_name"),
        ({**PROJECTS, "api_name": "contact"}, 409, "body.api_name"),
        ({**PROJECTS, "api_name": "metadata"}, 409, "body.api_name"),
        ({**PROJECTS, "api_name": "auth"}, 409, "body.api_name"),
        ({**PROJECTS, "api_name": "Projects"}, 422, "body.api_name"),
        ({**PROJECTS, "api_name": "p"}, 422, "body.api_name"),
        ({**PROJECTS, "singular": "deal"}, 409, "body.singular"),
        ({**PROJECTS, "label": ""}, 422, "body.label"),
        ({**PROJECTS, "colour": "red"}, 422, "body.colour"),
    ],
)
async def test_bad_definitions_are_refused_and_change_nothing(
    world: World, body: dict[str, Any], status: int, path: str
) -> None:
    response = await world.client.post("/api/v1/metadata/objects", json=body, headers=world.auth())
    assert response.status_code == status, response.text
    assert path in {e["path"] for e in response.json().get("errors", [])}, response.text
    described = (await world.client.get("/api/v1/metadata/objects", headers=world.auth())).json()
    assert not any(o["custom"] for o in described)


async def test_a_name_is_taken_once(world: World) -> None:
    await _define(world)
    again = await world.client.post("/api/v1/metadata/objects", json=PROJECTS, headers=world.auth())
    assert again.status_code == 409


async def test_rename_archive_and_unarchive_keep_the_records(world: World) -> None:
    await _define(world)
    project = await world.create("projects", {"name": "Apollo"})
    renamed = await world.client.patch(
        "/api/v1/metadata/objects/projects",
        json={"label": "Initiative", "label_plural": "Initiatives"},
        headers=world.auth(),
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["label_plural"] == "Initiatives"
    assert (
        await world.client.get(f"/api/v1/projects/{project['id']}", headers=world.auth())
    ).status_code == 200

    archived = await world.client.post("/api/v1/metadata/objects/projects/archive", headers=world.auth())
    assert archived.status_code == 200
    assert archived.json()["archived"] is True
    assert (await world.client.get("/api/v1/projects", headers=world.auth())).status_code == 404
    listed = (await world.client.get("/api/v1/metadata/objects", headers=world.auth())).json()
    assert "projects" not in {o["name"] for o in listed}
    with_archived = (
        await world.client.get("/api/v1/metadata/objects?include_archived=true", headers=world.auth())
    ).json()
    assert {o["name"]: o["archived"] for o in with_archived}["projects"] is True
    db: Database = world.app.state.db
    async with db.read_session() as session:
        assert (
            await session.scalar(select(CustomRecord.name).where(CustomRecord.object == "projects"))
            == "Apollo"
        )

    back = await world.client.post("/api/v1/metadata/objects/projects/unarchive", headers=world.auth())
    assert back.status_code == 200
    got = await world.client.get(f"/api/v1/projects/{project['id']}", headers=world.auth())
    assert got.json()["name"] == "Apollo"
    # Built-in objects cannot be renamed or archived.
    builtin = await world.client.post("/api/v1/metadata/objects/contacts/archive", headers=world.auth())
    assert builtin.status_code == 404


async def test_batch_writes_on_a_custom_object(world: World) -> None:
    await _define(world)
    await _field(world, "projects", {"api_name": "code", "label": "Code", "type": "text", "unique": True})
    body = {
        "operation": "upsert",
        "match_on": "code",
        "records": [{"name": f"P{i}", "code": f"C{i}"} for i in range(3)],
    }
    first = await world.client.post("/api/v1/projects/batch", json=body, headers=world.auth())
    assert first.status_code == 200, first.text
    body["records"] = [{"name": "Renamed", "code": "C1"}, {"name": "New", "code": "C9"}]
    second = await world.client.post("/api/v1/projects/batch", json=body, headers=world.auth())
    assert second.status_code == 200, second.text
    listed = (await world.client.get("/api/v1/projects?sort=code", headers=world.auth())).json()
    assert [(i["code"], i["name"]) for i in listed["items"]] == [
        ("C0", "P0"),
        ("C1", "Renamed"),
        ("C2", "P2"),
        ("C9", "New"),
    ]
