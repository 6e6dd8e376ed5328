"""Workspaces (the tenants), user accounts (global: one person may belong to several workspaces), the
memberships that join them, and what signing in leaves behind: sessions with their refresh tokens,
password-reset tokens, recovery codes and invitations.

Sessions, refresh tokens, reset tokens and recovery codes belong to a *user*, not to a workspace, and are
read before any workspace is known (sign-in, refresh): they are global tables, like ``users``. A session
still records the workspace it signed into, so listing and revoking stay scoped to that workspace.
Invitations belong to the workspace that sends them: a tenant table.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kronos.kit.models import GlobalModel, SoftDeleteMixin, TenantModel


class Workspace(SoftDeleteMixin, GlobalModel):
    __tablename__ = "workspaces"

    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    default_currency: Mapped[str] = mapped_column(String(3), default="USD")
    locale: Mapped[str] = mapped_column(String(35), default="en-US")
    fiscal_year_start_month: Mapped[int] = mapped_column(default=1)


class User(GlobalModel):
    __tablename__ = "users"

    # Stored lower-cased; unique across the installation because it is the sign-in name.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    # TOTP: the secret offered by /2fa/setup waits in totp_pending_secret until a code proves it.
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(default=None)
    # The time step of the last accepted code: a code is good once, even within its window.
    totp_last_counter: Mapped[int | None] = mapped_column(default=None)
    password_changed_at: Mapped[datetime | None] = mapped_column(default=None)


class Membership(TenantModel):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # A role key the access module knows: built-in ("owner", "admin", "sales_rep", ...) or custom.
    role: Mapped[str] = mapped_column(String(64))
    # Sign-in without a workspace_id goes to the most recently used workspace.
    last_signed_in_at: Mapped[datetime | None] = mapped_column(default=None)


class AuthSession(GlobalModel):
    """A signed-in device: one refresh-token family. Access tokens carry its id and die with it."""

    __tablename__ = "auth_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    last_used_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)


class RefreshToken(GlobalModel):
    """One refresh token of a family (the session). Rotation marks it used; showing a used one again means it
    was stolen, and the whole family is revoked."""

    __tablename__ = "refresh_tokens"

    family_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class PasswordResetToken(GlobalModel):
    __tablename__ = "password_reset_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class RecoveryCode(GlobalModel):
    __tablename__ = "recovery_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class Invitation(TenantModel):
    __tablename__ = "invitations"

    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(64))
    # Looked up by hash alone when accepted (the token names the workspace), hence unique across tenants.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    invited_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
