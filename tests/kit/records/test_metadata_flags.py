"""What GET /api/v1/metadata/objects tells a client so it renders without guessing: which fields hold
lists, what the caller may do with each object (from their real role, or an API key's narrower scope),
option colours and type settings, and the order of custom fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from kronos.kit.auth import Action, PermissionSet, Principal
from kronos.kit.ids import uuid7
from kronos.modules.access.permissions import BUILT_IN_ROLES, ScopedPermissions
from tests.kit.records.support import World

ACTIONS = ("read", "create", "update", "delete", "export")


def as_caller(world: World, permissions: PermissionSet, *, tenant: Any = None) -> dict[str, str]:
    """Headers of a caller holding ``permissions`` (a built-in role, or an API key's scoped set)."""
    token = f"test-{uuid7().hex}"
    world.principals[token] = Principal(
        user_id=world.user, tenant_id=tenant or world.tenant, via="session", permissions=permissions
    )
    return {"Authorization": f"Bearer {token}"}


def role(key: str) -> PermissionSet:
    return BUILT_IN_ROLES[key].permissions


async def objects(world: World, headers: dict[str, str], query: str = "") -> dict[str, dict[str, Any]]:
    response = await world.client.get(f"/api/v1/metadata/objects{query}", headers=headers)
    assert response.status_code == 200, response.text
    return {item["name"]: item for item in response.json()}


def fields(described: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {field["name"]: field for field in described["fields"]}


def allowed(described: Mapping[str, Any]) -> set[str]:
    return {action for action in ACTIONS if described["permissions"][action]}


async def add_field(world: World, object_name: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await world.client.post(
        f"/api/v1/metadata/objects/{object_name}/fields", json=body, headers=world.auth()
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


# -- lists ---------------------------------------------------------------------------------------------------


async def test_many_says_which_fields_hold_lists(world: World) -> None:
    await add_field(
        world,
        "contacts",
        {
            "api_name": "tags",
            "label": "Tags",
            "type": "multi_select",
            "options": [{"value": "a", "label": "A"}],
        },
    )
    await add_field(world, "contacts", {"api_name": "nickname", "label": "Nickname", "type": "text"})
    described = await objects(world, world.auth())
    contacts, deals = fields(described["contacts"]), fields(described["deals"])
    assert contacts["emails"]["many"] is True
    assert contacts["phones"]["many"] is True
    assert contacts["tags"]["many"] is True
    assert deals["contact_ids"]["many"] is True
    assert contacts["company_id"]["many"] is False
    assert contacts["nickname"]["many"] is False
    assert contacts["last_name"]["many"] is False
    assert fields(described["activities"])["links"]["many"] is True


# -- what the caller may do ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "object_name", "expected"),
    [
        ("admin", "contacts", set(ACTIONS)),
        ("sales_rep", "contacts", {"read", "create", "update", "delete"}),
        ("sales_rep", "pipelines", {"read"}),
        ("sales_manager", "pipelines", set(ACTIONS)),
        ("marketing", "contacts", {"read", "update", "export"}),
        ("marketing", "activities", {"read", "create"}),
        ("support_agent", "activities", {"read", "create", "update"}),
        ("read_only", "deals", {"read"}),
    ],
)
async def test_permissions_follow_the_callers_role(
    world: World, key: str, object_name: str, expected: set[str]
) -> None:
    described = await objects(world, as_caller(world, role(key)))
    assert allowed(described[object_name]) == expected
    assert described[object_name]["permissions"]["customize"] is (key == "admin")


async def test_objects_a_role_cannot_read_are_left_out(world: World) -> None:
    described = await objects(world, as_caller(world, role("marketing")))
    assert "deals" not in described
    assert "pipelines" not in described
    assert {"contacts", "leads", "activities"} <= set(described)
    one = await world.client.get(
        "/api/v1/metadata/objects/deals", headers=as_caller(world, role("marketing"))
    )
    assert one.status_code == 404


async def test_field_access_reflects_read_only_fields_and_read_only_objects(world: World) -> None:
    rep = fields((await objects(world, as_caller(world, role("sales_rep"))))["contacts"])
    assert rep["owner_id"]["access"] == "read"
    assert rep["last_name"]["access"] == "write"
    assert rep["id"]["access"] == "read"
    reader = await objects(world, as_caller(world, role("read_only")))
    assert {field["access"] for field in reader["contacts"]["fields"]} == {"read"}
    # Marketing updates contacts without creating them: their fields are writable, creating is not.
    marketing = (await objects(world, as_caller(world, role("marketing"))))["contacts"]
    assert fields(marketing)["job_title"]["access"] == "write"
    assert marketing["permissions"]["create"] is False


async def test_an_api_key_scope_narrows_what_metadata_offers(world: World) -> None:
    scoped = ScopedPermissions(
        base=role("admin"), scope={"contacts": frozenset[Action]({"read"}), "*": frozenset[Action]()}
    )
    described = await objects(world, as_caller(world, scoped))
    assert set(described) == {"contacts"}
    assert allowed(described["contacts"]) == {"read"}
    assert described["contacts"]["permissions"]["customize"] is False
    assert {field["access"] for field in described["contacts"]["fields"]} == {"read"}
    # And the server agrees with what the metadata said.
    refused = await world.client.post(
        "/api/v1/contacts", json={"last_name": "Lovelace"}, headers=as_caller(world, scoped)
    )
    assert refused.status_code == 403


async def test_custom_objects_follow_the_roles_default_entry(world: World) -> None:
    created = await world.client.post(
        "/api/v1/metadata/objects",
        json={"api_name": "projects", "label": "Project", "label_plural": "Projects"},
        headers=world.auth(),
    )
    assert created.status_code == 201, created.text
    assert allowed(created.json()) == set(ACTIONS)
    rep = await objects(world, as_caller(world, role("sales_rep")))
    assert allowed(rep["projects"]) == {"read"}
    assert "projects" not in await objects(world, as_caller(world, role("support_agent")))


# -- option colours and type settings ------------------------------------------------------------------------

TIER = {
    "api_name": "tier",
    "label": "Tier",
    "type": "select",
    "options": [
        {"value": "gold", "label": "Gold", "color": "yellow"},
        {"value": "silver", "label": "Silver"},
    ],
}


async def test_option_colours_are_kept_and_shown_with_the_options(world: World) -> None:
    created = await add_field(world, "companies", TIER)
    assert created["options"] == [
        {"value": "gold", "label": "Gold", "color": "yellow"},
        {"value": "silver", "label": "Silver", "color": None},
    ]
    assert created["settings"] == {}
    url = "/api/v1/metadata/objects/companies/fields/tier"
    renamed = await world.client.patch(url, json={"label": "Level"}, headers=world.auth())
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["options"][0]["color"] == "yellow"
    recoloured = await world.client.patch(
        url,
        json={"options": [{"value": "silver", "label": "Silver", "color": "gray"}, TIER["options"][0]]},
        headers=world.auth(),
    )
    assert recoloured.status_code == 200, recoloured.text
    described = fields((await objects(world, world.auth()))["companies"])["tier"]
    assert [(o["value"], o["color"]) for o in described["options"]] == [
        ("silver", "gray"),
        ("gold", "yellow"),
    ]
    assert described["label"] == "Level"
    assert "option_colors" not in described["settings"]


async def test_a_colour_outside_the_palette_is_refused(world: World) -> None:
    body = {**TIER, "options": [{"value": "gold", "label": "Gold", "color": "#ff0000"}]}
    response = await world.client.post(
        "/api/v1/metadata/objects/companies/fields", json=body, headers=world.auth()
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"].startswith("body.options.0.color")
    assert "tier" not in fields((await objects(world, world.auth()))["companies"])


async def test_standard_options_take_no_colours(world: World) -> None:
    options = [
        {"value": "new", "label": "New", "color": "blue"},
        {"value": "converted", "label": "Converted"},
    ]
    response = await world.client.patch(
        "/api/v1/metadata/objects/leads/fields/status", json={"options": options}, headers=world.auth()
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "body.options"
    status = fields((await objects(world, world.auth()))["leads"])["status"]
    assert len(status["options"]) == 5


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"type": "text", "settings": {"target": "companies"}}, "body.settings.target"),
        (
            {"type": "select", "settings": {"max": 3}, "options": [{"value": "a", "label": "A"}]},
            "body.settings.max",
        ),
        ({"type": "currency", "settings": {"currency": "XYZ"}}, "body.settings.currency"),
        ({"type": "decimal", "settings": {"max_length": 3}}, "body.settings.max_length"),
    ],
)
async def test_settings_a_type_does_not_take_are_refused(
    world: World, body: dict[str, Any], path: str
) -> None:
    response = await world.client.post(
        "/api/v1/metadata/objects/companies/fields",
        json={"api_name": "odd", "label": "Odd", **body},
        headers=world.auth(),
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"] == path
    assert "odd" not in fields((await objects(world, world.auth()))["companies"])


async def test_currency_setting_is_an_iso_code_and_can_change(world: World) -> None:
    body = {"api_name": "budget", "label": "Budget", "type": "currency", "settings": {"currency": "eur"}}
    assert (await add_field(world, "companies", body))["settings"] == {"currency": "EUR"}
    url = "/api/v1/metadata/objects/companies/fields/budget"
    changed = await world.client.patch(url, json={"settings": {"currency": "GBP"}}, headers=world.auth())
    assert changed.status_code == 200, changed.text
    assert changed.json()["settings"] == {"currency": "GBP"}


async def test_a_relation_keeps_its_target(world: World) -> None:
    body = {"api_name": "parent", "label": "Parent", "type": "relation", "settings": {"target": "companies"}}
    await add_field(world, "companies", body)
    url = "/api/v1/metadata/objects/companies/fields/parent"
    moved = await world.client.patch(url, json={"settings": {"target": "contacts"}}, headers=world.auth())
    assert moved.status_code == 422
    assert moved.json()["errors"][0]["path"] == "body.settings.target"
    kept = await world.client.patch(url, json={"settings": {}, "label": "Parent co"}, headers=world.auth())
    assert kept.status_code == 200, kept.text
    assert kept.json()["settings"] == {"target": "companies"}


# -- order of custom fields ----------------------------------------------------------------------------------


async def custom_order(world: World, object_name: str = "contacts") -> list[str]:
    described = (await objects(world, world.auth()))[object_name]
    return [field["name"] for field in described["fields"] if not field["standard"]]


async def test_reordering_custom_fields(world: World) -> None:
    for name in ("alpha", "beta", "gamma"):
        await add_field(world, "contacts", {"api_name": name, "label": name.title(), "type": "text"})
    assert await custom_order(world) == ["alpha", "beta", "gamma"]
    url = "/api/v1/metadata/objects/contacts/field-order"
    response = await world.client.put(url, json={"fields": ["gamma", "alpha", "beta"]}, headers=world.auth())
    assert response.status_code == 200, response.text
    assert [f["name"] for f in response.json()["fields"] if not f["standard"]] == ["gamma", "alpha", "beta"]
    assert await custom_order(world) == ["gamma", "alpha", "beta"]
    described = fields((await objects(world, world.auth()))["contacts"])
    # Custom fields follow every standard field (created_at/updated_at stay last).
    assert described["gamma"]["position"] > described["owner_id"]["position"]
    assert described["beta"]["position"] < described["created_at"]["position"]


@pytest.mark.parametrize(
    "order",
    [["gamma", "alpha"], ["gamma", "alpha", "beta", "beta"], ["gamma", "alpha", "beta", "last_name"], []],
)
async def test_a_reorder_must_name_every_custom_field_once(world: World, order: list[str]) -> None:
    for name in ("alpha", "beta", "gamma"):
        await add_field(world, "contacts", {"api_name": name, "label": name.title(), "type": "text"})
    response = await world.client.put(
        "/api/v1/metadata/objects/contacts/field-order", json={"fields": order}, headers=world.auth()
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"] == "body.fields"
    assert await custom_order(world) == ["alpha", "beta", "gamma"]


async def test_reordering_is_for_admins_of_this_workspace(world: World) -> None:
    for name in ("alpha", "beta"):
        await add_field(world, "contacts", {"api_name": name, "label": name.title(), "type": "text"})
    url = "/api/v1/metadata/objects/contacts/field-order"
    body = {"fields": ["beta", "alpha"]}
    refused = await world.client.put(url, json=body, headers=as_caller(world, role("sales_manager")))
    assert refused.status_code == 403
    # Another workspace has no such fields: naming them is a 422 there, and changes nothing here.
    other = await world.client.put(url, json=body, headers=world.auth(tenant=world.other_tenant))
    assert other.status_code == 422
    assert await custom_order(world) == ["alpha", "beta"]
