"""channel codes wecom groups referral

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 11:54:24.043740
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wecom_callback",
        sa.Column("msg_signature", sa.String(length=40), nullable=False),
        sa.Column("event_key", sa.String(length=40), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=48), nullable=False),
        sa.Column("change_type", sa.String(length=48), nullable=False),
        sa.Column("payload_enc", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=300), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_wecom_callback_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wecom_callback")),
        sa.UniqueConstraint(
            "workspace_id", "event_key", name=op.f("uq_wecom_callback_workspace_id_event_key")
        ),
        sa.UniqueConstraint(
            "workspace_id",
            "msg_signature",
            name=op.f("uq_wecom_callback_workspace_id_msg_signature"),
        ),
    )
    with op.batch_alter_table("wecom_callback", schema=None) as batch_op:
        batch_op.create_index(
            "ix_wecom_callback_status", ["workspace_id", "status", "id"], unique=False
        )

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
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
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

    op.create_table(
        "channel_code",
        sa.Column(
            "channel_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("routing", sa.String(length=16), nullable=False),
        sa.Column("welcome_text", sa.Text(), nullable=False),
        sa.Column("tag_ids", sa.String(length=500), nullable=False),
        sa.Column("cost_per_join_fen", sa.BigInteger(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("next_position", sa.Integer(), nullable=False),
        sa.Column("wecom_config_id", sa.String(length=64), nullable=False),
        sa.Column("wecom_qr_url", sa.String(length=500), nullable=False),
        sa.Column("wecom_users", sa.String(length=1000), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channel.id"],
            name=op.f("fk_channel_code_channel_id_channel"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_channel_code_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_code")),
        sa.UniqueConstraint("workspace_id", "code", name=op.f("uq_channel_code_workspace_id_code")),
    )
    with op.batch_alter_table("channel_code", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channel_code_channel_id"), ["channel_id"], unique=False
        )

    op.create_table(
        "group_chat",
        sa.Column("chat_ref", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "owner_staff_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "channel_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channel.id"],
            name=op.f("fk_group_chat_channel_id_channel"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_staff_id"],
            ["staff_account.id"],
            name=op.f("fk_group_chat_owner_staff_id_staff_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_group_chat_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_chat")),
        sa.UniqueConstraint(
            "workspace_id", "chat_ref", name=op.f("uq_group_chat_workspace_id_chat_ref")
        ),
    )
    op.create_table(
        "referral_campaign",
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "channel_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("rules_json", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channel.id"],
            name=op.f("fk_referral_campaign_channel_id_channel"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_referral_campaign_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_campaign")),
        sa.UniqueConstraint(
            "workspace_id", "code", name=op.f("uq_referral_campaign_workspace_id_code")
        ),
    )
    op.create_table(
        "staff_shift",
        sa.Column(
            "staff_account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("start_minute", sa.SmallInteger(), nullable=False),
        sa.Column("end_minute", sa.SmallInteger(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["staff_account_id"],
            ["staff_account.id"],
            name=op.f("fk_staff_shift_staff_account_id_staff_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_staff_shift_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_shift")),
    )
    with op.batch_alter_table("staff_shift", schema=None) as batch_op:
        batch_op.create_index("ix_staff_shift_staff", ["staff_account_id", "weekday"], unique=False)

    op.create_table(
        "channel_code_staff",
        sa.Column(
            "channel_code_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "staff_account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("backup", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("wecom_config_id", sa.String(length=64), nullable=False),
        sa.Column("wecom_qr_url", sa.String(length=500), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["channel_code_id"],
            ["channel_code.id"],
            name=op.f("fk_channel_code_staff_channel_code_id_channel_code"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_account_id"],
            ["staff_account.id"],
            name=op.f("fk_channel_code_staff_staff_account_id_staff_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_code_staff")),
        sa.UniqueConstraint(
            "channel_code_id",
            "staff_account_id",
            name=op.f("uq_channel_code_staff_channel_code_id_staff_account_id"),
        ),
    )
    with op.batch_alter_table("channel_code_staff", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channel_code_staff_staff_account_id"), ["staff_account_id"], unique=False
        )

    op.create_table(
        "channel_join",
        sa.Column(
            "channel_code_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "channel_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "staff_account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("cost_fen", sa.BigInteger(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["channel_code_id"],
            ["channel_code.id"],
            name=op.f("fk_channel_join_channel_code_id_channel_code"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channel.id"],
            name=op.f("fk_channel_join_channel_id_channel"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_channel_join_contact_id_contact"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_channel_join_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_account_id"],
            ["staff_account.id"],
            name=op.f("fk_channel_join_staff_account_id_staff_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_channel_join_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_join")),
    )
    with op.batch_alter_table("channel_join", schema=None) as batch_op:
        batch_op.create_index(
            "ix_channel_join_code", ["channel_code_id", "joined_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_channel_join_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            "ix_channel_join_staff_joined", ["staff_account_id", "joined_at"], unique=False
        )
        batch_op.create_index(
            "ix_channel_join_workspace_joined", ["workspace_id", "joined_at"], unique=False
        )

    op.create_table(
        "group_activity",
        sa.Column(
            "group_chat_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("owner_messages", sa.Integer(), nullable=False),
        sa.Column("staff_messages", sa.Integer(), nullable=False),
        sa.Column("member_messages", sa.Integer(), nullable=False),
        sa.Column("active_members", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["group_chat_id"],
            ["group_chat.id"],
            name=op.f("fk_group_activity_group_chat_id_group_chat"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_group_activity_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_activity")),
        sa.UniqueConstraint(
            "group_chat_id", "day", name=op.f("uq_group_activity_group_chat_id_day")
        ),
    )
    op.create_table(
        "group_member",
        sa.Column(
            "group_chat_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "staff_account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("member_index", sa.String(length=40), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("join_scene", sa.SmallInteger(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_group_member_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_chat_id"],
            ["group_chat.id"],
            name=op.f("fk_group_member_group_chat_id_group_chat"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_account_id"],
            ["staff_account.id"],
            name=op.f("fk_group_member_staff_account_id_staff_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_group_member_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_member")),
    )
    with op.batch_alter_table("group_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_group_member_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index("ix_group_member_group", ["group_chat_id", "left_at"], unique=False)
        batch_op.create_index(
            "ix_group_member_index", ["group_chat_id", "member_index"], unique=False
        )

    op.create_table(
        "referral_code",
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("wecom_config_id", sa.String(length=64), nullable=False),
        sa.Column("wecom_qr_url", sa.String(length=500), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["referral_campaign.id"],
            name=op.f("fk_referral_code_campaign_id_referral_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_referral_code_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_referral_code_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_code")),
        sa.UniqueConstraint(
            "workspace_id", "code", name=op.f("uq_referral_code_workspace_id_code")
        ),
    )
    with op.batch_alter_table("referral_code", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referral_code_customer", ["campaign_id", "customer_id"], unique=False
        )

    op.create_table(
        "referral",
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("code_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "referrer_customer_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "referee_customer_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "first_order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("first_order_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_order_fen", sa.BigInteger(), nullable=True),
        sa.Column("device_index", sa.String(length=40), nullable=False),
        sa.Column("phone_index", sa.String(length=40), nullable=False),
        sa.Column("address_index", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("fraud_reasons", sa.String(length=200), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["referral_campaign.id"],
            name=op.f("fk_referral_campaign_id_referral_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["code_id"],
            ["referral_code.id"],
            name=op.f("fk_referral_code_id_referral_code"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["first_order_id"],
            ["orders.id"],
            name=op.f("fk_referral_first_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["referee_customer_id"],
            ["customer.id"],
            name=op.f("fk_referral_referee_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["referrer_customer_id"],
            ["customer.id"],
            name=op.f("fk_referral_referrer_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_referral_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referral_campaign_referrer", ["campaign_id", "referrer_customer_id"], unique=False
        )
        batch_op.create_index("ix_referral_referee", ["referee_customer_id"], unique=False)

    op.create_table(
        "referral_reward",
        sa.Column(
            "referral_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("beneficiary", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("hold_reason", sa.String(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("ledger_ref", sa.String(length=80), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_referral_reward_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_referral_reward_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_referral_reward_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_reward")),
        sa.UniqueConstraint(
            "workspace_id",
            "idempotency_key",
            name=op.f("uq_referral_reward_workspace_id_idempotency_key"),
        ),
    )
    with op.batch_alter_table("referral_reward", schema=None) as batch_op:
        batch_op.create_index("ix_referral_reward_status", ["workspace_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("referral_reward", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_reward_status")

    op.drop_table("referral_reward")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_referee")
        batch_op.drop_index("ix_referral_campaign_referrer")

    op.drop_table("referral")
    with op.batch_alter_table("referral_code", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_code_customer")

    op.drop_table("referral_code")
    with op.batch_alter_table("group_member", schema=None) as batch_op:
        batch_op.drop_index("ix_group_member_index")
        batch_op.drop_index("ix_group_member_group")
        batch_op.drop_index(batch_op.f("ix_group_member_customer_id"))

    op.drop_table("group_member")
    op.drop_table("group_activity")
    with op.batch_alter_table("channel_join", schema=None) as batch_op:
        batch_op.drop_index("ix_channel_join_workspace_joined")
        batch_op.drop_index("ix_channel_join_staff_joined")
        batch_op.drop_index(batch_op.f("ix_channel_join_customer_id"))
        batch_op.drop_index("ix_channel_join_code")

    op.drop_table("channel_join")
    with op.batch_alter_table("channel_code_staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_code_staff_staff_account_id"))

    op.drop_table("channel_code_staff")
    with op.batch_alter_table("staff_shift", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_shift_staff")

    op.drop_table("staff_shift")
    op.drop_table("referral_campaign")
    op.drop_table("group_chat")
    with op.batch_alter_table("channel_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_code_channel_id"))

    op.drop_table("channel_code")
    with op.batch_alter_table("wecom_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_wecom_outbox_status")

    op.drop_table("wecom_outbox")
    with op.batch_alter_table("wecom_callback", schema=None) as batch_op:
        batch_op.drop_index("ix_wecom_callback_status")

    op.drop_table("wecom_callback")
