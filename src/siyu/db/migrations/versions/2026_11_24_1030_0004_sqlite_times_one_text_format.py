"""SQLite: every stored time in one text format, 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC)

Bulk writes before this revision let the driver format aware datetimes ('…+00:00', no
fraction when zero) and server defaults wrote no fraction; SQLite compares times as text,
so mixed formats order wrongly within a second. PostgreSQL stores real timestamps: no-op.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NORMALISE = """
UPDATE "{table}" SET "{column}" = CASE
    WHEN length("{column}") = 19 THEN "{column}" || '.000000'
    WHEN length("{column}") = 25 AND substr("{column}", 20) = '+00:00'
        THEN substr("{column}", 1, 19) || '.000000'
    WHEN length("{column}") = 32 AND substr("{column}", 27) = '+00:00'
        THEN substr("{column}", 1, 26)
    ELSE "{column}" END
WHERE "{column}" IS NOT NULL AND length("{column}") <> 26
"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    inspector = sa.inspect(bind)
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            if isinstance(column["type"], sa.DateTime):
                op.execute(NORMALISE.format(table=table, column=column["name"]))


def downgrade() -> None:
    """Nothing to undo: the normalised text is what every reader already accepts."""
