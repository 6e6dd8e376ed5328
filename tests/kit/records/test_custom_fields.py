"""Custom fields: metadata endpoints, every field type's validation, archive without data loss."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.kit.records.support import READ_ONLY, World

FIELDS: list[dict[str, Any]] = [
    {"api_name": "nickname", "label": "Nickname", "type": "text", "settings": {"max_length": 10}},
    {"api_name": "notes", "label": "Notes", "type": "long_text"},
    {"api_name": "employees", "label": "Employees", "type": "number"},
    {"api_name": "score", "label": "Score", "type": "decimal", "settings": {"scale": 2}},
    {"api_name": "revenue", "label": "Revenue", "type": "currency"},
    {"api_name": "margin", "label": "Margin", "type": "percent"},
    {"api_name": "founded", "label": "Founded", "type": "date"},
    {"api_name": "last_seen", "label": "Last seen", "type": "datetime"},
    {"api_name": "active", "label": "Active", "type": "boolean", "default": True},
    {
        "api_name": "tier",
        "label": "Tier",
        "type": "select",
        "options": [{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}],
    },
    {
        "api_name": "tags",
        "label": "Tags",
        "type": "multi_select",
        "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}, {"value": "c", "label": "C"}],
    },
    {"api_name": "billing_email", "label": "Billing e-mail", "type": "email", "unique": True},
    {"api_name": "hotline", "label": "Hotline", "type": "phone"},
    {"api_name": "website", "label": "Website", "type": "url"},
    {"api_name": "csm", "label": "CSM", "type": "user"},
    {"api_name": "parent", "label": "Parent", "type": "relation", "settings": {"target": "companies"}},
    {"api_name": "stars", "label": "Stars", "type": "rating", "settings": {"max": 5}},
]

GOOD: dict[str, Any] = {
    "nickname": "acme",
    "notes": "x" * 5000,
    "employees": 120,
    "score": "12.50",
    "revenue": {"amount_minor": 1_250_000, "currency": "eur"},
    "margin": 12.5,
    "founded": "1999-02-28",
    "last_seen": "2026-03-01T10:30:00.5+02:00",
    "tier": "gold",
    "tags": ["b", "a", "b"],
    "billing_email": "Billing@ACME.com",
    "hotline": "+1 (555) 010-2030",
    "website": "https://acme.example/about",
    "csm": "0190b3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b",
    "stars": 4,
}

BAD: list[tuple[str, Any, str]] = [
    ("nickname", 42, "string_type"),
    ("nickname", "far too long a name", "string_too_long"),
    ("notes", ["x"], "string_type"),
    ("employees", "12", "number_type"),
    ("employees", True, "number_type"),
    ("employees", 1e20, "number_too_large"),
    ("score", "12.345", "decimal_max_places"),
    ("score", "abc", "decimal_parsing"),
    ("revenue", 12, "currency_type"),
    ("revenue", {"amount_minor": 1.5, "currency": "EUR"}, "currency_amount"),
    ("revenue", {"amount_minor": 100, "currency": "EURO"}, "currency_code"),
    ("margin", "12%", "number_type"),
    ("founded", "1999-02-30", "date_parsing"),
    ("founded", "28/02/1999", "date_parsing"),
    ("last_seen", "2026-03-01T10:30:00", "timezone_required"),
    ("last_seen", "yesterday", "datetime_parsing"),
    ("last_seen", "0001-01-01T00:00:00+05:00", "datetime_parsing"),  # before year 1 in UTC: was a 500
    ("active", "yes", "bool_type"),
    ("tier", "platinum", "invalid_option"),
    ("tags", "a", "list_type"),
    ("tags", ["a", "z"], "invalid_option"),
    ("billing_email", "not-an-email", "email_invalid"),
    ("hotline", "call me", "phone_invalid"),
    ("hotline", "+1 23", "phone_invalid"),
    ("website", "ftp://acme.example", "url_invalid"),
    ("website", "acme.example", "url_invalid"),
    ("csm", "bob", "uuid_parsing"),
    ("parent", 7, "uuid_type"),
    ("stars", 6, "rating_range"),
    ("stars", 2.5, "rating_range"),
]


async def add_fields(world: World, object_name: str = "companies") -> None:
    await world.member(user=uuid.UUID(GOOD["csm"]))  # a user field holds members of the workspace
    for definition in FIELDS:
        response = await world.client.post(
            f"/api/v1/metadata/objects/{object_name}/fields", json=definition, headers=world.auth()
        )
        assert response.status_code == 201, response.text


async def test_every_type_stores_its_canonical_value(world: World) -> None:
    await add_fields(world)
    parent = await world.create("companies", {"name": "Parent"})
    created = await world.create("companies", {"name": "Acme", **GOOD, "parent": parent["id"]})
    assert created["score"] == 12.5
    assert created["revenue"] == {"amount_minor": 1_250_000, "currency": "EUR"}
    assert created["last_seen"] == "2026-03-01T08:30:00.500000Z"
    assert created["tags"] == ["b", "a"]
    assert created["billing_email"] == "Billing@acme.com"
    assert created["hotline"] == "+15550102030"
    assert created["active"] is True  # the default
    assert created["parent"] == parent["id"]
    again = await world.client.get(f"/api/v1/companies/{created['id']}", headers=world.auth())
    assert again.json() == created


@pytest.mark.parametrize(("field", "value", "reason"), BAD)
async def test_bad_values_are_422_naming_the_field(world: World, field: str, value: Any, reason: str) -> None:
    await add_fields(world)
    response = await world.client.post(
        "/api/v1/companies", json={"name": "Acme", field: value}, headers=world.auth()
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert problem["errors"][0]["path"] == f"body.{field}"
    assert problem["errors"][0]["type"] == reason
    listed = await world.client.get("/api/v1/companies?count=true", headers=world.auth())
    assert listed.json()["total"] == 0


async def test_standard_field_bad_values(world: World) -> None:
    headers = world.auth()
    cases = [
        ({"name": ""}, "body.name", "missing"),
        ({"name": None}, "body.name", "missing"),
        ({"name": "A", "industry": "mining"}, "body.industry", "invalid_option"),
        ({"name": "A", "owner_id": "me"}, "body.owner_id", "uuid_parsing"),
        ({"name": "A", "bogus": 1}, "body.bogus", "unknown_field"),
        ({"name": "A", "version": 7}, "body.version", "read_only"),
    ]
    for body, path, reason in cases:
        response = await world.client.post("/api/v1/companies", json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        assert {(e["path"], e["type"]) for e in response.json()["errors"]} == {(path, reason)}, body
    contact = await world.client.post(
        "/api/v1/contacts", json={"last_name": "L", "emails": ["ok@x.io", "nope"]}, headers=headers
    )
    assert contact.status_code == 422
    assert contact.json()["errors"][0]["path"] == "body.emails"
    assert contact.json()["errors"][0]["message"].startswith("Item 1")


async def test_metadata_describes_objects_and_fields(world: World) -> None:
    await add_fields(world)
    response = await world.client.get("/api/v1/metadata/objects", headers=world.auth())
    assert response.status_code == 200
    objects = {o["name"]: o for o in response.json()}
    assert {"companies", "contacts"} <= set(objects)
    fields = {f["name"]: f for f in objects["companies"]["fields"]}
    assert fields["domain"]["unique"] is True
    assert fields["domain"]["standard"] is True
    assert fields["tier"]["standard"] is False
    assert fields["tier"]["options"][0] == {"value": "gold", "label": "Gold", "color": None}
    assert fields["id"]["system"] is True
    assert "tier" not in {f["name"] for f in objects["contacts"]["fields"]}


async def test_field_admin_rules(world: World) -> None:
    url = "/api/v1/metadata/objects/companies/fields"
    admin = world.auth()
    body = {"api_name": "tier", "label": "Tier", "type": "select", "options": [{"value": "g", "label": "G"}]}
    assert (await world.client.post(url, json=body, headers=world.auth(READ_ONLY))).status_code == 403
    assert (await world.client.post(url, json=body, headers=admin)).status_code == 201
    assert (await world.client.post(url, json=body, headers=admin)).status_code == 409
    clash = {**body, "api_name": "domain"}
    assert (await world.client.post(url, json=clash, headers=admin)).status_code == 409
    no_options = {**body, "api_name": "t2", "options": []}
    assert (await world.client.post(url, json=no_options, headers=admin)).status_code == 422
    bad_name = {**body, "api_name": "Bad Name"}
    assert (await world.client.post(url, json=bad_name, headers=admin)).status_code == 422
    bad_target = {"api_name": "rel", "label": "R", "type": "relation", "settings": {"target": "nope"}}
    assert (await world.client.post(url, json=bad_target, headers=admin)).status_code == 422
    bad_default = {"api_name": "n", "label": "N", "type": "number", "default": "x"}
    assert (await world.client.post(url, json=bad_default, headers=admin)).status_code == 422
    assert (
        await world.client.post("/api/v1/metadata/objects/widgets/fields", json=body, headers=admin)
    ).status_code == 404
    standard = await world.client.patch(f"{url}/domain", json={"label": "Web"}, headers=admin)
    assert standard.status_code == 404


async def test_rename_reorder_options_and_archive_keep_data(world: World) -> None:
    url = "/api/v1/metadata/objects/companies/fields"
    admin = world.auth()
    body = {"api_name": "tier", "label": "Tier", "type": "select", "options": [{"value": "g", "label": "G"}]}
    await world.client.post(url, json=body, headers=admin)
    company = await world.create("companies", {"name": "Acme", "tier": "g"})

    patched = await world.client.patch(
        f"{url}/tier",
        json={
            "label": "Level",
            "position": 50,
            "options": [{"value": "g", "label": "Gold"}, {"value": "s", "label": "S"}],
        },
        headers=admin,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["label"] == "Level"
    assert patched.json()["position"] == 50
    updated = await world.client.patch(
        f"/api/v1/companies/{company['id']}", json={"tier": "s"}, headers=admin
    )
    assert updated.json()["tier"] == "s"

    archived = await world.client.post(f"{url}/tier/archive", headers=admin)
    assert archived.json()["archived"] is True
    record = (await world.client.get(f"/api/v1/companies/{company['id']}", headers=admin)).json()
    assert "tier" not in record
    rejected = await world.client.patch(
        f"/api/v1/companies/{company['id']}", json={"tier": "g"}, headers=admin
    )
    assert rejected.status_code == 422
    await world.client.patch(f"/api/v1/companies/{company['id']}", json={"name": "Acme 2"}, headers=admin)
    described = await world.client.get(
        "/api/v1/metadata/objects/companies?include_archived=true", headers=admin
    )
    assert {f["name"]: f["archived"] for f in described.json()["fields"]}["tier"] is True

    await world.client.post(f"{url}/tier/unarchive", headers=admin)
    record = (await world.client.get(f"/api/v1/companies/{company['id']}", headers=admin)).json()
    assert record["tier"] == "s"
    assert record["name"] == "Acme 2"


async def test_required_custom_field(world: World) -> None:
    url = "/api/v1/metadata/objects/contacts/fields"
    admin = world.auth()
    await world.client.post(
        url, json={"api_name": "region", "label": "Region", "type": "text", "required": True}, headers=admin
    )
    missing = await world.client.post("/api/v1/contacts", json={"last_name": "L"}, headers=admin)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["path"] == "body.region"
    created = await world.create("contacts", {"last_name": "L", "region": "EU"})
    cleared = await world.client.patch(
        f"/api/v1/contacts/{created['id']}", json={"region": None}, headers=admin
    )
    assert cleared.status_code == 422
