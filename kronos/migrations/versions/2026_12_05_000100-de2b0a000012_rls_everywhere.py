"""row-level security on the last three tables with a tenant column

Sessions, the outbox and the dead-letter store carry ``tenant_id`` but had no policy: a transaction bound to
one workspace could read another's sessions and events. ``tests/modules/access/test_rls.py`` now fails when
any table with a ``tenant_id`` column lacks the policy.

Revision ID: de2b0a000012
Revises: cd1a0a000011
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

from kronos.kit.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "de2b0a000012"
down_revision: str | None = "cd1a0a000011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("auth_sessions", "outbox_events", "dead_letters")


def upgrade() -> None:
    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_tenant_rls(op, table)
