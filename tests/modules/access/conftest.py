"""Workspaces and members made directly in the database, and a test authenticator that turns
``test_<tenant>_<user>`` into a principal through ``load_principal_permissions`` (what the identity module's
token authenticator does after verifying its token)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from kronos.kit.auth import Principal, register_authenticator
from kronos.kit.db import Database
from kronos.modules.access.service import load_principal_permissions
from kronos.modules.identity.models import Membership, User, Workspace


async def _test_authenticator(request: Request, db: Database, token: str) -> Principal | None:
    if not token.startswith("test_"):
        return None
    _, tenant, user = token.split("_")
    tenant_id, user_id = uuid.UUID(tenant), uuid.UUID(user)
    async with db.read_session() as session:
        permissions, owners = await load_principal_permissions(session, tenant_id, user_id)
    return Principal(
        user_id=user_id, tenant_id=tenant_id, via="session", permissions=permissions, visible_owner_ids=owners
    )


@dataclass(frozen=True)
class Member:
    tenant_id: uuid.UUID
    user_id: uuid.UUID

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer test_{self.tenant_id.hex}_{self.user_id.hex}"}


class Access:
    def __init__(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client
        self.db: Database = app.state.db

    async def workspace(self, name: str = "Acme") -> Member:
        """A new workspace and its owner."""
        async with self.db.write_session() as session:
            workspace = Workspace(name=name)
            session.add(workspace)
            await session.flush()
            tenant_id = workspace.id
        return await self.member(tenant_id, "owner")

    async def member(self, tenant_id: uuid.UUID, role: str) -> Member:
        async with self.db.write_session() as session:
            user = User(email=f"{uuid.uuid4().hex}@example.com", password_hash="x")
            session.add(user)
            await session.flush()
            session.add(Membership(tenant_id=tenant_id, user_id=user.id, role=role))
            return Member(tenant_id, user.id)

    async def call(self, who: Member, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, url, headers=who.headers, **kwargs)


@pytest.fixture
def access(app: FastAPI, client: httpx.AsyncClient) -> Access:
    register_authenticator(app.state, _test_authenticator)
    return Access(app, client)
