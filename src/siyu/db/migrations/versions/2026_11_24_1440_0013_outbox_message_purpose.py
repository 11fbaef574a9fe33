"""outbox message purpose: the worker re-checks the consent of the message's purpose

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "outbox_message",
        sa.Column("purpose", sa.String(length=16), server_default="marketing", nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch_op:
        batch_op.drop_column("purpose")
