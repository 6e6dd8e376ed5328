"""idempotency keys

Revision ID: 7e5b0a000006
Revises: 6d4a0a000005
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kronos.kit.models
from kronos.kit.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "7e5b0a000006"
down_revision: str | None = "6d4a0a000005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("principal", sa.Uuid(), nullable=False),
        sa.Column("endpoint", sa.String(length=300), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column(
            "response_body",
            sa.JSON(none_as_null=True).with_variant(
                postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
            ),
            nullable=True,
        ),
        sa.Column("created_at", kronos.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["workspaces.id"],
            name="fk_idempotency_keys_tenant_id_workspaces",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "key", "principal", name="pk_idempotency_keys"),
    )
    enable_tenant_rls(op, "idempotency_keys")


def downgrade() -> None:
    disable_tenant_rls(op, "idempotency_keys")
    op.drop_table("idempotency_keys")
