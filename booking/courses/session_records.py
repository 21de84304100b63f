"""Infusion session records (clinical.md, "Each infusion session"): what a clinician records for
one session of a course: the record page's data, opened audited, and saving the record. What the
values mean is booking/courses/session_checks.py's, their words session_words.py's, the course
page and its review decision course_records_page.py's.

Only clinicians reach these (booking/dashboard/sessions.py checks the role). The views hand over
plain values (ints, Decimals, local times, lists of row dicts) and get plain data back
(dataclasses, strings): they never touch the models.

- Records follow time (design.md): a session is recorded only once it has started, and only
  when it was not cancelled or missed (no-show). A record made already stays editable.
- `save_session_record` is one transaction: the record, its rows, the computed maximum rates and
  alert, and the audit event are committed together or not at all.
- Every page that shows a record audits "session_record.view"; every save that changes something
  audits "session_record.change". Audit details carry ids and field NAMES only, never a value.
"""
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import audit, settings
from ..database import begin_write
from ..localized import localized
from ..extensions import db
from ..models import (AdverseEvent, Appointment, AppointmentStatus, InfusionRate,
                      InfusionSession, StaffUser, VitalSign)
from ..rule_error import RuleError
from ..timeutil import clinic_tz, utcnow
from .session_checks import CHECK_VALUES, check_record, max_rates, record_refusal, vital_alerts
from .session_words import APPOINTMENT_STATUS_LABELS, NOT_RECORDABLE, number_text, reason_text

# The record's fields, in the order of the form (also the names the audit may carry).
SCALAR_FIELDS = ("started_at", "ended_at", "dosing_weight_kg", "pain_before", "pain_after",
                 "total_dose_mg", "stopped", "paused", "stop_reason", "discharge_criteria_met",
                 "escort_present")
ROW_FIELDS = {
    "rates": ("from_minute", "mg_per_kg_h", "mg_per_h"),
    "vitals": ("minute", "systolic", "diastolic", "heart_rate", "spo2"),
    "adverse_events": ("code", "severity", "note"),
}
COMPUTED_FIELDS = ("max_rate_mg_per_h", "max_rate_mg_per_kg_h", "alert", "alert_reasons")


# --- Domain errors: the views turn them into messages next to the fields (422). --------------

class RecordError(RuleError):
    """A rule broken; `fields` maps field keys to messages (422)."""


class InvalidRecord(RecordError):
    """A value breaks a rule: `fields` maps field keys ("vitals-0-spo2") to messages."""


class NotRecordable(RecordError):
    """There is no session to record (yet): not started, or cancelled or missed without a
    record."""


# --- Plain data for the templates -------------------------------------------------------------

@dataclass(frozen=True)
class SessionPage:
    appointment_id: int
    reference: str
    starts_at: datetime
    ends_at: datetime
    local_day: object            # the appointment's local date: the times are on this day
    status: str
    status_label: str
    service_name: str
    practitioner_name: str
    patient_name: str
    course_id: int | None
    course_day: int | None
    course_sessions: int | None
    recorded: bool
    updated_at: datetime | None = None
    recorded_by: str = ""
    alert: bool = False
    alert_reasons: tuple = ()    # in words
    max_rate_mg_per_h: str = ""
    max_rate_mg_per_kg_h: str = ""
    values: dict | None = None   # the stored values, for the form
    cancelled: bool = False
    can_record: bool = True      # the form is offered (record_refusal)
    not_recordable: str = ""     # else why not, in words


def staff_name(user_id):
    if user_id is None:
        return ""
    user = db.session.get(StaffUser, user_id)
    return (user.full_name or user.email) if user else ""


def _local_time(instant):
    return instant.astimezone(clinic_tz()).time().replace(second=0, microsecond=0) \
        if instant else None


