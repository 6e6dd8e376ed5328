"""crm objects: pipelines, stages, deals, leads, activities

Revision ID: 6d4a0a000005
Revises: 5c3f0a000004
Create Date: 2026-11-21
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kronos.kit.models
from kronos.kit.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "6d4a0a000005"
down_revision: str | None = "5c3f0a000004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("pipelines", "stages", "deals", "leads", "activities")


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _when() -> sa.types.TypeEngine[Any]:
    return kronos.kit.models.UTCDateTime(timezone=True)


def _head() -> list[sa.Column[Any]]:
    return [
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
    ]


def _tail(table: str) -> list[sa.Column[Any] | sa.Constraint]:
    return [
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("custom", _json(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.Column("deleted_at", _when(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["workspaces.id"], name=f"fk_{table}_tenant_id_workspaces", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=f"pk_{table}"),
    ]


def _fk(owner: str, column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{table}.tenant_id", f"{table}.id"],
        name=f"fk_{owner}_tenant_id_{column}_{table}",
    )


def upgrade() -> None:
    op.create_table(
        "pipelines",
        *_head(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Float(), nullable=True),
        *_tail("pipelines"),
    )
    op.create_index(
        "uq_pipelines_tenant_id_default",
        "pipelines",
        ["tenant_id"],
        unique=True,
        postgresql_where=sa.text("deleted_at IS NULL AND is_default"),
        sqlite_where=sa.text("deleted_at IS NULL AND is_default"),
    )
    op.create_index("ix_pipelines_tenant_id_created_at", "pipelines", ["tenant_id", "created_at"])

    op.create_table(
        "stages",
        *_head(),
        sa.Column("pipeline_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("position", sa.Float(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        *_tail("stages"),
        _fk("stages", "pipeline_id", "pipelines"),
    )
    op.create_index(
        "ix_stages_tenant_id_pipeline_id_position", "stages", ["tenant_id", "pipeline_id", "position"]
    )
    op.create_index("ix_stages_tenant_id_created_at", "stages", ["tenant_id", "created_at"])

    op.create_table(
        "deals",
        *_head(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.CHAR(length=3), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("pipeline_id", sa.Uuid(), nullable=True),
        sa.Column("stage_id", sa.Uuid(), nullable=True),
        sa.Column("company_id", sa.Uuid(), nullable=True),
        sa.Column("contact_ids", _json(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("closed_at", _when(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        *_tail("deals"),
        _fk("deals", "pipeline_id", "pipelines"),
        _fk("deals", "stage_id", "stages"),
        _fk("deals", "company_id", "companies"),
    )
    for columns in (
        ("stage_id",),
        ("company_id",),
        ("owner_id",),
        ("amount_minor",),
        ("close_date",),
        ("created_at",),
    ):
        op.create_index(f"ix_deals_tenant_id_{'_'.join(columns)}", "deals", ["tenant_id", *columns])

    op.create_table(
        "leads",
        *_head(),
        sa.Column("first_name", sa.String(length=255), nullable=True),
        sa.Column("last_name", sa.String(length=255), nullable=False),
        sa.Column("company_name", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("contact_ids", _json(), nullable=True),
        sa.Column("converted_at", _when(), nullable=True),
        sa.Column("converted_contact_id", sa.Uuid(), nullable=True),
        sa.Column("converted_company_id", sa.Uuid(), nullable=True),
        sa.Column("converted_deal_id", sa.Uuid(), nullable=True),
        *_tail("leads"),
        _fk("leads", "converted_contact_id", "contacts"),
        _fk("leads", "converted_company_id", "companies"),
        _fk("leads", "converted_deal_id", "deals"),
    )
    for column in ("status", "email", "owner_id", "created_at"):
        op.create_index(f"ix_leads_tenant_id_{column}", "leads", ["tenant_id", column])

    op.create_table(
        "activities",
        *_head(),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("due_at", _when(), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("links", _json(), nullable=True),
        *_tail("activities"),
    )
    op.create_index(
        "ix_activities_tenant_id_assignee_id_due_at", "activities", ["tenant_id", "assignee_id", "due_at"]
    )
    op.create_index("ix_activities_tenant_id_created_at", "activities", ["tenant_id", "created_at"])
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        disable_tenant_rls(op, table)
    # Dropping a table drops its indexes and constraints with it, on SQLite and PostgreSQL alike.
    for table in ("activities", "leads", "deals", "stages", "pipelines"):
        op.drop_table(table)
