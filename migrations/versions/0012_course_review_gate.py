"""course review gate: a per-service setting "a clinician confirms every course"

Plain ADD COLUMN on both databases (no batch mode: `service` is referred to by appointments
and courses, and a batch rebuild would drop and re-create it). On for existing ketamine course
services (a course with the ketamine pre-screen): the safe side, so an upgraded clinic does not
keep confirming ketamine courses with no clinician looking; off for every other service. Admins
change it on the service form.

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
    op.execute("UPDATE service SET clinician_confirms_courses = true "
                "WHERE is_course AND needs_ketamine_prescreen")


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+ and PostgreSQL), for the same reason as above.
    op.execute("ALTER TABLE service DROP COLUMN clinician_confirms_courses")
