"""The attention queue: raise an item when an intake is marked urgent, list the open ones,
acknowledge and reopen them.

An item is raised from the `intake_urgent` event (subscribers.py), inside the intake's own
transaction, the moment the urgent answer is saved; the alert to staff is queued with it, once.
Acknowledging and reopening are a clinician's actions, each one transaction, audited with codes
only (the note is free text for clinicians and stays out of the audit log).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit
from ..database import begin_write
from ..extensions import db
from ..models import Appointment, AttentionItem, AttentionOutcome, Intake
from ..timeutil import utcnow
from . import alerts

NOTE_MAX = 2000
# Acknowledged items stay on the attention page this long, so a slip can be reopened.
RECENTLY_ACKNOWLEDGED_DAYS = 30
RECENTLY_ACKNOWLEDGED_LIMIT = 100

OUTCOME_LABELS = {
    AttentionOutcome.CONTACTED.value: _l("Contacted the patient"),
    AttentionOutcome.NOT_REACHABLE.value: _l("Not reachable"),
    AttentionOutcome.OTHER.value: _l("Other"),
}


class AttentionError(Exception):
    """A request that breaks a rule: `fields` holds a message per form field (422)."""

    status = 422

    def __init__(self, message, fields=None):
        super().__init__(str(message))
        self.message = str(message)
        self.fields = {key: str(value) for key, value in (fields or {}).items()}


# --- Raising (inside the intake's transaction) ---------------------------------------------------

def raise_for_intake(intake_id, reasons, *, now=None):
    """Open an item for this intake, or add new reasons to its item. Commits nothing (the
    intake service does). Queues the staff alert when the item is first raised."""
    now = now or utcnow()
    item = db.session.execute(
        select(AttentionItem).where(AttentionItem.intake_id == intake_id)).scalar_one_or_none()
    if item is not None:
        merged = list(item.reasons or []) + [code for code in reasons
                                             if code not in (item.reasons or [])]
        if merged != list(item.reasons or []):
            item.reasons = merged
        return item
    intake = db.session.get(Intake, intake_id)
    item = AttentionItem(intake_id=intake.id, appointment_id=intake.appointment_id,
                         patient_id=intake.patient_id, reasons=list(reasons), status="open",
                         raised_at=now)
    db.session.add(item)
    db.session.flush()
    audit.record("attention.raise", object_type="attention_item", object_id=item.id,
                 details={"appointment_id": intake.appointment_id, "reasons": list(reasons)},
                 actor_label="system")
    alerts.queue_urgent_alert(item)
    return item


# --- Reading --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AttentionRow:
    """One item as the pages show it (names for staff pages; the JSON keeps ids and codes)."""
    id: int
    status: str
    reasons: tuple
    raised_at: datetime
    appointment_id: int
    appointment_reference: str
    appointment_starts_at: datetime
    appointment_status: str
    course_id: int | None
    course_status: str | None
    patient_id: int
    patient_name: str
    patient_phone: str
    acknowledged_at: datetime | None = None
    acknowledged_by: str = ""
    outcome: str | None = None
    tried_at: datetime | None = None
    note: str = ""


def _row(item):
    appointment = item.appointment
    course = appointment.course
    by = item.acknowledged_by
    return AttentionRow(
        id=item.id, status=item.status, reasons=tuple(item.reasons or ()),
        raised_at=item.raised_at, appointment_id=appointment.id,
        appointment_reference=appointment.reference,
        appointment_starts_at=appointment.starts_at, appointment_status=appointment.status,
        course_id=course.id if course else None, course_status=course.status if course else None,
        patient_id=item.patient_id, patient_name=item.patient.full_name,
        patient_phone=item.patient.phone or "", acknowledged_at=item.acknowledged_at,
        acknowledged_by=(by.full_name or by.email) if by else "", outcome=item.outcome,
        tried_at=item.tried_at, note=item.note or "")


def _with_details(query):
    return query.options(
        selectinload(AttentionItem.appointment).selectinload(Appointment.course),
        selectinload(AttentionItem.patient), selectinload(AttentionItem.acknowledged_by))


def open_items():
    """Every open item, oldest first: whatever the appointment's date or status. The queue is
    small by nature (an item leaves it when acknowledged), so it is never cut off."""
    items = db.session.execute(_with_details(
        select(AttentionItem).where(AttentionItem.status == "open")
        .order_by(AttentionItem.raised_at, AttentionItem.id))).scalars().all()
    return [_row(item) for item in items]


def recently_acknowledged(*, now=None):
    """Items acknowledged in the last RECENTLY_ACKNOWLEDGED_DAYS, newest first (bounded)."""
    since = (now or utcnow()) - timedelta(days=RECENTLY_ACKNOWLEDGED_DAYS)
    items = db.session.execute(_with_details(
        select(AttentionItem)
        .where(AttentionItem.status == "acknowledged", AttentionItem.acknowledged_at >= since)
        .order_by(AttentionItem.acknowledged_at.desc(), AttentionItem.id.desc())
        .limit(RECENTLY_ACKNOWLEDGED_LIMIT))).scalars().all()
    return [_row(item) for item in items]


def item_of_appointment(appointment_id):
    """The appointment's item (its intake has at most one), as a row, or None."""
    item = db.session.execute(_with_details(
        select(AttentionItem).where(AttentionItem.appointment_id == appointment_id))
    ).scalar_one_or_none()
    return _row(item) if item else None


