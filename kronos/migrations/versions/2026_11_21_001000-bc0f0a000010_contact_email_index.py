"""contact e-mails: an index for their uniqueness check and upserts

Revision ID: bc0f0a000010
Revises: ab9e0a000009
Create Date: 2026-11-21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "bc0f0a000010"
down_revision: str | None = "ab9e0a000009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Contact e-mails are unique per workspace: every create and every upsert asks "does a live contact hold
    # any of these addresses?" (jsonb @> / ?|). A GIN index answers that without scanning the table. SQLite
    # has no such index; its check reads the workspace's contacts (fine at an embedded workspace's size).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_contacts_emails ON contacts USING gin (emails)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_contacts_emails")
