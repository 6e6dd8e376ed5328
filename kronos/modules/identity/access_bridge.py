"""What the identity module asks of the access module: a principal's permissions, whether a role key
exists, and recording security events in the audit log.

Imported lazily: the access module builds on identity (memberships, users), so identity must not import it
at module load. Role checks and audit records fall back gracefully while the access module is absent;
permissions do not - there is no safe default for those.
"""

from __future__ import annotations

import uuid
from types import ModuleType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.auth import PermissionSet
from kronos.kit.errors import KronosError

OWNER_ROLE = "owner"
ADMIN_ROLE = "admin"
# The access module's built-in role keys; used only while that module is not installed.
BUILTIN_ROLE_KEYS = frozenset(
    {OWNER_ROLE, ADMIN_ROLE, "sales_manager", "sales_rep", "support_agent", "marketing", "read_only"}
)


def _access_module(name: str) -> ModuleType | None:
    import importlib

    try:
        return importlib.import_module(f"kronos.modules.access.{name}")
    except ModuleNotFoundError as exc:
        if exc.name and (
            exc.name == "kronos.modules.access" or exc.name.startswith("kronos.modules.access.")
        ):
            return None
        raise


async def load_permissions(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[PermissionSet, frozenset[uuid.UUID]]:
    """The member's permission set and the owner ids their record visibility covers."""
    from kronos.modules.access.service import load_principal_permissions

    permissions: PermissionSet
    visible: frozenset[uuid.UUID]
    permissions, visible = await load_principal_permissions(session, tenant_id, user_id)
    return permissions, visible


async def role_exists(session: AsyncSession, tenant_id: uuid.UUID, role: str) -> bool:
    """Is ``role`` a key members of this workspace can be given (built-in or the workspace's custom role)?"""
    service = _access_module("service")
    validate: Any = getattr(service, "validate_role_key", None) if service is not None else None
    if validate is None:
        return role in BUILTIN_ROLE_KEYS
    try:
        await validate(session, tenant_id, role)
    except KronosError as exc:
        if exc.code == "unknown_role":
            return False
        raise
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
    module = _access_module("audit")
    if module is None:
        return
    await module.record(
        session, tenant_id=tenant_id, actor_user_id=actor_user_id, event=event, ip=ip, detail=detail or {}
    )
