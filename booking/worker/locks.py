"""Job locks: a row per job in `job_lock`, taken with a conditional UPDATE (a lease).

`claim` reads the job's row, and when the job is due and free, takes it with
`UPDATE job_lock SET locked_by = me, locked_until = now + lease, last_started_at = now
 WHERE name = ? AND last_started_at IS NOT DISTINCT FROM <what it read>
   AND (locked_until IS NULL OR locked_until <= now)`
in a write transaction (BEGIN IMMEDIATE on SQLite). Of two workers, only one UPDATE matches: the
other's sees a changed `last_started_at` or a held lock and changes nothing. A worker that dies
holding a lock loses it when the lease runs out. The same on SQLite and PostgreSQL; the jobs are
safe on their own too (each email is claimed once, reminders and follow-ups carry unique keys),
so a run that outlives its lease costs repeated work, never a repeated email.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from ..database import begin_write
from ..extensions import db
from ..models import JobLock
from . import schedule as schedules


@dataclass(frozen=True)
class Claim:
    """This worker holds the job; `previous_start` is when its last run started (or None)."""

    previous_start: datetime | None


def ensure_rows(names):
    """Create the rows of jobs this database has not met yet (two workers may race: the loser's
    insert fails on the primary key and is simply dropped)."""
    known = set(db.session.execute(select(JobLock.name).where(JobLock.name.in_(names))).scalars())
    db.session.rollback()
    for name in names:
        if name in known:
            continue
        try:
            db.session.add(JobLock(name=name))
            db.session.commit()
        except IntegrityError:
            db.session.rollback()


def claim(name, *, owner, schedule, lease, now, tz):
    """Take the job's lock when it is due and free: a Claim, or None when this worker must not
    run the job now (not due, or held by another worker)."""
    row = db.session.execute(
        select(JobLock.last_started_at, JobLock.locked_until).where(JobLock.name == name)).first()
    db.session.rollback()  # a read: end it, so the write below starts on fresh data
    if row is None:
        return None
    previous, locked_until = row
    if locked_until is not None and locked_until > now:
        return None  # running elsewhere, or held off after a failure
    if not schedules.is_due(schedule, previous, now, tz):
        return None
    try:
        begin_write()
        taken = db.session.execute(
            update(JobLock)
            .where(JobLock.name == name,
                   JobLock.last_started_at.is_not_distinct_from(previous),
                   or_(JobLock.locked_until.is_(None), JobLock.locked_until <= now))
            .values(locked_by=owner, locked_until=now + lease, last_started_at=now)
            .execution_options(synchronize_session=False)).rowcount
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return Claim(previous) if taken == 1 else None


def release(name, *, owner, now, result, previous=None, hold_off=None):
    """Give the lock back after a run. A failed run (hold_off given) keeps the job due, as if it
    had not started, but nobody retries it before now + hold_off."""
    values = {"locked_by": None, "locked_until": None, "last_finished_at": now,
              "last_result": result}
    if hold_off is not None:
        values.update(locked_until=now + hold_off, last_started_at=previous)
    try:
        begin_write()
        db.session.execute(
            update(JobLock).where(JobLock.name == name, JobLock.locked_by == owner)
            .values(**values).execution_options(synchronize_session=False))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
