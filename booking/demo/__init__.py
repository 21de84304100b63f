"""Demo data: a headache and psychotherapy clinic with six months of past and the weeks ahead
(README, "Demo data"). `flask --app wsgi seed-demo` calls load_demo_data().

- clinic.py    services, practitioners and their hours, chairs, a closure; staff accounts
- people.py    invented patients at reserved addresses (example.org, +380 50 000 0xxx)
- clinical.py  PURE: plausible intake answers, session records and follow-up answers
- story.py     what happens over the six months, through the real services
- timeline.py  plays it in time order, each action at its own moment of the app's clock

All dates are relative to today and every choice comes from a fixed seed, so the demo is the
same for the same day, and the same moved along for another. Its emails are marked sent as
they are written, so a worker or `send-mail` finds nothing to send afterwards.
"""
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import time, timedelta, timezone

from flask import current_app
from sqlalchemy import event

from ..courses.follow_ups import create_due_follow_ups
from ..extensions import db
from ..notifications.messages import queue_due_reminders, queue_follow_ups
from ..timeutil import clinic_tz, utcnow
from .diaries import add_course_diaries
from .clinic import (CHAIRS, PRACTITIONERS, SERVICES, add_training_closure, build_clinic,
                     create_staff_accounts, has_services)
from .clinical import at_local
from .story import PAST_DAYS, Story, courses_by_status
from .timeline import frozen_at, mark_outbox_sent

__all__ = ["CHAIRS", "PRACTITIONERS", "SERVICES", "DemoRefused", "load_demo_data"]


class DemoRefused(RuntimeError):
    """Demo data (and its staff accounts) are never loaded with production settings."""


@dataclass(frozen=True)
class DemoSummary:
    appointments: int
    courses: dict        # status -> count
    records: int
    intakes: int
    follow_up_answers: int
    waitlist: int
    staff: tuple         # clinic.StaffAccount, passwords included: show them once

    def __str__(self):
        courses = ", ".join(f"{count} {status}" for status, count in sorted(self.courses.items()))
        return (f"{len(SERVICES)} services, {len(PRACTITIONERS)} practitioners, "
                f"{self.appointments} appointments, courses: {courses}; {self.records} session "
                f"records, {self.intakes} intakes sent, {self.follow_up_answers} follow-up "
                f"answers, {self.waitlist} waitlist entries")


@contextmanager
def _quick_sqlite_writes():
    """On SQLite, commit without waiting for the disk while the demo loads (thousands of small
    transactions; a crash would only lose demo data). New connections afterwards are as usual."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        yield
        return

    def no_sync(dbapi_connection, _record, _proxy):
        dbapi_connection.execute("PRAGMA synchronous=OFF")

    event.listen(engine, "checkout", no_sync)
    try:
        yield
    finally:
        event.remove(engine, "checkout", no_sync)
        db.session.remove()
        engine.dispose()


def load_demo_data(*, now=None):
    """Fill an empty database with the demo; returns a DemoSummary, or None when it already
    had services. Raises DemoRefused with production settings."""
    if current_app.config.get("ENV_NAME") == "production":
        raise DemoRefused("Demo data and demo staff accounts are never loaded in production.")
    if has_services():
        return None
    now = now or utcnow()
    tz = clinic_tz()
    today = now.astimezone(tz).date()
    with _quick_sqlite_writes():
        with frozen_at(at_local(today - timedelta(days=PAST_DAYS + 1), time(9), tz)
                       .astimezone(timezone.utc)):
            clinic = build_clinic()
            staff = create_staff_accounts(clinic)
        with frozen_at(now):
            add_training_closure(today, tz)
        counts = Story(clinic, staff, now, tz).play()
        with frozen_at(now):
            add_course_diaries(today, tz)
            # What the worker's first run would do, done now and marked sent: it finds nothing.
            queue_follow_ups(create_due_follow_ups(now))
            queue_due_reminders(now)
            mark_outbox_sent()
        summary = DemoSummary(counts.appointments, courses_by_status(), counts.records,
                              counts.intakes, counts.follow_up_answers, counts.waitlist,
                              tuple(staff))
    return summary
