"""record engine: object metadata, custom fields, companies, contacts, field history

Revision ID: 5c3f0a000004
Revises: 4b2e0a000003
Create Date: 2026-11-21
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kronos.kit.models
from kronos.kit.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "5c3f0a000004"
down_revision: str | None = "4b2e0a000003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _when() -> sa.types.TypeEngine[Any]:
    return kronos.kit.models.UTCDateTime(timezone=True)


def _tenant_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
    ]


def _record_tail(table: str) -> list[sa.Column[object] | sa.Constraint]:
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


TENANT_TABLES = ("field_definitions", "field_history", "companies", "contacts")


def upgrade() -> None:
    op.create_table(
        "field_definitions",
        *_tenant_columns(),
        sa.Column("object", sa.String(length=64), nullable=False),
        sa.Column("api_name", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("options", _json(), nullable=False),
        sa.Column("settings", _json(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("unique", sa.Boolean(), nullable=False),
        sa.Column("default", _json(), nullable=True),
        sa.Column("help_text", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("archived_at", _when(), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.Column("deleted_at", _when(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["workspaces.id"],
            name="fk_field_definitions_tenant_id_workspaces",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_field_definitions"),
        sa.UniqueConstraint(
            "tenant_id", "object", "api_name", name="uq_field_definitions_tenant_id_object_api_name"
        ),
    )
    op.create_table(
        "field_history",
        *_tenant_columns(),
        sa.Column("object", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("op", sa.String(length=16), nullable=False),
        sa.Column("old_value", _json(), nullable=True),
        sa.Column("new_value", _json(), nullable=True),
        sa.Column("changed_at", _when(), nullable=False),
        sa.Column("change_set_id", sa.Uuid(), nullable=False),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("actor_api_key_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["workspaces.id"], name="fk_field_history_tenant_id_workspaces", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_field_history"),
    )
    op.create_index(
        "ix_field_history_record",
        "field_history",
        ["tenant_id", "object", "record_id", sa.text("changed_at DESC"), sa.text("id DESC")],
    )
    op.create_index("ix_field_history_field", "field_history", ["tenant_id", "object", "field", "changed_at"])

    op.create_table(
        "companies",
        *_tenant_columns(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=True),
        sa.Column("industry", sa.String(length=64), nullable=True),
        sa.Column("size", sa.String(length=64), nullable=True),
        sa.Column("address_street", sa.String(length=255), nullable=True),
        sa.Column("address_city", sa.String(length=255), nullable=True),
        sa.Column("address_region", sa.String(length=255), nullable=True),
        sa.Column("address_postal_code", sa.String(length=255), nullable=True),
        sa.Column("address_country", sa.String(length=255), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        *_record_tail("companies"),
    )
    op.create_index(
        "uq_companies_tenant_id_domain",
        "companies",
        ["tenant_id", "domain"],
        unique=True,
        postgresql_where=sa.text("deleted_at IS NULL AND domain IS NOT NULL"),
        sqlite_where=sa.text("deleted_at IS NULL AND domain IS NOT NULL"),
    )
    op.create_index("ix_companies_tenant_id_name", "companies", ["tenant_id", "name"])
    op.create_index("ix_companies_tenant_id_owner_id", "companies", ["tenant_id", "owner_id"])
    op.create_index("ix_companies_tenant_id_created_at", "companies", ["tenant_id", "created_at"])

    op.create_table(
        "contacts",
        *_tenant_columns(),
        sa.Column("first_name", sa.String(length=255), nullable=True),
        sa.Column("last_name", sa.String(length=255), nullable=False),
        sa.Column("emails", _json(), nullable=True),
        sa.Column("phones", _json(), nullable=True),
        sa.Column("job_title", sa.String(length=255), nullable=True),
        sa.Column("company_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        *_record_tail("contacts"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "company_id"],
            ["companies.tenant_id", "companies.id"],
            name="fk_contacts_tenant_id_company_id_companies",
        ),
    )
    op.create_index("ix_contacts_tenant_id_last_name", "contacts", ["tenant_id", "last_name"])
    op.create_index("ix_contacts_tenant_id_company_id", "contacts", ["tenant_id", "company_id"])
    op.create_index("ix_contacts_tenant_id_owner_id", "contacts", ["tenant_id", "owner_id"])
    op.create_index("ix_contacts_tenant_id_created_at", "contacts", ["tenant_id", "created_at"])
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        disable_tenant_rls(op, table)
    op.drop_table("contacts")
    op.drop_table("companies")
    op.drop_table("field_history")
    op.drop_table("field_definitions")
