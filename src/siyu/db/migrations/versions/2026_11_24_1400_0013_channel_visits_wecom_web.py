"""channel visits; WeCom on the web

Revision ID: 0013
Revises: 0010
Create Date: 2026-11-24 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "channel_visit",
        sa.Column("channel_code_id", ID, nullable=False),
        sa.Column("staff_account_id", ID, nullable=True),
        sa.Column("order_token", sa.String(length=16), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_code_id"],
            ["channel_code.id"],
            name=op.f("fk_channel_visit_channel_code_id_channel_code"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_account_id"],
            ["staff_account.id"],
            name=op.f("fk_channel_visit_staff_account_id_staff_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_channel_visit_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_visit")),
    )
    op.create_index(
        "ix_channel_visit_code", "channel_visit", ["channel_code_id", "visited_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_channel_visit_code", table_name="channel_visit")
    op.drop_table("channel_visit")
