"""identity and sign-in: sessions, refresh tokens, 2FA, resets, invitations

Revision ID: 3a1d0a000002
Revises: 2f0d1a000001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

revision: str = "3a1d0a000002"
down_revision: str | None = "2f0d1a000001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
