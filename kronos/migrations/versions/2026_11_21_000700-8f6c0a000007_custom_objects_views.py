"""custom objects and their records; schema versions

Revision ID: 8f6c0a000007
Revises: 7e5b0a000006
Create Date: 2026-11-21
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kronos.kit.models
from kronos.kit.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "8f6c0a000007"
down_revision: str | None = "7e5b0a000006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when() -> sa.types.TypeEngine[Any]:
    return kronos.kit.models.UTCDateTime(timezone=True)


def _common(table: str) -> list[Any]:
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
        "custom_objects",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("api_name", sa.String(length=64), nullable=False),
        sa.Column("singular", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("label_plural", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("archived_at", _when(), nullable=True),
        *_common("custom_objects"),
        sa.UniqueConstraint("tenant_id", "api_name", name="uq_custom_objects_tenant_id_api_name"),
    )
    op.create_table(
        "custom_records",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("object", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "custom",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        *_common("custom_records"),
    )
    for column in ("created_at", "name", "owner_id"):
        op.create_index(
            f"ix_custom_records_tenant_id_object_{column}", "custom_records", ["tenant_id", "object", column]
        )
    op.create_table(
        "schema_versions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["workspaces.id"],
            name="fk_schema_versions_tenant_id_workspaces",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_schema_versions"),
    )
    enable_tenant_rls(op, "custom_objects")
    enable_tenant_rls(op, "custom_records")
    enable_tenant_rls(op, "schema_versions")


def downgrade() -> None:
    disable_tenant_rls(op, "schema_versions")
    disable_tenant_rls(op, "custom_records")
    disable_tenant_rls(op, "custom_objects")
    op.drop_table("schema_versions")
    op.drop_table("custom_records")
    op.drop_table("custom_objects")