def as_json(row):
    """What programs get: ids, codes and times only; no names, no free text, no answers."""
    return {"id": row.id, "appointment_reference": row.appointment_reference,
            "patient_id": row.patient_id, "reasons": list(row.reasons),
            "raised_at": row.raised_at.isoformat()}


# --- A clinician's actions ------------------------------------------------------------------------

def _locked_item(item_id):
    begin_write()
    item = db.session.execute(
        select(AttentionItem).where(AttentionItem.id == item_id).with_for_update()
    ).scalar_one_or_none()
    if item is None:
        raise LookupError("attention_item")
    return item


def acknowledge(item_id, *, outcome, note="", tried_at=None, actor, now=None):
    """Close an open item: contacted, not reachable (when tried), or other (with a note).
    Raises AttentionError (422) with a message per field, LookupError (404)."""
    now = now or utcnow()
    note = (note or "").replace("\r\n", "\n").strip()
    errors = {}
    if outcome not in OUTCOME_LABELS:
        errors["outcome"] = _l("Please choose what happened.")
    if outcome == AttentionOutcome.NOT_REACHABLE.value:
        if tried_at is None:
            errors["tried_at"] = _l("Please give the time you tried to reach the patient.")
        elif tried_at > now:
            errors["tried_at"] = _l("The time you tried cannot be in the future.")
    if outcome == AttentionOutcome.OTHER.value and not note:
        errors["note"] = _l("Please say in the note what was done.")
    if len(note) > NOTE_MAX:
        errors["note"] = _l("Please keep the note to %(n)d characters.", n=NOTE_MAX)
    if errors:
        raise AttentionError(_l("Nothing was saved."), errors)
    try:
        item = _locked_item(item_id)
        if not item.is_open:
            raise AttentionError(_l("Another clinician has acknowledged this item already."))
        item.status = "acknowledged"
        item.acknowledged_at, item.acknowledged_by_id = now, actor.id
        item.outcome = outcome
        item.tried_at = tried_at if outcome == AttentionOutcome.NOT_REACHABLE.value else None
        item.note = note or None
        audit.record("attention.acknowledge", object_type="attention_item", object_id=item.id,
                     details={"outcome": outcome, "note": bool(note)}, actor=actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return item


def reopen(item_id, *, actor):
    """Put an acknowledged item back in the queue; the page still shows the earlier
    acknowledgement, and the audit log keeps every one."""
    try:
        item = _locked_item(item_id)
        if item.is_open:
            raise AttentionError(_l("This item is open already."))
        before = {"outcome": item.outcome, "acknowledged_at": item.acknowledged_at.isoformat(),
                  "acknowledged_by_id": item.acknowledged_by_id}
        # The earlier acknowledgement stays on the row (shown as "earlier") until the next one.
        item.status = "open"
        audit.record("attention.reopen", object_type="attention_item", object_id=item.id,
                     details={"before": before}, actor=actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return item
