"""unique values

Revision ID: bc0f0a000010
Revises: ab9e0a000009
Create Date: 2026-11-21
"""

from collections.abc import Sequence

revision: str = "bc0f0a000010"
down_revision: str | None = "ab9e0a000009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
