"""Indexes for the snapshot's change detection: (workspace_id, updated_at) on orders, contacts

One covering scan of each then yields every bucket's row count and last update.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_order_workspace_updated", "orders", ["workspace_id", "updated_at"])
    op.create_index("ix_contact_workspace_updated", "contact", ["workspace_id", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_contact_workspace_updated", table_name="contact")
    op.drop_index("ix_order_workspace_updated", table_name="orders")
