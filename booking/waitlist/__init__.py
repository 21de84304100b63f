"""The waitlist: patients waiting for a time that suits, offered freed times by email.

The two hooks below answer the events `time_freed` and `closure_removed` (subscribers.py), which
the code that frees time publishes (booking.scheduler.appointment_changes `_cancel` and `move`,
the course services, booking.clinic_closures `delete_closure`) inside its own transaction. They
import the services lazily (the services are built on the booking services), and they never break
the caller: a failure is rolled back to a savepoint and logged with ids only.
"""
import logging

from ..extensions import db

log = logging.getLogger(__name__)


def _safely(what, practitioner_id, offer):
    # Flush the caller's change first, outside the guard: an error in it (e.g. the database
    # refusing an overlapping move) must reach the caller exactly as its own commit would.
    db.session.flush()
    try:
        with db.session.begin_nested():
            return offer()
    except Exception as exc:  # noqa: BLE001 - the freeing of time must go on regardless
        log.warning("waitlist: offering time freed by %s failed (practitioner %s): %s",
                    what, practitioner_id, type(exc).__name__)
        return []


def time_freed(service_id, practitioner_id, start, end, *, now=None, what="a change"):
    """Time [start, end) with a practitioner was freed: offer it to matching waiting patients
    (any service the practitioner offers when service_id is None)."""
    from . import freed_time

    return _safely(what, practitioner_id, lambda: freed_time.offer_freed_time(
        service_id, practitioner_id, start, end, now=now))


def closure_removed(practitioner_id, starts_at, ends_at, rrule, repeat_until, *, now=None):
    """A closure is being deleted: offer its occurrences up to the booking horizon, for its
    practitioner or, clinic-wide (practitioner_id None), for every active practitioner."""
    from . import freed_time

    values = (practitioner_id, starts_at, ends_at, rrule, repeat_until)
    return _safely("a closure removed", practitioner_id,
                   lambda: freed_time.offer_after_closure(*values, now=now))
