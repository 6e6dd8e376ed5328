"""history stints

Revision ID: cd1a0a000011
Revises: bc0f0a000010
Create Date: 2026-11-21
"""

from collections.abc import Sequence

revision: str = "cd1a0a000011"
down_revision: str | None = "bc0f0a000010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
