"""What happened to a booked appointment: reception marks arrival, completion or a no-show (or
steps back to correct a slip), never before it can have happened; and which of those moves the
desk may offer now (statuses.py decides, from the time).
"""
from datetime import timedelta

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import audit
from ..database import retry_on_conflict
from ..extensions import db
from ..timeutil import utcnow
from . import statuses
from .appointment_changes import locked
from .booking_errors import NotActive, StatusTooEarly

STATUS_TIME_PATTERN = "EEEE, d MMMM, HH:mm"  # in "not yet" messages (Kyiv time)


# booked -> arrived -> completed, or booked -> no-show; one step back corrects a slip. Moves
# forward follow time (statuses.py): nothing is marked attended or missed before it can be.
STATUS_MOVES = statuses.STATUS_MOVES


def arrival_window():
    return timedelta(minutes=current_app.config["ARRIVAL_WINDOW_MINUTES"])


def status_refusal(appointment, status, now=None):
    """Why `appointment` may not become `status` at `now`, as the domain error to raise or
    whose message to show; None when it may."""
    now = now or utcnow()
    reason = statuses.refusal(appointment.status, status, appointment.starts_at, now,
                              arrival_window())
    if reason is None:
        return None
    if reason == statuses.NOT_A_MOVE:
        return NotActive(_("An appointment that is %(current)s cannot become %(new)s.",
                           current=appointment.status, new=status))
    when = format_datetime(appointment.starts_at, STATUS_TIME_PATTERN)
    if status == statuses.ARRIVED:
        first = appointment.starts_at - arrival_window()
        return StatusTooEarly(ngettext(
            "Arrival can be marked from %(time)s, %(num)d minute before the start.",
            "Arrival can be marked from %(time)s, %(num)d minutes before the start.",
            current_app.config["ARRIVAL_WINDOW_MINUTES"],
            time=format_datetime(first, STATUS_TIME_PATTERN)))
    if status == statuses.NO_SHOW:
        return StatusTooEarly(_("A no-show can be marked only once the appointment has "
                                "started (%(when)s).", when=when))
    return StatusTooEarly(_("The appointment can be marked completed only once it has "
                            "started (%(when)s).", when=when))


def allowed_statuses(appointment, now=None):
    """Every status `appointment` may be given at `now` (the desk offers exactly these)."""
    return statuses.allowed(appointment.status, appointment.starts_at, now or utcnow(),
                            arrival_window())


@retry_on_conflict
def set_status(appointment_id, status, *, now=None):
    """Mark arrival, completion or a no-show (reception), or step back to correct a slip.
    Cancelling has its own functions. Raises NotActive (no such move) or StatusTooEarly (not
    yet: arrival from ARRIVAL_WINDOW_MINUTES before the start, the others from the start)."""
    now = now or utcnow()
    try:
        appointment = locked(appointment_id)
        refused = status_refusal(appointment, status, now)
        if refused is not None:
            raise refused
        before = audit.appointment_snapshot(appointment)
        appointment.status = status
        audit.record("appointment.status", object_type="appointment", object_id=appointment.id,
                     details={"before": before, "after": audit.appointment_snapshot(appointment)})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return appointment
