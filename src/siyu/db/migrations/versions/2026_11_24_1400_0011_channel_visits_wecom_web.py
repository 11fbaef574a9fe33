"""channel visits; WeCom calls move to the general outbox

`wecom_outbox` is folded into `outbox_message` (channel `wecom`): its pending rows move over
(decrypted with the personal-data key, which is needed only when there are some), then the
table goes. A pending welcome message cannot move: WeCom's welcome code lived 20 seconds.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 14:00:00
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
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
    _move_wecom_outbox()
    with op.batch_alter_table("wecom_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_wecom_outbox_status")
    op.drop_table("wecom_outbox")


def _move_wecom_outbox() -> None:
    bind = op.get_bind()
    pending = bind.execute(
        sa.text(
            "SELECT id, workspace_id, kind, payload_enc FROM wecom_outbox "
            "WHERE status = 'pending' AND kind IN ('tag', 'template') ORDER BY id"
        )
    ).all()
    if not pending:
        return
    from siyu.config import get_settings  # only when there is something to move
    from siyu.customers.rules import identifier
    from siyu.models.enums import IdentityKind
    from siyu.store import load_cipher

    cipher = load_cipher(get_settings())
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for row_id, workspace_id, kind, blob in pending:
        payload = json.loads(cipher.decrypt(bytes(blob)))
        sender = payload["userid"] if kind == "tag" else payload["sender"]
        staff_id = bind.execute(
            sa.text("SELECT id FROM staff_account WHERE workspace_id = :w AND code = :c"),
            {"w": workspace_id, "c": sender},
        ).scalar()
        externals = [payload["external_userid"]] if kind == "tag" else payload["external_userids"]
        content = (
            {"kind": "tag", "add_tag": payload["add_tag"]}
            if kind == "tag"
            else {"kind": "text", "text": payload["text"]}
        )
        for external in externals:
            key = identifier(IdentityKind.EXTERNAL_USERID, external)
            if key is None:
                continue
            index = cipher.blind_index(f"{key.kind}/{key.platform}", key.value)
            customer_id = bind.execute(
                sa.text(
                    "SELECT customer_id FROM identity WHERE workspace_id = :w "
                    "AND kind = 'external_userid' AND blind_index = :i"
                ),
                {"w": workspace_id, "i": index},
            ).scalar()
            if customer_id is None:
                continue
            rows.append({
                "workspace_id": workspace_id, "channel": "wecom", "customer_id": customer_id,
                "target": "", "staff_account_id": staff_id, "touch_id": None,
                "idempotency_key": f"wecom:moved:{row_id}:{customer_id}",
                "payload": content, "source_kind": "wecom_outbox", "source_id": row_id,
                "status": "pending", "attempts": 0, "next_attempt_at": now,
                "lease_until": None, "leased_by": None, "sent_at": None, "provider_ref": "",
                "last_error": "", "created_at": now, "updated_at": now,
            })  # fmt: skip
    if rows:
        from siyu.models import OutboxMessage  # its column types write times as siyu does

        # only the columns the table has at this revision (later ones add more)
        columns = [sa.Column(c.name, c.type) for c in OutboxMessage.__table__.columns
                   if c.name in rows[0]]  # fmt: skip
        op.bulk_insert(sa.Table("outbox_message", sa.MetaData(), *columns), rows)


def downgrade() -> None:
    op.create_table(
        "wecom_outbox",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload_enc", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_wecom_outbox_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wecom_outbox")),
    )
    with op.batch_alter_table("wecom_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_wecom_outbox_status", ["workspace_id", "status", "next_attempt_at"], unique=False
        )
    op.drop_index("ix_channel_visit_code", table_name="channel_visit")
    op.drop_table("channel_visit")
