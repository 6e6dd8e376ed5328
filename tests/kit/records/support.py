"""Test principals for the record engine: a permission set with knobs, workspaces, and bearer tokens."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request
from sqlalchemy import select

from kronos.kit.auth import (
    Action,
    FieldAccess,
    PermissionSet,
    Principal,
    Visibility,
    register_authenticator,
)
from kronos.kit.db import Database
from kronos.kit.ids import uuid7
from kronos.kit.records.models import FieldHistory
from kronos.modules.identity.models import Membership, User, Workspace


@dataclass(frozen=True)
class Perms:
    """A PermissionSet: everything allowed unless narrowed."""

    admin: bool = False
    actions: frozenset[str] | None = None  # None: every action on every object
    hidden: frozenset[tuple[str, str]] = frozenset()  # (object, field)
    read_only: frozenset[tuple[str, str]] = frozenset()
    scope: Visibility = "all"

    @property
    def is_admin(self) -> bool:
        return self.admin

    def can(self, object_name: str, action: Action) -> bool:
        return self.actions is None or action in self.actions

    def field_access(self, object_name: str, field_name: str) -> FieldAccess:
        if (object_name, field_name) in self.hidden:
            return "hidden"
        if (object_name, field_name) in self.read_only or self.actions == frozenset({"read"}):
            return "read"
        return "write"

    def visibility(self, object_name: str) -> Visibility:
        return self.scope

    def edit_visibility(self, object_name: str) -> Visibility:
        return self.scope


FULL = Perms(admin=True)
READ_ONLY = Perms(actions=frozenset({"read"}))


@dataclass
class World:
    app: FastAPI
    client: httpx.AsyncClient
    tenant: uuid.UUID
    other_tenant: uuid.UUID
    user: uuid.UUID = field(default_factory=uuid7)
    principals: dict[str, Principal] = field(default_factory=dict)
    # (workspace, user) pairs known to have a membership row: user fields accept only members.
    members: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)
    # Concurrent requests of one test authenticate at once: one of them creates the membership.
    member_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    async def member(self, tenant: uuid.UUID | None = None, user: uuid.UUID | None = None) -> uuid.UUID:
        """A user (new unless given) who is a member of ``tenant`` (this world's workspace by default), as
        a value for user fields such as owner_id: the write path refuses anyone else."""
        tenant, user = tenant or self.tenant, user or uuid7()
        async with self.member_lock:
            if (tenant, user) in self.members:
                return user
            db: Database = self.app.state.db
            async with db.write_session() as session:
                if await session.get(User, user) is None:
                    session.add(User(id=user, email=f"{user.hex}@members.test", password_hash="!"))
                    await session.flush()
                found = await session.scalar(
                    select(Membership.id).where(Membership.tenant_id == tenant, Membership.user_id == user)
                )
                if found is None:
                    session.add(Membership(tenant_id=tenant, user_id=user, role="member"))
            self.members.add((tenant, user))
        return user

    def auth(
        self,
        perms: PermissionSet = FULL,
        *,
        tenant: uuid.UUID | None = None,
        user: uuid.UUID | None = None,
        team: frozenset[uuid.UUID] = frozenset(),
        via: str = "session",
    ) -> dict[str, str]:
        token = f"test-{uuid7().hex}"
        self.principals[token] = Principal(
            user_id=user or self.user,
            tenant_id=tenant or self.tenant,
            via="api_key" if via == "api_key" else "session",
            permissions=perms,
            visible_owner_ids=team,
            api_key_id=uuid7() if via == "api_key" else None,
        )
        return {"Authorization": f"Bearer {token}"}

    async def create(
        self, object_name: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> Any:
        response = await self.client.post(f"/api/v1/{object_name}", json=body, headers=headers or self.auth())
        assert response.status_code == 201, response.text
        return response.json()

    async def history(self, record_id: str) -> list[FieldHistory]:
        db: Database = self.app.state.db
        async with db.read_session() as session:
            rows = await session.scalars(
                select(FieldHistory)
                .where(FieldHistory.record_id == uuid.UUID(record_id))
                .order_by(FieldHistory.changed_at, FieldHistory.field)
            )
            return list(rows.all())


async def make_world(app: FastAPI, client: httpx.AsyncClient) -> World:
    db: Database = app.state.db
    async with db.write_session() as session:
        first, second = Workspace(name="Acme Inc"), Workspace(name="Other Co")
        session.add_all([first, second])
        await session.flush()
        ids = first.id, second.id
    world = World(app, client, *ids)

    async def authenticate(request: Request, database: Database, token: str) -> Principal | None:
        principal = world.principals.get(token)
        if principal is not None and principal.user_id is not None:
            # Whoever signs in to a workspace is one of its members, as with real sign-in.
            await world.member(principal.tenant_id, principal.user_id)
        return principal

    register_authenticator(app.state, authenticate)
    return world
