"""saved views

Revision ID: ab9e0a000009
Revises: 9a7d0a000008
Create Date: 2026-11-21
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kronos.kit.models
from kronos.kit.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "ab9e0a000009"
down_revision: str | None = "9a7d0a000008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
    )


def _when() -> sa.types.TypeEngine[Any]:
    return kronos.kit.models.UTCDateTime(timezone=True)


def _tail(table: str) -> list[sa.Column[Any] | sa.Constraint]:
    return [
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.Column("deleted_at", _when(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["workspaces.id"], name=f"fk_{table}_tenant_id_workspaces", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=f"pk_{table}"),
    ]


def upgrade() -> None:
    op.create_table(
        "saved_views",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("object", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("filter", _json(), nullable=True),
        sa.Column("sort", sa.String(length=300), nullable=True),
        sa.Column("columns", _json(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        *_tail("saved_views"),
    )
    op.create_index(
        "ix_saved_views_tenant_id_object_owner_id", "saved_views", ["tenant_id", "object", "owner_id"]
    )
    op.create_table(
        "saved_view_defaults",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("object", sa.String(length=64), nullable=False),
        sa.Column("view_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "view_id"],
            ["saved_views.tenant_id", "saved_views.id"],
            name="fk_saved_view_defaults_tenant_id_view_id_saved_views",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "tenant_id", "user_id", "object", name="uq_saved_view_defaults_tenant_id_user_id_object"
        ),
        *_tail("saved_view_defaults"),
    )
    op.create_index(
        "ix_saved_view_defaults_tenant_id_view_id", "saved_view_defaults", ["tenant_id", "view_id"]
    )
    enable_tenant_rls(op, "saved_views")
    enable_tenant_rls(op, "saved_view_defaults")


def downgrade() -> None:
    disable_tenant_rls(op, "saved_view_defaults")
    disable_tenant_rls(op, "saved_views")
    op.drop_index("ix_saved_view_defaults_tenant_id_view_id", table_name="saved_view_defaults")
    op.drop_table("saved_view_defaults")
    op.drop_index("ix_saved_views_tenant_id_object_owner_id", table_name="saved_views")
    op.drop_table("saved_views")
