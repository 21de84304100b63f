"""headache diary: entries per patient and Kyiv date, medicines taken, diary settings, reminder
links, new preventives; and a per-service setting "invite to the headache diary"

One entry per patient and date (unique), so a double tap or two tabs can never make two. The
service setting is a plain ADD COLUMN (no batch rebuild of `service`, which appointments and
courses refer to), on for existing course services: a course's outcome needs its baseline
diary. Admins change it on the service form.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "diary_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("entry_on", sa.Date(), nullable=False),
        sa.Column("headache", sa.Boolean(), nullable=False),
        sa.Column("duration", sa.String(length=16), nullable=True),
        sa.Column("worst_pain", sa.Integer(), nullable=True),
        sa.Column("one_side", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("throbbing", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("worse_with_activity", sa.Boolean(), nullable=False,
                  server_default=sa.false()),
        sa.Column("nausea_vomiting", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("light_hurts", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("sound_hurts", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("aura", sa.String(length=8), nullable=False, server_default="no"),
        sa.Column("felt_like_migraine", sa.Boolean(), nullable=False,
                  server_default=sa.false()),
        sa.Column("relief_2h", sa.String(length=10), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("patient_id", "entry_on", name="uq_diary_entry_patient_day"),
        sa.CheckConstraint("worst_pain IS NULL OR (worst_pain >= 0 AND worst_pain <= 10)",
                           name="diary_worst_pain_range"),
    )
    op.create_table(
        "diary_medicine",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entry_id", sa.Integer(),
                  sa.ForeignKey("diary_entry.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False, server_default=""),
        sa.Column("drug_class", sa.String(length=32), nullable=False),
    )
    op.create_index("ix_diary_medicine_entry_id", "diary_medicine", ["entry_id"])
    op.create_table(
        "diary_settings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("invited_at", sa.DateTime(), nullable=True),
        sa.Column("reminder_hour", sa.Integer(), nullable=True),
        sa.Column("reminders_stopped_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("patient_id", name="uq_diary_settings_patient_id"),
    )
    op.create_table(
        "diary_link",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("token_hash", name="uq_diary_link_token_hash"),
    )
    op.create_index("ix_diary_link_patient_id", "diary_link", ["patient_id"])
    op.create_table(
        "preventive_start",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("noted_by_id", sa.Integer(), sa.ForeignKey("staff_user.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_preventive_start_patient_id", "preventive_start", ["patient_id"])
    op.add_column("service", sa.Column("offers_diary", sa.Boolean(), nullable=False,
                                       server_default=sa.false()))
    op.execute("UPDATE service SET offers_diary = true WHERE is_course")


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+ and PostgreSQL), as in 0012.
    op.execute("ALTER TABLE service DROP COLUMN offers_diary")
    op.drop_index("ix_preventive_start_patient_id", table_name="preventive_start")
    op.drop_table("preventive_start")
    op.drop_index("ix_diary_link_patient_id", table_name="diary_link")
    op.drop_table("diary_link")
    op.drop_table("diary_settings")
    op.drop_index("ix_diary_medicine_entry_id", table_name="diary_medicine")
    op.drop_table("diary_medicine")
    op.drop_table("diary_entry")
