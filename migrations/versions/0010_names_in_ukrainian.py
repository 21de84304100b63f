"""names in Ukrainian: the Ukrainian wording of service names and descriptions and of
practitioners' names and titles, beside the main (English) ones

Plain ADD COLUMN on both databases (no batch mode: `appointment` and its triggers are not
touched). Empty means "no Ukrainian wording": pages then show the main one.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

COLUMNS = {
    "service": [("name_uk", sa.String(length=120)), ("description_uk", sa.Text())],
    "practitioner": [("full_name_uk", sa.String(length=120)), ("title_uk", sa.String(length=120))],
}


def upgrade():
    for table, columns in COLUMNS.items():
        for name, type_ in columns:
            op.add_column(table, sa.Column(name, type_, nullable=False, server_default=""))


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+ and PostgreSQL): a batch rebuild of `practitioner` would
    # drop and re-create a table that appointments refer to.
    for table, columns in COLUMNS.items():
        for name, _type in reversed(columns):
            op.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
