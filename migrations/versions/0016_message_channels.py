"""message channels: SMS, Viber and Telegram beside email, through one outbox

- outbox_message: the channel of each row (every existing row is email), the patient it is
  for, the row a fallback stands in for, Telegram buttons, and the gateway's message id;
- patient: the preferred channel (email for everyone so far), the time of the opt-in for SMS,
  Viber or Telegram, the linked Telegram chat;
- staff_user: on call, the alert channel and phone, the linked Telegram chat;
- telegram_link: one-time "Get reminders in Telegram" codes (hashed, single use, expiring);
- message_link: the private links short messages carry (hashed, expiring).

Plain ADD COLUMN for patient and staff_user (no batch mode: other tables refer to them, and a
batch rebuild on SQLite would drop and re-create them). outbox_message gets foreign keys, which
SQLite can add only by rebuilding the table: batch mode there (nothing refers to outbox_message
but itself, and it has no triggers).

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_message") as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=12), nullable=False,
                                      server_default="email"))
        batch_op.add_column(sa.Column("patient_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("fallback_for_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("buttons", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("provider_message_id", sa.String(length=64),
                                      nullable=True))
        batch_op.create_foreign_key("fk_outbox_message_patient_id_patient", "patient",
                                    ["patient_id"], ["id"], ondelete="SET NULL")
        batch_op.create_foreign_key("fk_outbox_message_fallback_for_id_outbox_message",
                                    "outbox_message", ["fallback_for_id"], ["id"],
                                    ondelete="SET NULL")
        batch_op.create_index("ix_outbox_message_patient_id", ["patient_id"])
        batch_op.create_index("ix_outbox_message_fallback_for_id", ["fallback_for_id"])

    op.add_column("patient", sa.Column("preferred_channel", sa.String(length=12), nullable=False,
                                       server_default="email"))
    op.add_column("patient", sa.Column("channel_consent_at", sa.DateTime(), nullable=True))
    op.add_column("patient", sa.Column("telegram_chat_id", sa.String(length=32), nullable=True))
    op.create_index("ix_patient_telegram_chat_id", "patient", ["telegram_chat_id"])

    op.add_column("staff_user", sa.Column("on_call", sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
    op.add_column("staff_user", sa.Column("alert_channel", sa.String(length=12), nullable=True))
    op.add_column("staff_user", sa.Column("alert_phone", sa.String(length=20), nullable=True))
    op.add_column("staff_user", sa.Column("telegram_chat_id", sa.String(length=32),
                                          nullable=True))
    op.create_index("ix_staff_user_telegram_chat_id", "staff_user", ["telegram_chat_id"])

    op.create_table(
        "telegram_link",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("patient_id", sa.Integer(),
                  sa.ForeignKey("patient.id", name="fk_telegram_link_patient_id_patient",
                                ondelete="CASCADE"), nullable=True),
        sa.Column("staff_user_id", sa.Integer(),
                  sa.ForeignKey("staff_user.id", name="fk_telegram_link_staff_user_id_staff_user",
                                ondelete="CASCADE"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("code_hash", name="uq_telegram_link_code_hash"),
    )
    op.create_index("ix_telegram_link_patient_id", "telegram_link", ["patient_id"])
    op.create_index("ix_telegram_link_staff_user_id", "telegram_link", ["staff_user_id"])

    op.create_table(
        "message_link",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=12), nullable=False),
        sa.Column("patient_id", sa.Integer(),
                  sa.ForeignKey("patient.id", name="fk_message_link_patient_id_patient",
                                ondelete="CASCADE"), nullable=False),
        sa.Column("appointment_id", sa.Integer(),
                  sa.ForeignKey("appointment.id", name="fk_message_link_appointment_id_appointment",
                                ondelete="CASCADE"), nullable=True),
        sa.Column("channel", sa.String(length=12), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("token_hash", name="uq_message_link_token_hash"),
    )
    op.create_index("ix_message_link_patient_id", "message_link", ["patient_id"])
    op.create_index("ix_message_link_appointment_id", "message_link", ["appointment_id"])


def downgrade():
    op.drop_table("message_link")
    op.drop_table("telegram_link")
    op.drop_index("ix_staff_user_telegram_chat_id", table_name="staff_user")
    for column in ("telegram_chat_id", "alert_phone", "alert_channel", "on_call"):
        op.execute(f"ALTER TABLE staff_user DROP COLUMN {column}")
    op.drop_index("ix_patient_telegram_chat_id", table_name="patient")
    for column in ("telegram_chat_id", "channel_consent_at", "preferred_channel"):
        op.execute(f"ALTER TABLE patient DROP COLUMN {column}")
    with op.batch_alter_table("outbox_message") as batch_op:
        batch_op.drop_index("ix_outbox_message_fallback_for_id")
        batch_op.drop_index("ix_outbox_message_patient_id")
        batch_op.drop_constraint("fk_outbox_message_fallback_for_id_outbox_message",
                                 type_="foreignkey")
        batch_op.drop_constraint("fk_outbox_message_patient_id_patient", type_="foreignkey")
        batch_op.drop_column("fallback_for_id")
        batch_op.drop_column("patient_id")
        batch_op.drop_column("provider_message_id")
        batch_op.drop_column("buttons")
        batch_op.drop_column("channel")
