"""Tables of saved views: a named filter, sort and column set over one object, personal or shared.

``owner_id`` is the user who made the view; it carries no foreign key to ``users`` on purpose, like the
actor columns of ``field_history``: a view outlives nothing it points to, and removing a member from a
workspace is not a reason to fail or cascade here. A user's default view of an object is a row of
``saved_view_defaults`` (one per user and object), so anyone may pick a shared view as their default
without changing the view itself.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kronos.kit.models import TenantModel
from kronos.kit.records.models import NullableJSON


class SavedView(TenantModel):
    __tablename__ = "saved_views"
    __table_args__ = (
        # Listing: a user's own views and the shared ones of an object, in order.
        Index("ix_saved_views_tenant_id_object_owner_id", "tenant_id", "object", "owner_id"),
    )

    object: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    shared: Mapped[bool] = mapped_column(default=False)
    owner_id: Mapped[uuid.UUID]
    filter: Mapped[Any] = mapped_column(NullableJSON, nullable=True, default=None)
    sort: Mapped[str | None] = mapped_column(String(300), default=None)
    columns: Mapped[Any] = mapped_column(NullableJSON, nullable=True, default=None)
    position: Mapped[int] = mapped_column(default=0)


class SavedViewDefault(TenantModel):
    """The view a user opens an object's list with: their own or a shared one."""

    __tablename__ = "saved_view_defaults"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id", "object"),
        ForeignKeyConstraint(
            ["tenant_id", "view_id"], ["saved_views.tenant_id", "saved_views.id"], ondelete="CASCADE"
        ),
        Index("ix_saved_view_defaults_tenant_id_view_id", "tenant_id", "view_id"),
    )

    user_id: Mapped[uuid.UUID]
    object: Mapped[str] = mapped_column(String(64))
    view_id: Mapped[uuid.UUID]
