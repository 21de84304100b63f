"""service price: an optional price in hryvnias per service

Shown on the service list and in the booking confirmation when given; empty (NULL) shows no
price. Whole hryvnias, 0 or more (the admin form and booking/clinic_admin.py check it). Plain
ADD COLUMN on both databases (no batch mode: `service` is referred to by appointments and
courses, and a batch rebuild would drop and re-create it).

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("service", sa.Column("price_uah", sa.Integer(), nullable=True))


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+ and PostgreSQL), for the same reason as above.
    op.execute("ALTER TABLE service DROP COLUMN price_uah")
