"""Contact updated_at, so the warehouse snapshot can export only what changed

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 08:58:35.054021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite cannot ADD COLUMN with a non-constant default: rebuild the table there.
    with op.batch_alter_table("contact", recreate="auto" if _postgres() else "always") as batch:
        batch.add_column(
            sa.Column(
                "updated_at",
                sa.DateTime(timezone=True),
                server_default=sa.text("CURRENT_TIMESTAMP"),
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("updated_at")


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"