def _form_values(record):
    """The stored record as the form's values (local times, numbers, rows)."""
    return {
        "started_at": _local_time(record.started_at),
        "ended_at": _local_time(record.ended_at),
        "dosing_weight_kg": record.dosing_weight_kg,
        "pain_before": record.pain_before,
        "pain_after": record.pain_after,
        "total_dose_mg": record.total_dose_mg,
        "rates": [{"from_minute": r.from_minute, "mg_per_kg_h": r.mg_per_kg_h,
                   "mg_per_h": r.mg_per_h} for r in record.rates],
        "vitals": [{"minute": v.minute, "systolic": v.systolic, "diastolic": v.diastolic,
                    "heart_rate": v.heart_rate, "spo2": v.spo2} for v in record.vitals],
        "adverse_events": [{"code": e.code, "severity": e.severity, "note": e.note}
                           for e in record.adverse_events],
        "stopped": bool(record.stopped),
        "paused": bool(record.paused),
        "stop_reason": record.stop_reason or "",
        "discharge_criteria_met": record.discharge_criteria_met,
        "escort_present": record.escort_present,
    }


def record_query():
    return select(InfusionSession).options(
        selectinload(InfusionSession.rates), selectinload(InfusionSession.vitals),
        selectinload(InfusionSession.adverse_events))


def _record_for(appointment_id):
    return db.session.execute(
        record_query().where(InfusionSession.appointment_id == appointment_id)
    ).scalar_one_or_none()


def _load_appointment(appointment_id):
    appointment = db.session.execute(
        select(Appointment).where(Appointment.id == appointment_id).options(
            joinedload(Appointment.patient), joinedload(Appointment.service),
            joinedload(Appointment.practitioner), joinedload(Appointment.course))
    ).scalar_one_or_none()
    if appointment is None:
        raise LookupError("appointment")
    return appointment


def refusal_words(appointment, recorded, now):
    """(can_record, why not in words) for the pages."""
    refusal = record_refusal(appointment.status, appointment.starts_at, now or utcnow(),
                             recorded)
    return refusal is None, str(NOT_RECORDABLE[refusal]) if refusal else ""


def session_page(appointment_id, *, now=None):
    """The record page's data (not audited: `open_session_page` is what a page view calls)."""
    appointment = _load_appointment(appointment_id)
    record = _record_for(appointment_id)
    can_record, not_recordable = refusal_words(appointment, record is not None, now)
    local_start = appointment.starts_at.astimezone(clinic_tz())
    base = dict(
        appointment_id=appointment.id, reference=appointment.reference,
        starts_at=appointment.starts_at, ends_at=appointment.ends_at,
        local_day=local_start.date(), status=appointment.status,
        status_label=str(APPOINTMENT_STATUS_LABELS.get(appointment.status, appointment.status)),
        service_name=localized(appointment.service, "name"),
        practitioner_name=localized(appointment.practitioner, "full_name"),
        patient_name=appointment.patient.full_name,
        course_id=appointment.course_id, course_day=appointment.course_day,
        course_sessions=appointment.course.sessions_count if appointment.course else None,
        cancelled=appointment.status == AppointmentStatus.CANCELLED.value,
        can_record=can_record, not_recordable=not_recordable,
    )
    if record is None:
        return SessionPage(recorded=False, values=None, **base)
    return SessionPage(
        recorded=True, updated_at=record.updated_at,
        recorded_by=staff_name(record.recorded_by_id), alert=bool(record.alert),
        alert_reasons=tuple(reason_text(r) for r in record.alert_reasons or ()),
        max_rate_mg_per_h=number_text(record.max_rate_mg_per_h),
        max_rate_mg_per_kg_h=number_text(record.max_rate_mg_per_kg_h),
        values=_form_values(record), **base)


def open_session_page(appointment_id, *, now=None):
    """What a clinician opening the record page gets: the data, and the view audited (ids
    only) in its own transaction."""
    page = session_page(appointment_id, now=now)
    record_id = db.session.execute(select(InfusionSession.id).where(
        InfusionSession.appointment_id == appointment_id)).scalar_one_or_none()
    audit.record_now("session_record.view", object_type="appointment", object_id=appointment_id,
                     details={"infusion_session_id": record_id, "course_id": page.course_id})
    return page


# --- Saving ---------------------------------------------------------------------------------

def _row_key(row):
    return [(value is None, value or 0) for value in row]


