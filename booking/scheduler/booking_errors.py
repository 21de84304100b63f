"""The booking service's domain errors: views turn them into form errors, flashes or HTTP
statuses (422 for a broken rule, 409 for a time just taken); and `one_change`, the transaction
frame every booking change shares.
"""
from contextlib import contextmanager

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..extensions import db


class BookingError(Exception):
    status = 422
    code = "invalid"

    def __init__(self, message, fields=None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class SlotTaken(BookingError):
    status = 409
    code = "slot_taken"


class SlotNotBookable(BookingError):
    """The requested time breaks a clinic rule (outside hours, past, off the grid, ...)."""


class ManageWindowClosed(BookingError):
    code = "too_late"


class NotActive(BookingError):
    code = "not_active"


class StatusTooEarly(BookingError):
    """A status that records what has not happened yet (arrived, no-show, completed)."""

    code = "too_early"


@contextmanager
def one_change():
    """A booking change's transaction: anything raised rolls it all back; a database guard
    refusing it (a race the lock did not catch, e.g. another server on PostgreSQL) is the time
    just taken."""
    try:
        yield
    except IntegrityError:
        db.session.rollback()
        raise SlotTaken(_("Sorry, that time has just been taken. Please choose another."))
    except Exception:
        db.session.rollback()
        raise
