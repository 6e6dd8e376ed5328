"""access control: roles, teams, API keys, audit log, row-level security

Revision ID: 4b2e0a000003
Revises: 3a1d0a000002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kronos.kit.models
from kronos.kit.rls import (
    disable_tenant_rls,
    enable_tenant_rls,
    grant_tenant_role,
    revoke_tenant_role,
)

revision: str = "4b2e0a000003"
down_revision: str | None = "3a1d0a000002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
NEW_TENANT_TABLES = ("roles", "teams", "team_members", "api_keys", "audit_events")


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", kronos.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kronos.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", kronos.kit.models.UTCDateTime(timezone=True), nullable=True),
    ]


def _tenant(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["workspaces.id"], name=op.f(f"fk_{table}_tenant_id_workspaces"), ondelete="CASCADE"
    )


def _earlier_tenant_tables() -> list[str]:
    """Tables of earlier migrations keyed by tenant first (memberships, invitations...): tenant-owned rows.
    Global tables that merely record a workspace (sessions, the outbox) stay readable without a tenant."""
    inspector = sa.inspect(op.get_bind())
    return sorted(
        name
        for name in inspector.get_table_names()
        if name not in NEW_TENANT_TABLES
        and "tenant_id" in (inspector.get_pk_constraint(name).get("constrained_columns") or [])
    )


def upgrade() -> None:
    op.create_table(
        "roles",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("permissions", JSON, nullable=False),
        *_timestamps(),
        _tenant("roles"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_roles")),
        sa.UniqueConstraint("tenant_id", "key", name=op.f("uq_roles_tenant_id_key")),
    )
    op.create_table(
        "teams",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        *_timestamps(),
        _tenant("teams"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_teams")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_teams_tenant_id_name")),
    )
    op.create_table(
        "team_members",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("is_manager", sa.Boolean(), nullable=False),
        *_timestamps(),
        _tenant("team_members"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "team_id"],
            ["teams.tenant_id", "teams.id"],
            name=op.f("fk_team_members_tenant_id_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_team_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_team_members")),
        sa.UniqueConstraint(
            "tenant_id", "team_id", "user_id", name=op.f("uq_team_members_tenant_id_team_id_user_id")
        ),
    )
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.create_index("ix_team_members_tenant_id_user_id", ["tenant_id", "user_id"], unique=False)

    op.create_table(
        "api_keys",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("scope", JSON, nullable=False),
        sa.Column("expires_at", kronos.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", kronos.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", kronos.kit.models.UTCDateTime(timezone=True), nullable=True),
        *_timestamps(),
        _tenant("api_keys"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index("ix_api_keys_tenant_id_user_id", ["tenant_id", "user_id"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("actor_api_key_id", sa.Uuid(), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("detail", JSON, nullable=True),
        sa.Column("created_at", kronos.kit.models.UTCDateTime(timezone=True), nullable=False),
        _tenant("audit_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_tenant_id_id", ["tenant_id", "id"], unique=False)
        batch_op.create_index(
            "ix_audit_events_tenant_id_event_id", ["tenant_id", "event", "id"], unique=False
        )
        batch_op.create_index(
            "ix_audit_events_tenant_id_actor_user_id_id", ["tenant_id", "actor_user_id", "id"], unique=False
        )

    # Row-level security (PostgreSQL only; no-ops on SQLite). Grants first: they cover every table so far,
    # and default privileges cover the tables later migrations create.
    grant_tenant_role(op)
    for table in (*_earlier_tenant_tables(), *NEW_TENANT_TABLES):
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in (*_earlier_tenant_tables(), *NEW_TENANT_TABLES):
        disable_tenant_rls(op, table)
    revoke_tenant_role(op)

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_tenant_id_actor_user_id_id")
        batch_op.drop_index("ix_audit_events_tenant_id_event_id")
        batch_op.drop_index("ix_audit_events_tenant_id_id")
    op.drop_table("audit_events")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_api_keys_tenant_id_user_id")
    op.drop_table("api_keys")
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.drop_index("ix_team_members_tenant_id_user_id")
    op.drop_table("team_members")
    op.drop_table("teams")
    op.drop_table("roles")
