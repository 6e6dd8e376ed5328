"""sensitive fields: field_definitions.sensitive and .decrypting

Revision ID: ef3c0a000013
Revises: de2b0a000012
Create Date: 2026-12-05

A custom field marked ``sensitive`` has its values stored encrypted in records and history
(``kronos.kit.records.sensitive``); ``decrypting`` marks one switched off whose values a job is still
decrypting. Both default to false: existing fields stay as they are.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ef3c0a000013"
down_revision: str | None = "de2b0a000012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("field_definitions") as batch:
        batch.add_column(sa.Column("sensitive", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("decrypting", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    # Values a sensitive field holds stay sealed: decrypt them first (switch the fields off) to keep them
    # readable by the older code.
    with op.batch_alter_table("field_definitions") as batch:
        batch.drop_column("decrypting")
        batch.drop_column("sensitive")
