"""access control: roles, teams, API keys, audit log, row-level security

Revision ID: 4b2e0a000003
Revises: 3a1d0a000002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

revision: str = "4b2e0a000003"
down_revision: str | None = "3a1d0a000002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
