"""job locks: one row per periodic job, so two workers never run a job at once

A row per job (created by the worker when it first meets the job), taken with a conditional
UPDATE on `locked_until` (a lease: a crashed worker's lock runs out), plain columns on both
databases.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_lock",
        sa.Column("name", sa.String(length=64), primary_key=True),
        sa.Column("locked_by", sa.String(length=128), nullable=True),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("last_started_at", sa.DateTime(), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(), nullable=True),
        sa.Column("last_result", sa.String(length=16), nullable=True),
    )


def downgrade():
    op.drop_table("job_lock")
