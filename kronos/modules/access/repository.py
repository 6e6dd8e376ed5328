"""Queries of access control. Every query on a tenant table starts from ``TenantRepository``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from kronos.kit.records.models import SchemaVersion
from kronos.kit.repository import TenantRepository
from kronos.modules.access.models import ApiKey, Role, Team, TeamMember
from kronos.modules.identity.models import Invitation, Membership, User


class RoleRepository(TenantRepository[Role]):
    model = Role

    async def get_by_key(self, key: str) -> Role | None:
        return await self.session.scalar(self.select().where(Role.key == key))

    async def list_all(self) -> Sequence[Role]:
        return await self.list(self.select().order_by(Role.key))

    async def delete(self, role: Role) -> None:
        await self.session.delete(role)


# Built once: an alias made per call re-adapts every column it touches (costly on a hot path).
_MANAGER = aliased(TeamMember, name="manager")
_MEMBER = aliased(TeamMember, name="member")


class MembershipQueries:
    """The reads access control needs from memberships (the identity module owns the table)."""

    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def _active(self) -> Any:
        return (Membership.tenant_id == self.tenant_id) & Membership.deleted_at.is_(None)

    async def role_in_use(self, key: str, now: datetime) -> bool:
        """A member has the role, or a pending invitation would give it."""
        member = exists().where(self._active(), Membership.role == key)
        invited = exists().where(
            Invitation.tenant_id == self.tenant_id,
            Invitation.role == key,
            Invitation.deleted_at.is_(None),
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        return bool(await self.session.scalar(select(member | invited)))

    async def members_among(self, user_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        if not user_ids:
            return set()
        rows = await self.session.scalars(
            select(Membership.user_id).where(self._active(), Membership.user_id.in_(user_ids))
        )
        return set(rows)

    async def principal_row(
        self, user_id: uuid.UUID
    ) -> tuple[str, dict[str, Any] | None, datetime | None, set[uuid.UUID], int] | None:
        """Everything a request's principal needs, in one round trip: the member's role key (and a custom
        role's permissions and version), the members of the teams they manage, and the workspace's schema
        version (``kronos.kit.records.objects``). None if they are not a member."""
        manager, member = _MANAGER, _MEMBER
        dialect = self.session.get_bind().dialect.name
        ids = (
            func.string_agg(cast(member.user_id, Text), ",")
            if dialect == "postgresql"
            else func.group_concat(member.user_id, ",")
        )
        managed = (
            select(ids)
            .join(manager, (manager.tenant_id == member.tenant_id) & (manager.team_id == member.team_id))
            .where(
                manager.tenant_id == self.tenant_id,
                manager.user_id == user_id,
                manager.is_manager.is_(True),
                member.tenant_id == self.tenant_id,
            )
            .scalar_subquery()
        )
        version = select(SchemaVersion.version).where(SchemaVersion.tenant_id == self.tenant_id)
        row = (
            await self.session.execute(
                select(Membership.role, Role.permissions, Role.updated_at, managed, version.scalar_subquery())
                .outerjoin(
                    Role,
                    (Role.tenant_id == Membership.tenant_id)
                    & (Role.key == Membership.role)
                    & Role.deleted_at.is_(None),
                )
                .where(self._active(), Membership.user_id == user_id)
            )
        ).first()
        if row is None:
            return None
        owners = {uuid.UUID(value) for value in (row[3] or "").split(",") if value}
        return row[0], row[1], row[2], owners, int(row[4] or 0)


class TeamRepository(TenantRepository[Team]):
    model = Team

    async def get_by_name(self, name: str) -> Team | None:
        return await self.session.scalar(self.select().where(func.lower(Team.name) == name.lower()))

    async def list_all(self) -> Sequence[Team]:
        return await self.list(self.select().order_by(Team.name, Team.id))

    async def delete(self, team: Team) -> None:
        await self.session.delete(team)


class TeamMemberRepository(TenantRepository[TeamMember]):
    model = TeamMember

    async def for_teams(self, team_ids: Sequence[uuid.UUID]) -> Sequence[TeamMember]:
        if not team_ids:
            return []
        return await self.list(self.select().where(TeamMember.team_id.in_(team_ids)).order_by(TeamMember.id))

    async def get_member(self, team_id: uuid.UUID, user_id: uuid.UUID) -> TeamMember | None:
        return await self.session.scalar(
            self.select().where(TeamMember.team_id == team_id, TeamMember.user_id == user_id)
        )

    async def delete(self, member: TeamMember) -> None:
        await self.session.delete(member)


class ApiKeyRepository(TenantRepository[ApiKey]):
    model = ApiKey

    async def list_for(self, user_id: uuid.UUID | None) -> Sequence[ApiKey]:
        statement = self.select().order_by(ApiKey.id)
        if user_id is not None:
            statement = statement.where(ApiKey.user_id == user_id)
        return await self.list(statement)


async def find_api_key(session: AsyncSession, prefix: str) -> tuple[ApiKey, bool] | None:
    """The key with ``prefix`` in any workspace (the key names its workspace), and whether its user is active.

    The one cross-tenant read of this module: it runs before a tenant is known, as sign-in does."""
    row = (
        await session.execute(
            select(ApiKey, User.is_active)
            .join(User, User.id == ApiKey.user_id)
            .where(ApiKey.prefix == prefix, ApiKey.deleted_at.is_(None))
        )
    ).first()
    return None if row is None else (row[0], bool(row[1]))


async def touch_api_key(session: AsyncSession, key: ApiKey, now: datetime, stale_before: datetime) -> None:
    """Record use, at most once per interval: the WHERE makes a concurrent second touch a no-op."""
    await session.execute(
        update(ApiKey)
        .where(
            ApiKey.tenant_id == key.tenant_id,
            ApiKey.id == key.id,
            (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < stale_before),
        )
        .values(last_used_at=now)
    )
