"""The append-only audit log: who viewed or changed what, and every sign-in and refused access.

`record` adds an event to the current transaction, so the event and the change it describes are
committed together (or not at all). Never pass clinical values, passwords or tokens: ids, field
names and non-clinical values (times, statuses) only.
"""
from flask import has_request_context, request
from flask_login import current_user

from .extensions import db
from .models import AuditEvent
from .timeutil import utcnow


def _current_actor():
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id, current_user.email
    return None, ""


def record(action, *, object_type="", object_id=None, details=None, actor=None, actor_label=None):
    """Add one audit event to the session (the caller's transaction commits it)."""
    actor_id, label = (actor.id, actor.email) if actor is not None else _current_actor()
    event = AuditEvent(
        at=utcnow(), actor_id=actor_id, actor=actor_label or label, action=action,
        object_type=object_type, object_id=object_id, details=details or {},
        ip=(request.remote_addr or "")[:45] if has_request_context() else "",
    )
    db.session.add(event)
    return event


def record_now(action, **fields):
    """Record and commit at once, for events that are not part of another change (a refused
    access, a page viewed). Commits only this event: call it outside other transactions."""
    record(action, **fields)
    db.session.commit()


def appointment_snapshot(appointment):
    """The non-clinical fields of an appointment, for before/after in the log."""
    return {
        "starts_at": appointment.starts_at.isoformat() if appointment.starts_at else None,
        "ends_at": appointment.ends_at.isoformat() if appointment.ends_at else None,
        "practitioner_id": appointment.practitioner_id,
        "service_id": appointment.service_id,
        "status": appointment.status,
        "cancelled_by": appointment.cancelled_by,
        "resource_id": appointment.resource_id,
        "course_id": appointment.course_id,
    }
