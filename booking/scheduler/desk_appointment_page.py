"""One appointment at the reception desk: its details, the status moves offered now (and why the
others wait), and its history from the audit log. Read side only, like desk_lookups.py.
"""
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select

from ..extensions import db
from ..intake.services import intake_status
from ..localized import localized
from ..models import Appointment, AuditEvent, Practitioner
from ..timeutil import utcnow
from . import attendance, booking_errors
from .desk_lookups import with_desk_details

# Buttons shown for each status move, in this order (attendance.allowed_statuses decides which
# are offered at the moment: what is allowed, and has had time to happen).
MOVE_ORDER = ("arrived", "completed", "no_show", "booked")


@dataclass
class Snapshot:
    """The non-clinical state an audit event recorded (before or after a change)."""

    starts_at: datetime | None
    practitioner: str
    status: str
    cancelled_by: str | None


@dataclass
class HistoryRow:
    at: datetime
    actor: str
    action: str  # appointment.create, .cancel, .reschedule, .status
    source: str
    before: Snapshot | None
    after: Snapshot | None


@dataclass
class AppointmentView:
    appointment: Appointment
    intake: str
    moves: list  # statuses it may move to now, in MOVE_ORDER
    history: list
    not_yet: list = field(default_factory=list)  # why the other moves wait (messages)


def _parse_instant(value):
    if not value:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)


def appointment_history(appointment_id):
    """The changes of one appointment, oldest first (the index on object_type+object_id): its
    appointment.* audit events. Who viewed its intake or session record is not a change and
    stays in the audit log (the desk's page is not the place for clinical events)."""
    events = db.session.execute(
        select(AuditEvent)
        .where(AuditEvent.object_type == "appointment", AuditEvent.object_id == appointment_id,
               AuditEvent.action.like("appointment.%"))
        .order_by(AuditEvent.at, AuditEvent.id)
    ).scalars().all()
    wanted = {snapshot.get("practitioner_id")
              for event in events for snapshot in ((event.details or {}).get("before"),
                                                   (event.details or {}).get("after"))
              if isinstance(snapshot, dict)}
    wanted.discard(None)
    names = {practitioner.id: localized(practitioner, "full_name")
             for practitioner in db.session.execute(
                 select(Practitioner).where(Practitioner.id.in_(wanted))).scalars()
             } if wanted else {}

    def snapshot(raw):
        if not isinstance(raw, dict):
            return None
        return Snapshot(starts_at=_parse_instant(raw.get("starts_at")),
                        practitioner=names.get(raw.get("practitioner_id"), ""),
                        status=str(raw.get("status") or ""),
                        cancelled_by=raw.get("cancelled_by"))

    return [HistoryRow(at=event.at, actor=event.actor or "", action=event.action,
                       source=str((event.details or {}).get("source") or ""),
                       before=snapshot((event.details or {}).get("before")),
                       after=snapshot((event.details or {}).get("after")))
            for event in events]


def allowed_moves(appointment, now=None):
    """The status moves to offer at `now`, in MOVE_ORDER."""
    allowed = attendance.allowed_statuses(appointment, now)
    return [status for status in MOVE_ORDER if status in allowed]


def moves_not_yet(appointment, now=None):
    """Why each move that exists but waits for its time is not offered yet (messages)."""
    refusals = (attendance.status_refusal(appointment, status, now) for status in MOVE_ORDER
                if status in attendance.STATUS_MOVES.get(appointment.status, ()))
    return [refused.message for refused in refusals
            if isinstance(refused, booking_errors.StatusTooEarly)]


def appointment_view(appointment_id, *, now=None):
    """Everything the appointment page shows, or None when there is no such appointment."""
    appointment = db.session.execute(with_desk_details(
        select(Appointment).where(Appointment.id == appointment_id)
    )).scalar_one_or_none()
    if appointment is None:
        return None
    now = now or utcnow()
    return AppointmentView(
        appointment=appointment, intake=intake_status(appointment),
        moves=allowed_moves(appointment, now), history=appointment_history(appointment.id),
        not_yet=moves_not_yet(appointment, now),
    )
