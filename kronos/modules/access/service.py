"""Roles and the permissions a principal carries.

``load_principal_access`` is what an authenticator calls on every request to turn a (workspace, user) into
a ``PermissionSet`` and the owners "team" visibility shows. It costs one query: the membership joined to its
custom role (built-in roles are shared instances, parsed once), with the members of the teams the user
manages and the workspace's schema version as subqueries. ``load_session_access`` is the same for a signed-in
user, with their sign-in session's check in that one query.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.auth import PermissionSet, Principal
from kronos.kit.clock import utcnow
from kronos.modules.access import audit, schemas
from kronos.modules.access.exceptions import (
    MembershipRequired,
    RoleInUse,
    RoleKeyTaken,
    RoleNotFound,
    RoleReadOnly,
    UnknownRole,
)
from kronos.modules.access.models import Role
from kronos.modules.access.permissions import (
    BUILT_IN_ROLES,
    NO_PERMISSIONS,
    Permissions,
    permissions_from_json,
    permissions_to_json,
)
from kronos.modules.access.repository import MembershipQueries, PrincipalRow, RoleRepository

# Parsed custom roles by (workspace, key, version): a role edit changes updated_at, so stale entries are
# never used, only evicted. Bounded so a large installation cannot grow it without limit.
_CUSTOM_ROLE_CACHE: OrderedDict[tuple[uuid.UUID, str, datetime | None], Permissions] = OrderedDict()
_CUSTOM_ROLE_CACHE_SIZE = 2048


def _custom_permissions(
    tenant_id: uuid.UUID, key: str, data: dict[str, Any], version: datetime | None
) -> Permissions:
    cache_key = (tenant_id, key, version)
    cached = _CUSTOM_ROLE_CACHE.get(cache_key)
    if cached is not None:
        _CUSTOM_ROLE_CACHE.move_to_end(cache_key)
        return cached
    permissions = permissions_from_json(data)
    _CUSTOM_ROLE_CACHE[cache_key] = permissions
    if len(_CUSTOM_ROLE_CACHE) > _CUSTOM_ROLE_CACHE_SIZE:
        _CUSTOM_ROLE_CACHE.popitem(last=False)
    return permissions


@dataclass(frozen=True, slots=True)
class PrincipalAccess:
    permissions: PermissionSet
    visible_owner_ids: frozenset[uuid.UUID]
    schema_version: int


async def load_principal_access(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> PrincipalAccess:
    """The member's permissions, the owners whose records "team" visibility shows them (the user and the
    members of every team they manage), and the workspace's schema version, in one query. Raises
    ``MembershipRequired`` (401) if they are not a member.

    A membership whose role key is unknown (should not happen: roles in use cannot be deleted) grants
    nothing rather than failing."""
    found = await MembershipQueries(session, tenant_id).principal_row(user_id)
    if found is None:
        raise _not_a_member()
    return _access(tenant_id, user_id, found)


async def load_session_access(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    auth_session_id: uuid.UUID,
    now: datetime,
    *,
    bind: bool,
) -> PrincipalAccess | None:
    """``load_principal_access`` for a signed-in user, with the check that their sign-in session is alive
    (not revoked, not expired, theirs in this workspace) in the same statement. None if the session has
    ended; ``MembershipRequired`` if it is alive but they are no longer a member. ``bind``: the statement also
    binds the caller's transaction to the workspace (see ``MembershipQueries.session_principal_row``)."""
    found = await MembershipQueries(session, tenant_id).session_principal_row(
        user_id, auth_session_id, now, bind=bind
    )
    if isinstance(found, str):  # "ended" or "not_member"
        if found == "ended":
            return None
        raise _not_a_member()
    return _access(tenant_id, user_id, found)


def _not_a_member() -> MembershipRequired:
    return MembershipRequired("You are not a member of this workspace.")


def _access(tenant_id: uuid.UUID, user_id: uuid.UUID, found: PrincipalRow) -> PrincipalAccess:
    key, data, version, owners, schema_version = found
    permissions: Permissions
    if key in BUILT_IN_ROLES:
        permissions = BUILT_IN_ROLES[key].permissions
    elif data is not None:
        permissions = _custom_permissions(tenant_id, key, data, version)
    else:
        permissions = NO_PERMISSIONS
    return PrincipalAccess(permissions, frozenset(owners | {user_id}), schema_version)


