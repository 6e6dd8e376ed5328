"""Tables of access control: custom roles, teams and their members, API keys, and the audit log.

Built-in roles live in code (``kronos.modules.access.permissions``), not in ``roles``: a workspace's table
holds only the roles its admins made. ``Membership.role`` names a role by key, built-in or custom.
Roles and teams are deleted for real (nothing else refers to them by id); API keys are revoked, not deleted,
so the audit log can still name them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kronos.kit.clock import utcnow
from kronos.kit.ids import uuid7
from kronos.kit.models import Base, TenantModel


class Role(TenantModel):
    """A custom role; ``permissions`` is the JSON form of ``permissions.Permissions``."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    permissions: Mapped[dict[str, Any]]


class Team(TenantModel):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")


class TeamMember(TenantModel):
    """A user in a team; a manager sees the records of everyone in the team ("team" visibility)."""

    __tablename__ = "team_members"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "team_id"], ["teams.tenant_id", "teams.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "team_id", "user_id"),
        # load_principal_access (principal_row): "the teams this user manages" in one index range.
        Index("ix_team_members_tenant_id_user_id", "tenant_id", "user_id"),
    )

    team_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    is_manager: Mapped[bool] = mapped_column(default=False)


class ApiKey(TenantModel):
    """A key acting for ``user_id`` in one workspace within ``scope``; only a hash of the secret is kept."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_tenant_id_user_id", "tenant_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    # Unique across the installation: a key is looked up by prefix before its workspace is known.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scope: Mapped[dict[str, Any]]
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class AuditEvent(Base):
    """One security event, append-only.

    ``tenant_id`` may be empty: a failed sign-in for an unknown address belongs to no workspace. That is why
    the key is ``id`` alone rather than ``(tenant_id, id)``; the admin's listing reads ``(tenant_id, id)``.
    No foreign key on the actor: the trail outlives the account it names.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_tenant_id_id", "tenant_id", "id"),
        Index("ix_audit_events_tenant_id_event_id", "tenant_id", "event", "id"),
        Index("ix_audit_events_tenant_id_actor_user_id_id", "tenant_id", "actor_user_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(64))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    actor_api_key_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    ip: Mapped[str | None] = mapped_column(String(45), default=None)
    detail: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
