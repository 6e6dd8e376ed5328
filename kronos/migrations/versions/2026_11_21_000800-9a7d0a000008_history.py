"""field history: reads, durations, erasure

Revision ID: 9a7d0a000008
Revises: 8f6c0a000007
Create Date: 2026-11-21
"""

from collections.abc import Sequence

revision: str = "9a7d0a000008"
down_revision: str | None = "8f6c0a000007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
