"""attention queue: one item per urgent intake, open until a clinician acknowledges it

Existing urgent intakes get an item each (open when the intake was never reviewed, else
acknowledged at the review's time), so nothing urgent from before the upgrade is lost.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "attention_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("intake_id", sa.Integer(), sa.ForeignKey("intake.id"), nullable=False),
        sa.Column("appointment_id", sa.Integer(), sa.ForeignKey("appointment.id"),
                  nullable=False),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), sa.ForeignKey("staff_user.id"),
                  nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("tried_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.UniqueConstraint("intake_id", name="uq_attention_item_intake_id"),
    )
    op.create_index("ix_attention_item_appointment_id", "attention_item", ["appointment_id"])
    op.create_index("ix_attention_item_patient_id", "attention_item", ["patient_id"])
    op.create_index("ix_attention_item_status_raised", "attention_item", ["status", "raised_at"])
    op.execute(
        "INSERT INTO attention_item (intake_id, appointment_id, patient_id, reasons, status, "
        "raised_at, acknowledged_at, acknowledged_by_id, outcome, note) "
        "SELECT id, appointment_id, patient_id, '[]', "
        "CASE WHEN reviewed_at IS NULL THEN 'open' ELSE 'acknowledged' END, "
        "COALESCE(updated_at, started_at), reviewed_at, reviewed_by_id, "
        "CASE WHEN reviewed_at IS NULL THEN NULL ELSE 'other' END, "
        "CASE WHEN reviewed_at IS NULL THEN NULL ELSE 'Reviewed before the attention queue.' END "
        "FROM intake WHERE urgent")
    # The reasons of those items: the intake's stored urgent flags (submitted intakes).
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT a.id, f.code FROM attention_item a JOIN intake_flag f ON f.intake_id = a.intake_id "
        "WHERE f.urgent ORDER BY a.id, f.id")).all()
    reasons = {}
    for item_id, code in rows:
        reasons.setdefault(item_id, []).append(code)
    table = sa.table("attention_item", sa.column("id", sa.Integer), sa.column("reasons", sa.JSON))
    for item_id, codes in reasons.items():
        bind.execute(table.update().where(table.c.id == item_id).values(reasons=codes))


def downgrade():
    op.drop_index("ix_attention_item_status_raised", table_name="attention_item")
    op.drop_index("ix_attention_item_patient_id", table_name="attention_item")
    op.drop_index("ix_attention_item_appointment_id", table_name="attention_item")
    op.drop_table("attention_item")
