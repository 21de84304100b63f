"""PostgreSQL guards: exclusion constraints against overlapping appointments; append-only audit

On PostgreSQL the database itself makes overlapping active appointments impossible, for
practitioners and for resources (chairs), with btree_gist exclusion constraints. Instants are
stored as naive UTC timestamps (see booking.database.UTCDateTime), so the ranges are tsrange over
UTC values, which compare exactly like tstzrange would. The audit log refuses UPDATE and DELETE
through a trigger. SQLite has its triggers from earlier migrations; nothing changes there.

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ACTIVE = "status <> 'cancelled'"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    # Names contain "appointment_overlap", like the SQLite triggers' message, so the service
    # (and the tests) recognise a refused overlap the same way on both databases.
    op.execute(
        "ALTER TABLE appointment ADD CONSTRAINT appointment_overlap "
        "EXCLUDE USING gist (practitioner_id WITH =, tsrange(starts_at, blocks_until) WITH &&) "
        f"WHERE ({ACTIVE})")
    op.execute(
        "ALTER TABLE appointment ADD CONSTRAINT appointment_overlap_resource "
        "EXCLUDE USING gist (resource_id WITH =, tsrange(starts_at, resource_until) WITH &&) "
        f"WHERE ({ACTIVE} AND resource_id IS NOT NULL)")
    op.execute("""
        CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log_is_append_only' USING ERRCODE = 'integrity_constraint_violation';
        END
        $$ LANGUAGE plpgsql""")
    op.execute("CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
               "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event")
    op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    op.execute("ALTER TABLE appointment DROP CONSTRAINT IF EXISTS appointment_overlap_resource")
    op.execute("ALTER TABLE appointment DROP CONSTRAINT IF EXISTS appointment_overlap")
