"""The record engine's schema cache, through real sign-in: the principal carries the workspace's schema
version, schemas are cached under it, and a change committed by any process moves every process on."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from kronos.kit.db import Database, bind_tenant
from kronos.kit.records.models import FieldDefinition
from kronos.kit.records.objects import bump_schema_version
from tests.modules.identity.conftest import bearer, signup


async def _add_field_elsewhere(db: Database, tenant: uuid.UUID, name: str, *, bump: bool) -> None:
    """What another server process does when an admin adds a field there: its own transaction, not this
    app's registry."""
    async with db.write_session() as session:
        await bind_tenant(session, lambda: tenant)
        session.add(
            FieldDefinition(
                tenant_id=tenant,
                object="contacts",
                api_name=name,
                label=name.title(),
                type="text",
                options=[],
                settings={},
                position=50,
            )
        )
        if bump:
            await bump_schema_version(session, tenant)


async def test_a_field_added_by_another_process_is_seen_once_its_version_commits(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    tokens = await signup(client, "owner@acme.example")
    headers = bearer(tokens)
    me = (await client.get("/api/v1/auth/me", headers=headers)).json()
    tenant = uuid.UUID(me["workspace"]["id"]) if "workspace" in me else uuid.UUID(tokens["workspace_id"])
    db: Database = app.state.db

    refused = await client.post("/api/v1/contacts", json={"last_name": "A", "nickname": "x"}, headers=headers)
    assert refused.status_code == 422  # and the contacts schema of version 0 is now cached

    # Written without bumping the version (which no code path does): the cache still answers, so this
    # process does not read field_definitions on every request.
    await _add_field_elsewhere(db, tenant, "nickname", bump=False)
    cached = await client.post("/api/v1/contacts", json={"last_name": "A", "nickname": "x"}, headers=headers)
    assert cached.status_code == 422

    # A real metadata change bumps the version in its transaction: the next request reads the new schema.
    await _add_field_elsewhere(db, tenant, "alias", bump=True)
    created = await client.post(
        "/api/v1/contacts", json={"last_name": "A", "nickname": "x", "alias": "y"}, headers=headers
    )
    assert created.status_code == 201, created.text
    assert created.json()["nickname"] == "x"


async def test_metadata_routes_bump_the_version(client: httpx.AsyncClient) -> None:
    headers = bearer(await signup(client, "owner@acme.example"))
    assert (await client.get("/api/v1/contacts", headers=headers)).status_code == 200
    added = await client.post(
        "/api/v1/metadata/objects/contacts/fields",
        json={"api_name": "tier", "label": "Tier", "type": "text"},
        headers=headers,
    )
    assert added.status_code == 201, added.text
    created = await client.post("/api/v1/contacts", json={"last_name": "B", "tier": "gold"}, headers=headers)
    assert created.status_code == 201, created.text
    archived = await client.post("/api/v1/metadata/objects/contacts/fields/tier/archive", headers=headers)
    assert archived.status_code == 200
    refused = await client.post("/api/v1/contacts", json={"last_name": "C", "tier": "gold"}, headers=headers)
    assert refused.status_code == 422
    defined = await client.post(
        "/api/v1/metadata/objects",
        json={"api_name": "projects", "label": "Project", "label_plural": "Projects"},
        headers=headers,
    )
    assert defined.status_code == 201
    assert (await client.post("/api/v1/projects", json={"name": "P"}, headers=headers)).status_code == 201
    gone = await client.post("/api/v1/metadata/objects/projects/archive", headers=headers)
    assert gone.status_code == 200
    assert (await client.get("/api/v1/projects", headers=headers)).status_code == 404
