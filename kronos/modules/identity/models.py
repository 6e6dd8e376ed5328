"""Workspaces (the tenants), user accounts (global: one person may belong to several workspaces) and the
memberships that join them."""

from __future__ import annotations

import uuid

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


class Membership(TenantModel):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(64))
