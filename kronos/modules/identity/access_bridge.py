"""What the identity module asks of the access module: a principal's permissions, whether a role key
exists, and recording security events in the audit log.

The access module's services are imported inside the functions: access builds on identity (its repository
reads memberships and users), so importing them when identity loads would make the two load each other.
``kronos.modules.access.permissions`` depends on nothing but kit, so its role keys are imported directly.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from kronos.modules.access.permissions import OWNER_ROLE

if TYPE_CHECKING:
    from kronos.modules.access.service import PrincipalAccess

__all__ = ["OWNER_ROLE", "audit", "load_permissions", "role_exists"]


async def load_permissions(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> PrincipalAccess:
    """The member's permission set, the owner ids their record visibility covers, the schema version."""
    from kronos.modules.access.service import load_principal_access

    return await load_principal_access(session, tenant_id, user_id)


async def role_exists(session: AsyncSession, tenant_id: uuid.UUID, role: str) -> bool:
    """Is ``role`` a key members of this workspace can be given (built-in or the workspace's custom role)?"""
    from kronos.modules.access.exceptions import UnknownRole
    from kronos.modules.access.service import validate_role_key

    try:
        await validate_role_key(session, tenant_id, role)
    except UnknownRole:
        return False
    return True


async def audit(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID | None,
    actor_user_id: uuid.UUID | None,
    event: str,
    ip: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record a security event in the workspace's audit log, in the caller's transaction (``tenant_id`` None:
    an event of no workspace, e.g. a failed sign-in for an unknown address)."""
    from kronos.modules.access.audit import record

    await record(
        session, tenant_id=tenant_id, actor_user_id=actor_user_id, event=event, ip=ip, detail=detail or {}
    )
