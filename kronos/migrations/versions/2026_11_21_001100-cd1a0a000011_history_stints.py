"""history stints: field_stints, kept by the write path, backfilled from field_history

Revision ID: cd1a0a000011
Revises: bc0f0a000010
Create Date: 2026-11-21

Creates ``field_stints`` (see ``kronos.kit.records.models.FieldStint`` and ``kronos.kit.records.stints``) and
fills it from ``field_history`` in one set-based ``INSERT ... SELECT`` — the same statement the engine uses
to rebuild one record's stints, so the backfill and the write path agree by construction (a test checks the
write path against that statement). The tracked standard fields are the ones declared in code as of this
revision (``_STANDARD``; a test compares it with the code); custom select/relation/user fields and custom
objects' owners are read from the workspace's metadata.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import kronos.kit.models
from kronos.kit.records import stints
from kronos.kit.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "cd1a0a000011"
down_revision: str | None = "bc0f0a000010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (object, field): the single-valued select, relation and user fields standard objects declare, as of now.
_STANDARD = (
    ("activities", "assignee_id"),
    ("activities", "kind"),
    ("companies", "industry"),
    ("companies", "owner_id"),
    ("companies", "size"),
    ("contacts", "company_id"),
    ("contacts", "owner_id"),
    ("deals", "company_id"),
    ("deals", "outcome"),
    ("deals", "owner_id"),
    ("deals", "pipeline_id"),
    ("deals", "stage_id"),
    ("leads", "converted_company_id"),
    ("leads", "converted_contact_id"),
    ("leads", "converted_deal_id"),
    ("leads", "owner_id"),
    ("leads", "status"),
    ("stages", "pipeline_id"),
    ("stages", "type"),
)


def _when() -> sa.types.TypeEngine[Any]:
    return kronos.kit.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "field_stints",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("object", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("entered_at", _when(), nullable=False),
        sa.Column("left_at", _when(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["workspaces.id"], name="fk_field_stints_tenant_id_workspaces", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_field_stints"),
    )
    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect == "postgresql":
        op.execute("SET LOCAL work_mem = '256MB'")
    rows = stints.history_rows(dialect, stints.tracked_everywhere(_STANDARD))
    bind.execute(stints.insert_statement(stints.rebuild_select(dialect, rows)))
    # Indexes after the bulk insert: one sort each instead of a row-by-row index build.
    op.create_index(
        "ix_field_stints_field",
        "field_stints",
        ["tenant_id", "object", "field", "entered_at"],
        postgresql_include=["left_at", "record_id", "value"],
    )
    op.create_index(
        "ix_field_stints_record", "field_stints", ["tenant_id", "object", "record_id", "field", "entered_at"]
    )
    enable_tenant_rls(op, "field_stints")


def downgrade() -> None:
    disable_tenant_rls(op, "field_stints")
    op.drop_table("field_stints")
