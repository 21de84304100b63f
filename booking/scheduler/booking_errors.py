"""The booking service's domain errors: views turn them into form errors, flashes or HTTP
statuses (422 for a broken rule, 409 for a time just taken).
"""


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
