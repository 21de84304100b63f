"""bounded overlap triggers: SQLite reads only an appointment's neighbours, not the whole history

The overlap triggers of 0001/0005 asked for `other.starts_at < NEW.<until>` with no lower bound,
so on the (practitioner_id, starts_at) and (resource_id, starts_at) indexes SQLite walked every
earlier appointment of the practitioner or chair: inserting one slowed as the history grew.

No appointment spans a day: the service's CHECK constraints cap duration at 540 minutes, buffer
at 240 and observation at 480, so blocks_until and resource_until are at most 17 hours after
starts_at (booking.scheduler.services.LONGEST_APPOINTMENT_SPAN). So that this holds whatever
writes the table, the triggers now also refuse an active appointment whose blocks_until (or
resource_until) is a day or more after its start ('appointment_too_long'). An appointment that
overlaps the new one therefore started less than a day before it, and the triggers say so:

    other.starts_at > datetime(NEW.starts_at, '-1 day', '-1 second')

Instants are stored as text, 'YYYY-MM-DD HH:MM:SS.ffffff' (booking.database.UTCDateTime), and
datetime() gives 'YYYY-MM-DD HH:MM:SS'. Compared as text, a stored value whose first 19
characters equal the bound is longer, hence greater: `>` lets in the bound's whole second.
datetime() first rounds to the millisecond (07:59:59.9996 becomes 08:00:00), then drops the
fraction, so its result may be up to half a millisecond late; the extra second of margin covers
that (and the same rounding in the length rule): the bound lets through a little more than it
must, never less. If datetime() cannot read NEW.starts_at it gives NULL; COALESCE(..., '') then
falls back to the old unbounded walk rather than letting an overlap through.

Only the triggers change, with DROP and CREATE TRIGGER: no batch mode on `appointment`
(rebuilding the table would drop them). PostgreSQL's GiST exclusion constraints (0008) need
nothing. The downgrade restores the triggers of 0005 exactly.

Revision ID: 0009
Revises: 0008
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _overlap_check(owner, until, bounded):
    lower = """
          AND other.starts_at > COALESCE(datetime(NEW.starts_at, '-1 day', '-1 second'), '')"""
    too_long = f"""
    SELECT RAISE(ABORT, 'appointment_too_long')
    WHERE NEW.{until} >= datetime(NEW.starts_at, '+1 day');"""
    if not bounded:
        lower = too_long = ""
    return f"""{too_long}
    SELECT RAISE(ABORT, 'appointment_overlap')
    WHERE EXISTS (
        SELECT 1 FROM appointment AS other
        WHERE other.{owner} = NEW.{owner}
          AND other.status != 'cancelled'
          AND other.id IS NOT NEW.id{lower}
          AND other.starts_at < NEW.{until}
          AND NEW.starts_at < other.{until}
    );
"""


def _triggers(bounded):
    """The four triggers of 0005 (bounded=False), or with the one-day bound (bounded=True)."""
    practitioner = _overlap_check("practitioner_id", "blocks_until", bounded)
    resource = _overlap_check("resource_id", "resource_until", bounded)
    return {
        "appointment_no_overlap_insert":
            "BEFORE INSERT ON appointment WHEN NEW.status != 'cancelled' BEGIN"
            + practitioner + "END",
        "appointment_no_overlap_update":
            "BEFORE UPDATE OF starts_at, blocks_until, status, practitioner_id ON appointment "
            "WHEN NEW.status != 'cancelled' BEGIN" + practitioner + "END",
        "appointment_no_resource_overlap_insert":
            "BEFORE INSERT ON appointment "
            "WHEN NEW.status != 'cancelled' AND NEW.resource_id IS NOT NULL BEGIN"
            + resource + "END",
        "appointment_no_resource_overlap_update":
            "BEFORE UPDATE OF starts_at, resource_until, status, resource_id ON appointment "
            "WHEN NEW.status != 'cancelled' AND NEW.resource_id IS NOT NULL BEGIN"
            + resource + "END",
    }


def _replace_triggers(bounded):
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, body in _triggers(bounded).items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER {name} {body}")


def upgrade():
    _replace_triggers(bounded=True)


def downgrade():
    _replace_triggers(bounded=False)
