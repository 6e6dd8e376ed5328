"""Queries of access control. Every query on a tenant table starts from ``TenantRepository``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any, Literal

from sqlalchemy import Select, Text, bindparam, case, cast, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.db import tenant_binding_columns
from kronos.kit.driver import select_rows
from kronos.kit.records.models import SchemaVersion
from kronos.kit.repository import TenantRepository
from kronos.modules.access.models import ApiKey, Role, Team, TeamMember
from kronos.modules.identity.models import AuthSession, Invitation, Membership, User


class RoleRepository(TenantRepository[Role]):
    model = Role

    async def get_by_key(self, key: str) -> Role | None:
        return await self.session.scalar(self.select().where(Role.key == key))

    async def list_all(self) -> Sequence[Role]:
        return await self.list(self.select().order_by(Role.key))

    async def delete(self, role: Role) -> None:
        await self.session.delete(role)


# The principal's statements run on every request: built once per shape, from the tables (plain Core: no ORM
# compile step) with bound parameters, so a request neither builds nor compiles SQL (SQLAlchemy memoizes the
# cache key of a statement object on it).
_MEMBERSHIPS = Membership.__table__
_ROLES = Role.__table__
_SESSIONS = AuthSession.__table__
_MANAGERS = TeamMember.__table__.alias("manager")
_MEMBERS = TeamMember.__table__.alias("member")
_TENANT = bindparam("tenant_id", type_=_MEMBERSHIPS.c.tenant_id.type)
_USER = bindparam("user_id", type_=_MEMBERSHIPS.c.user_id.type)
_SESSION = bindparam("session_id", type_=_SESSIONS.c.id.type)
_NOW = bindparam("now", type_=_SESSIONS.c.expires_at.type)

# (role key, custom role's permissions and version, members of the teams the user manages, schema version)
PrincipalRow = tuple[str, dict[str, Any] | None, datetime | None, set[uuid.UUID], int]


def _principal_columns(dialect: str) -> list[Any]:
    manager, member = _MANAGERS.c, _MEMBERS.c
    ids = (
        func.string_agg(cast(member.user_id, Text), ",")
        if dialect == "postgresql"
        else func.group_concat(member.user_id, ",")
    )
    managed = (
        select(ids)
        .select_from(
            _MEMBERS.join(
                _MANAGERS, (manager.tenant_id == member.tenant_id) & (manager.team_id == member.team_id)
            )
        )
        .where(
            manager.tenant_id == _TENANT,
            manager.user_id == _USER,
            manager.is_manager.is_(True),
            member.tenant_id == _TENANT,
        )
        .scalar_subquery()
    )
    versions = SchemaVersion.__table__.c
    version = select(versions.version).where(versions.tenant_id == _TENANT).scalar_subquery()
    return [
        _MEMBERSHIPS.c.role.label("role"),
        _ROLES.c.permissions.label("permissions"),
        _ROLES.c.updated_at.label("role_version"),
        managed.label("managed"),
        version.label("schema_version"),
    ]


def _role_join() -> Any:
    roles, memberships = _ROLES.c, _MEMBERSHIPS.c
    return (
        (roles.tenant_id == memberships.tenant_id)
        & (roles.key == memberships.role)
        & roles.deleted_at.is_(None)
    )


@cache
def _principal_statement(dialect: str) -> Select[Any]:
    """The member's row: none if they are not a member."""
    memberships = _MEMBERSHIPS.c
    return (
        select(*_principal_columns(dialect))
        .select_from(_MEMBERSHIPS.outerjoin(_ROLES, _role_join()))
        .where(
            memberships.tenant_id == _TENANT,
            memberships.deleted_at.is_(None),
            memberships.user_id == _USER,
        )
    )


@cache
def _session_principal_statement(dialect: str, bind: bool) -> Select[Any]:
    """The member's row seen from their sign-in session: none if the session is not alive, a row with a null
    role if it is but they are no longer a member. With ``bind`` (PostgreSQL), the transaction is bound to
    the tenant (``tenant_binding_columns``) for a live member, by an outer query over the row: LIMIT keeps the
    planner from flattening the two, so the row — its subqueries on tenant tables included — is read before
    the binding switches role."""
    sessions, memberships = _SESSIONS.c, _MEMBERSHIPS.c
    member_of_session = (
        (memberships.tenant_id == sessions.tenant_id)
        & (memberships.user_id == sessions.user_id)
        & memberships.deleted_at.is_(None)
    )
    inner = (
        select(*_principal_columns(dialect))
        .select_from(_SESSIONS.outerjoin(_MEMBERSHIPS, member_of_session).outerjoin(_ROLES, _role_join()))
        .where(
            sessions.id == _SESSION,
            sessions.user_id == _USER,
            sessions.tenant_id == _TENANT,
            sessions.revoked_at.is_(None),
            sessions.expires_at > _NOW,
        )
    )
    if not bind:
        return inner
    row = inner.limit(1).subquery("principal")
    member = row.c.role.is_not(None)
    return select(*row.c, *(case((member, column)) for column in tenant_binding_columns(_TENANT)))


def _parse(row: Any) -> PrincipalRow | None:
    """A row of ``_principal_columns`` (read by position: the driver's rows have no attributes)."""
    if row is None or row[0] is None:
        return None
    role, permissions, role_version, managed, schema_version = row[:5]
    owners = {uuid.UUID(value) for value in (managed or "").split(",") if value}
    return role, permissions, role_version, owners, int(schema_version or 0)


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

    def _dialect(self) -> str:
        return str(self.session.get_bind().dialect.name)

    async def principal_row(self, user_id: uuid.UUID) -> PrincipalRow | None:
        """Everything a request's principal needs, in one round trip: the member's role key (and a custom
        role's permissions and version), the members of the teams they manage, and the workspace's schema
        version (``kronos.kit.records.objects``). None if they are not a member."""
        statement = _principal_statement(self._dialect())
        params = {"tenant_id": self.tenant_id, "user_id": user_id}
        return _parse((await self.session.execute(statement, params)).first())

    async def session_principal_row(
        self, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime, *, bind: bool
    ) -> PrincipalRow | Literal["ended", "not_member"]:
        """``principal_row`` and the sign-in session check in one round trip: "ended" if session
        ``session_id`` of this user and workspace is revoked, expired or unknown, "not_member" if it is alive
        but they left the workspace. With ``bind`` (the request's own transaction), a live member's row also
        binds the transaction to the workspace (PostgreSQL's row-level security), saving that round trip."""
        dialect = self._dialect()
        statement = _session_principal_statement(dialect, bind and dialect == "postgresql")
        params = {"tenant_id": self.tenant_id, "user_id": user_id, "session_id": session_id, "now": now}
        # Every authenticated request runs it: straight on the driver (kronos.kit.driver).
        rows = await select_rows(self.session, statement, params)
        row = rows[0] if rows else None
        if row is None:
            return "ended"
        return _parse(row) or "not_member"


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
