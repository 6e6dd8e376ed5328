"""record engine: object metadata, custom fields, companies, contacts, field history

Revision ID: 5c3f0a000004
Revises: 4b2e0a000003
Create Date: 2026-11-21
"""

from collections.abc import Sequence

revision: str = "5c3f0a000004"
down_revision: str | None = "4b2e0a000003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
