"""The workspace's own OpenAPI document: valid OpenAPI 3.1, typed from the workspace's metadata for the
caller — custom fields included, hidden fields and unreadable objects left out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from openapi_spec_validator import validate

from kronos.kit.auth import Action
from tests.kit.records.support import READ_ONLY, Perms, World

URL = "/api/v1/openapi.json"
SCHEMAS = "#/components/schemas/"

CUSTOM_FIELDS: list[dict[str, Any]] = [
    {"api_name": "nickname", "label": "Nickname", "type": "text", "settings": {"max_length": 40}},
    {"api_name": "tier", "label": "Tier", "type": "select", "required": True,
     "options": [{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}]},
    {"api_name": "tags", "label": "Tags", "type": "multi_select",
     "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]},
    {"api_name": "revenue", "label": "Revenue", "type": "currency"},
    {"api_name": "born", "label": "Born", "type": "date"},
    {"api_name": "last_seen", "label": "Last seen", "type": "datetime"},
    {"api_name": "billing_email", "label": "Billing e-mail", "type": "email"},
    {"api_name": "site", "label": "Site", "type": "url"},
    {"api_name": "csm", "label": "CSM", "type": "user"},
    {"api_name": "parent", "label": "Parent", "type": "relation", "settings": {"target": "companies"}},
    {"api_name": "vip", "label": "VIP", "type": "boolean"},
    {"api_name": "stars", "label": "Stars", "type": "rating", "settings": {"max": 3}},
    {"api_name": "visits", "label": "Visits", "type": "number"},
    {"api_name": "score", "label": "Score", "type": "decimal", "settings": {"scale": 2}},
]  # fmt: skip


@dataclass(frozen=True)
class NoDeals(Perms):
    """Cannot read deals; may only read contacts; everything else allowed."""

    def can(self, object_name: str, action: Action) -> bool:
        if object_name == "deals":
            return False
        return action == "read" if object_name == "contacts" else True


async def _document(world: World, headers: dict[str, str], *, check: bool = True) -> dict[str, Any]:
    response = await world.client.get(URL, headers=headers)
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    if check:  # the validator takes seconds on a document this size: once per shape is enough
        validate(doc)  # raises on any violation of the OpenAPI 3.1 schema
    return doc


def _component(doc: dict[str, Any], path: str, method: str, status: str = "200") -> dict[str, Any]:
    ref = doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]["$ref"]
    component: dict[str, Any] = doc["components"]["schemas"][ref.removeprefix(SCHEMAS)]
    return component


def _types(prop: dict[str, Any]) -> set[str]:
    kind = prop["type"]
    return set(kind) if isinstance(kind, list) else {kind}


async def test_requires_authentication(world: World) -> None:
    response = await world.client.get(URL)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


async def test_document_is_valid_and_typed_with_custom_fields(world: World) -> None:
    admin = world.auth()
    for field in CUSTOM_FIELDS:
        added = await world.client.post("/api/v1/metadata/objects/contacts/fields", json=field, headers=admin)
        assert added.status_code == 201, added.text
    doc = await _document(world, admin)
    assert doc["openapi"].startswith("3.1")
    paths = doc["paths"]

    # Generic templates are replaced by concrete paths for every object; the rest of the API stays.
    assert not [p for p in paths if "{object}" in p and not p.startswith("/api/v1/metadata")]
    for name in ("companies", "contacts", "leads", "deals", "activities"):
        assert set(paths[f"/api/v1/{name}"]) == {"get", "post"}
        assert set(paths[f"/api/v1/{name}/{{id}}"]) == {"get", "patch", "put", "delete"}
        assert "post" in paths[f"/api/v1/{name}/batch"]
        assert "post" in paths[f"/api/v1/{name}/{{id}}/restore"]
    for other in ("/api/v1/auth/login", "/api/v1/metadata/objects", "/api/v1/views", "/api/v1/openapi.json"):
        assert other in paths
    operation_ids = [
        op["operationId"] for item in paths.values() for op in item.values() if "operationId" in op
    ]
    assert len(operation_ids) == len(set(operation_ids))
    get_one = paths["/api/v1/contacts/{id}"]["get"]
    assert [p["name"] for p in get_one["parameters"] if p["in"] == "path"] == ["id"]

    contact = _component(doc, "/api/v1/contacts/{id}", "get")
    props = contact["properties"]
    assert _component(doc, "/api/v1/contacts", "post", "201") == contact
    create_body = paths["/api/v1/contacts"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert doc["components"]["schemas"][create_body["$ref"].removeprefix(SCHEMAS)] == contact
    page = _component(doc, "/api/v1/contacts", "get")
    assert page["properties"]["items"]["items"]["$ref"].endswith(create_body["$ref"].removeprefix(SCHEMAS))

    # Custom fields, typed from their definitions.
    assert _types(props["nickname"]) == {"string", "null"}
    assert props["nickname"]["maxLength"] == 40
    assert props["tier"]["enum"] == ["gold", "silver", None]
    assert props["tags"]["type"] == "array"
    assert props["tags"]["items"]["enum"] == ["a", "b"]
    revenue = props["revenue"]
    assert _types(revenue) == {"object", "null"}
    assert revenue["properties"]["amount_minor"]["type"] == "integer"
    assert revenue["properties"]["currency"]["type"] == "string"
    assert props["born"]["format"] == "date"
    assert props["last_seen"]["format"] == "date-time"
    assert props["billing_email"]["format"] == "email"
    assert props["site"]["format"] == "uri"
    assert props["csm"]["format"] == "uuid"
    assert props["parent"]["format"] == "uuid"
    assert props["parent"]["x-kronos-target"] == "companies"
    assert _types(props["vip"]) == {"boolean", "null"}
    assert (_types(props["stars"]), props["stars"]["maximum"]) == ({"integer", "null"}, 3)
    assert _types(props["visits"]) == {"number", "null"}
    assert props["tier"]["x-kronos-field-type"] == "select"
    # Standard fields, system fields and what create requires.
    assert props["emails"]["items"]["format"] == "email"
    assert props["company_id"]["x-kronos-target"] == "companies"
    assert props["id"] == {**props["id"], "format": "uuid", "readOnly": True}
    assert props["created_at"]["readOnly"] is True
    assert props["created_at"]["format"] == "date-time"
    assert props["version"]["type"] == "integer"
    assert set(contact["required"]) == {"id", "version", "last_name", "tier"}
    assert "readOnly" not in props["last_name"]
    # Deals: a standard currency and a system select.
    deal = _component(doc, "/api/v1/deals/{id}", "get")["properties"]
    assert deal["amount"]["properties"]["amount_minor"]["type"] == "integer"
    assert deal["outcome"]["readOnly"] is True
    assert deal["outcome"]["enum"] == ["won", "lost", None]
    patch_body = paths["/api/v1/contacts/{id}"]["patch"]["requestBody"]["content"]["application/json"]
    patch = doc["components"]["schemas"][patch_body["schema"]["$ref"].removeprefix(SCHEMAS)]
    assert "required" not in patch
    assert "id" not in patch["properties"]
    assert "tier" in patch["properties"]
    assert _types(patch["properties"]["score"]) == {"number", "string", "null"}

    # The app's own document is untouched: still generic.
    app_doc = (await world.client.get("/openapi.json")).json()
    assert "/api/v1/{object}" in app_doc["paths"]
    assert "/api/v1/contacts" not in app_doc["paths"]


async def test_hidden_fields_unreadable_objects_and_forbidden_writes_are_left_out(world: World) -> None:
    added = await world.client.post(
        "/api/v1/metadata/objects/contacts/fields",
        json={"api_name": "secret_score", "label": "Secret", "type": "number"},
        headers=world.auth(),
    )
    assert added.status_code == 201
    perms = NoDeals(
        hidden=frozenset({("contacts", "secret_score"), ("companies", "domain")}),
        read_only=frozenset({("companies", "name")}),
    )
    doc = await _document(world, world.auth(perms))
    paths = doc["paths"]
    assert not [p for p in paths if p.startswith("/api/v1/deals")]
    assert not [name for name in doc["components"]["schemas"] if name.startswith("DealRecord")]
    # Contacts are read-only for this role: no write operations, and every field readOnly.
    assert set(paths["/api/v1/contacts"]) == {"get"}
    assert set(paths["/api/v1/contacts/{id}"]) == {"get"}
    assert "/api/v1/contacts/batch" not in paths
    assert "/api/v1/contacts/{id}/restore" not in paths
    contact = _component(doc, "/api/v1/contacts/{id}", "get")["properties"]
    assert "secret_score" not in contact
    assert all(prop.get("readOnly") for prop in contact.values())
    company = _component(doc, "/api/v1/companies/{id}", "get")
    assert "domain" not in company["properties"]
    assert company["properties"]["name"]["readOnly"] is True
    assert "name" not in company["required"]
    assert '"domain"' not in json.dumps(company)
    assert "secret_score" not in json.dumps(doc)

    # The same workspace seen by a reader, and by another workspace: no custom field there.
    reader = await _document(world, world.auth(READ_ONLY), check=False)
    assert "secret_score" in _component(reader, "/api/v1/contacts/{id}", "get")["properties"]
    outsider = await _document(world, world.auth(tenant=world.other_tenant), check=False)
    assert "secret_score" not in _component(outsider, "/api/v1/contacts/{id}", "get")["properties"]


async def test_custom_objects_get_their_own_paths(world: World) -> None:
    admin = world.auth()
    created = await world.client.post(
        "/api/v1/metadata/objects",
        json={"api_name": "projects", "label": "Project", "label_plural": "Projects"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    field = {"api_name": "budget", "label": "Budget", "type": "currency"}
    added = await world.client.post("/api/v1/metadata/objects/projects/fields", json=field, headers=admin)
    assert added.status_code == 201, added.text
    doc = await _document(world, admin, check=False)
    assert set(doc["paths"]["/api/v1/projects"]) == {"get", "post"}
    project = _component(doc, "/api/v1/projects/{id}", "get")
    assert project["properties"]["budget"]["properties"]["amount_minor"]["type"] == "integer"
    assert "name" in project["properties"]
    assert "owner_id" in project["properties"]
    outsider = await _document(world, world.auth(tenant=world.other_tenant), check=False)
    assert "/api/v1/projects" not in outsider["paths"]
