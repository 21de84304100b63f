"""course review gate: a per-service setting "a clinician confirms every course"

Plain ADD COLUMN on both databases (no batch mode: `service` is referred to by appointments
and courses, and a batch rebuild would drop and re-create it). Off for every existing service,
so an upgrade changes no behaviour until an admin ticks it on the service form.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("service", sa.Column("clinician_confirms_courses", sa.Boolean(),
                                       nullable=False, server_default=sa.false()))


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+ and PostgreSQL), for the same reason as above.
    op.execute("ALTER TABLE service DROP COLUMN clinician_confirms_courses")
