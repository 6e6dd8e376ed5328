"""The audit log: an append-only trail of security events, written in the caller's transaction.

Other modules call ``record``; it only adds a row, so the event is stored exactly when the change it
describes is. Event names are ``domain.event`` (``auth.login_succeeded``, ``role.created``...).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.auth import Principal
from kronos.modules.access.models import AuditEvent

MAX_DETAIL_KEYS = 50


async def record(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID | None,
    actor_user_id: uuid.UUID | None,
    event: str,
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
    actor_api_key_id: uuid.UUID | None = None,
) -> AuditEvent:
    """Add one audit row to the session's transaction (flushed with the caller's other changes).

    ``tenant_id`` is None only for events that belong to no workspace (a failed sign-in for an unknown
    address). ``detail`` must be JSON-serialisable and must never hold secrets (passwords, tokens, keys).
    """
    row = AuditEvent(
        tenant_id=tenant_id,
        actor_user_id=actor_user_id,
        actor_api_key_id=actor_api_key_id,
        event=event[:64],
        ip=ip[:45] if ip else None,
        detail=dict(list(detail.items())[:MAX_DETAIL_KEYS]) if detail else None,
    )
    session.add(row)
    return row


async def record_action(
    session: AsyncSession,
    principal: Principal,
    event: str,
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """``record`` for an action a signed-in principal (or its API key) took in its workspace."""
    return await record(
        session,
        tenant_id=principal.tenant_id,
        actor_user_id=principal.user_id,
        actor_api_key_id=principal.api_key_id,
        event=event,
        ip=ip,
        detail=detail,
    )


async def list_events(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: uuid.UUID | None = None,
    event: str | None = None,
    actor_user_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Sequence[AuditEvent]:
    """Newest first, keyset on ``id`` (UUIDv7, so id order is time order): ``after`` is the last id seen."""
    statement = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
    if after is not None:
        statement = statement.where(AuditEvent.id < after)
    if event is not None:
        statement = statement.where(AuditEvent.event == event)
    if actor_user_id is not None:
        statement = statement.where(AuditEvent.actor_user_id == actor_user_id)
    if since is not None:
        statement = statement.where(AuditEvent.created_at >= since)
    if until is not None:
        statement = statement.where(AuditEvent.created_at < until)
    statement = statement.order_by(AuditEvent.id.desc()).limit(limit)
    return (await session.scalars(statement)).all()