async def load_principal_permissions(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[PermissionSet, frozenset[uuid.UUID]]:
    """``load_principal_access`` without the schema version."""
    access = await load_principal_access(session, tenant_id, user_id)
    return access.permissions, access.visible_owner_ids


async def validate_role_key(session: AsyncSession, tenant_id: uuid.UUID, key: str) -> str:
    """``key`` if it names a built-in role or one of the workspace's custom roles; else ``UnknownRole``
    (422). Members and invitations call it before storing a role."""
    if key in BUILT_IN_ROLES or await RoleRepository(session, tenant_id).get_by_key(key) is not None:
        return key
    raise UnknownRole(
        f"There is no role '{key}' in this workspace.",
        extra={"roles": sorted(BUILT_IN_ROLES)},
    )


# -- Roles API ----------------------------------------------------------------------------------------------


def _built_in_view(key: str) -> schemas.Role:
    role = BUILT_IN_ROLES[key]
    return schemas.Role(
        id=None,
        key=role.key,
        name=role.name,
        description=role.description,
        built_in=True,
        permissions=schemas.RolePermissions.model_validate(permissions_to_json(role.permissions)),
    )


def role_view(role: Role) -> schemas.Role:
    return schemas.Role(
        id=role.id,
        key=role.key,
        name=role.name,
        description=role.description,
        built_in=False,
        permissions=schemas.RolePermissions.model_validate(
            permissions_to_json(permissions_from_json(role.permissions))
        ),
        created_at=role.created_at,
        updated_at=role.updated_at,
    )


async def list_roles(session: AsyncSession, tenant_id: uuid.UUID) -> list[schemas.Role]:
    custom = await RoleRepository(session, tenant_id).list_all()
    return [_built_in_view(key) for key in BUILT_IN_ROLES] + [role_view(role) for role in custom]


async def _find_custom(session: AsyncSession, tenant_id: uuid.UUID, ref: str) -> Role | None:
    repo = RoleRepository(session, tenant_id)
    try:
        role_id = uuid.UUID(ref)
    except ValueError:
        return await repo.get_by_key(ref)
    return await repo.get(role_id)


def _not_found(ref: str) -> RoleNotFound:
    return RoleNotFound(f"There is no role '{ref}' in this workspace.")


async def get_role(session: AsyncSession, tenant_id: uuid.UUID, ref: str) -> schemas.Role:
    """A role by id, or by key (built-in roles have no id)."""
    if ref in BUILT_IN_ROLES:
        return _built_in_view(ref)
    role = await _find_custom(session, tenant_id, ref)
    if role is None:
        raise _not_found(ref)
    return role_view(role)


async def _custom_for_change(session: AsyncSession, tenant_id: uuid.UUID, ref: str) -> Role:
    if ref in BUILT_IN_ROLES:
        raise RoleReadOnly(f"'{ref}' is a built-in role and cannot be changed; create a custom role.")
    role = await _find_custom(session, tenant_id, ref)
    if role is None:
        raise _not_found(ref)
    return role


async def create_role(
    session: AsyncSession, principal: Principal, data: schemas.RoleCreate, *, ip: str | None = None
) -> schemas.Role:
    repo = RoleRepository(session, principal.tenant_id)
    if data.key in BUILT_IN_ROLES or await repo.get_by_key(data.key) is not None:
        raise RoleKeyTaken(f"A role with the key '{data.key}' already exists.")
    role = repo.add(
        Role(
            key=data.key,
            name=data.name,
            description=data.description,
            permissions=data.permissions.model_dump(mode="json"),
        )
    )
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:  # a concurrent request took the key between the check and the insert
        raise RoleKeyTaken(f"A role with the key '{data.key}' already exists.") from None
    await audit.record_action(
        session, principal, "role.created", ip, {"role_id": str(role.id), "key": role.key}
    )
    return role_view(role)


async def update_role(
    session: AsyncSession, principal: Principal, ref: str, data: schemas.RoleUpdate, *, ip: str | None = None
) -> schemas.Role:
    role = await _custom_for_change(session, principal.tenant_id, ref)
    changed = sorted(data.model_fields_set)
    if data.name is not None:
        role.name = data.name
    if data.description is not None:
        role.description = data.description
    if data.permissions is not None:
        role.permissions = data.permissions.model_dump(mode="json")
    await session.flush()
    await audit.record_action(
        session, principal, "role.updated", ip, {"role_id": str(role.id), "key": role.key, "changed": changed}
    )
    return role_view(role)


async def delete_role(
    session: AsyncSession, principal: Principal, ref: str, *, ip: str | None = None
) -> None:
    role = await _custom_for_change(session, principal.tenant_id, ref)
    if await MembershipQueries(session, principal.tenant_id).role_in_use(role.key, utcnow()):
        raise RoleInUse(f"The role '{role.key}' is held by members or offered by pending invitations.")
    await RoleRepository(session, principal.tenant_id).delete(role)
    await session.flush()
    await audit.record_action(
        session, principal, "role.deleted", ip, {"role_id": str(role.id), "key": role.key}
    )