def _snapshot(record):
    """Comparable values of every recorded field (to name what a save changed)."""
    values = {name: getattr(record, name) for name in SCALAR_FIELDS + COMPUTED_FIELDS}
    values["stop_reason"] = values["stop_reason"] or ""
    values["alert_reasons"] = list(values["alert_reasons"] or [])
    values["alert"] = bool(values["alert"])
    values["stopped"], values["paused"] = bool(values["stopped"]), bool(values["paused"])
    for name, columns in ROW_FIELDS.items():
        rows = [tuple(getattr(row, column) for column in columns)
                for row in getattr(record, name)]
        values[name] = rows if name == "adverse_events" else sorted(rows, key=_row_key)
    return values


def _aware(day, clock):
    if clock is None:
        return None
    return datetime.combine(day, clock, tzinfo=clinic_tz())


def _dec(value):
    return None if value is None else Decimal(value)


def _thresholds():
    return settings.get("VITAL_ALERTS")


def save_session_record(appointment_id, data, *, actor, now=None):
    """Create or update the record of one session in one transaction: the values, the rows
    (replaced), the maximum rates and the alert computed here, and the audit event naming the
    changed fields. Returns (record id, changed field names); nothing is written when nothing
    changed. Raises LookupError (no such appointment), NotRecordable (not started yet, or
    cancelled or missed without a record: record_refusal), InvalidRecord."""
    now = now or utcnow()
    try:
        begin_write()
        appointment = db.session.execute(
            select(Appointment).where(Appointment.id == appointment_id).with_for_update()
        ).scalar_one_or_none()
        if appointment is None:
            raise LookupError("appointment")
        record = _record_for(appointment_id)
        refusal = record_refusal(appointment.status, appointment.starts_at, now,
                                 record is not None)
        if refusal is not None:
            raise NotRecordable(str(NOT_RECORDABLE[refusal]))
        errors = check_record(data)
        if errors:
            raise InvalidRecord(CHECK_VALUES, errors)

        day = appointment.starts_at.astimezone(clinic_tz()).date()
        weight = _dec(data.get("dosing_weight_kg"))
        rates = data.get("rates") or []
        vitals = data.get("vitals") or []
        max_h, max_kg_h = max_rates(rates, weight)
        reasons = vital_alerts(vitals, _thresholds())

        before = _snapshot(record) if record is not None else None
        if record is None:
            record = InfusionSession(appointment_id=appointment.id)
            db.session.add(record)
        record.course_id, record.course_day = appointment.course_id, appointment.course_day
        record.started_at = _aware(day, data.get("started_at"))
        record.ended_at = _aware(day, data.get("ended_at"))
        record.dosing_weight_kg = weight
        record.pain_before, record.pain_after = data.get("pain_before"), data.get("pain_after")
        record.total_dose_mg = _dec(data.get("total_dose_mg"))
        record.max_rate_mg_per_h, record.max_rate_mg_per_kg_h = max_h, max_kg_h
        record.stopped, record.paused = bool(data.get("stopped")), bool(data.get("paused"))
        record.stop_reason = (data.get("stop_reason") or "").strip()
        record.discharge_criteria_met = data.get("discharge_criteria_met")
        record.escort_present = data.get("escort_present")
        record.alert, record.alert_reasons = bool(reasons), reasons
        record.rates = [InfusionRate(from_minute=r["from_minute"],
                                     mg_per_kg_h=_dec(r.get("mg_per_kg_h")),
                                     mg_per_h=_dec(r.get("mg_per_h"))) for r in rates]
        record.vitals = [VitalSign(minute=v["minute"], systolic=v.get("systolic"),
                                   diastolic=v.get("diastolic"), heart_rate=v.get("heart_rate"),
                                   spo2=v.get("spo2")) for v in vitals]
        record.adverse_events = [AdverseEvent(code=e["code"], severity=e["severity"],
                                              note=(e.get("note") or "").strip())
                                 for e in data.get("adverse_events") or []]

        after = _snapshot(record)
        changed = [name for name in after if before is None or before[name] != after[name]]
        if before is not None and not changed:
            record_id = record.id
            db.session.rollback()
            return record_id, []
        record.recorded_by_id = actor.id
        db.session.flush()
        audit.record("session_record.change", object_type="infusion_session",
                     object_id=record.id,
                     details={"appointment_id": appointment.id, "course_id": appointment.course_id,
                              "created": before is None, "fields": changed}, actor=actor)
        db.session.commit()
        return record.id, changed
    except Exception:
        db.session.rollback()
        raise
