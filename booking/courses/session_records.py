"""Infusion session records (clinical.md, "Each infusion session"): what a clinician records for
one session of a course, the vital-sign alerts, the course page's data, and the review decision.

Only clinicians reach these (booking/dashboard/sessions.py checks the role). The views hand over
plain values (ints, Decimals, local times, lists of row dicts) and get plain data back
(dataclasses, strings): they never touch the models.

- `vital_alerts`, `max_rates` and `record_refusal` are PURE (stdlib only): plain values in,
  plain values out.
- Records follow time (design.md): a session is recorded only once it has started, and only
  when it was not cancelled or missed (no-show). A record made already stays editable.
- `check_record` checks what the values MEAN (ranges, end after start, a reason for a stop...)
  and returns messages keyed like the form's fields ("vitals-2-diastolic"), so every door gets
  the same answers and each message lands next to its field, on the right row.
- `save_session_record` is one transaction: the record, its rows, the computed maximum rates and
  alert, and the audit event are committed together or not at all.
- Every page that shows a record audits "session_record.view"; every save that changes something
  audits "session_record.change". Audit details carry ids and field NAMES only, never a value.
"""
import re
from dataclasses import dataclass
from datetime import datetime, time
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import audit, settings
from ..database import begin_write
from ..localized import localized
from ..extensions import db
from ..models import (ADVERSE_EVENT_CODES, SEVERITIES, AdverseEvent, Appointment,
                      AppointmentStatus, Course, CourseStatus, InfusionRate, InfusionSession,
                      StaffUser, VitalSign)
from ..rule_error import RuleError
from ..timeutil import clinic_tz, utcnow
from . import services as courses

# --- Ranges (clinical.md, "Each infusion session"; the brief of the session-records work) -----

WEIGHT_KG = (Decimal(30), Decimal(250), 1)          # low, high, decimal places
PAIN = (0, 10)
TOTAL_DOSE_MG = (Decimal(0), Decimal(2000), 2)
RATE_MG_PER_KG_H = (Decimal(0), Decimal(10), 3)
RATE_MG_PER_H = (Decimal(0), Decimal(1000), 2)
MINUTE = (0, 720)                                   # minutes from the start
SYSTOLIC = (60, 260)
DIASTOLIC = (30, 160)
HEART_RATE = (30, 220)
SPO2 = (50, 100)
NOTE_MAX = 500
REASON_MAX = 500
DECISION_NOTE_MAX = 2000
MAX_ROWS = {"rates": 24, "vitals": 96, "adverse_events": 24}

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

# --- Words ------------------------------------------------------------------------------------

ADVERSE_EVENT_LABELS = {
    "nausea": _l("Nausea (feeling sick)"),
    "vomiting": _l("Vomiting"),
    "dizziness": _l("Dizziness"),
    "blurred_vision": _l("Blurred vision"),
    "hallucinations": _l("Hallucinations (seeing or hearing things that are not there)"),
    "dissociation": _l("Dissociation (feeling detached from the body or the surroundings)"),
    "anxiety": _l("Anxiety"),
    "sedation": _l("Sedation (unusually drowsy, hard to wake)"),
    "hypertension": _l("High blood pressure"),
    "tachycardia": _l("Fast heart rate"),
    "worse_headache": _l("Headache got worse"),
    "other": _l("Other (describe it in the note)"),
}
assert set(ADVERSE_EVENT_LABELS) == set(ADVERSE_EVENT_CODES)
SEVERITY_LABELS = {"mild": _l("Mild"), "moderate": _l("Moderate"), "severe": _l("Severe")}
assert set(SEVERITY_LABELS) == set(SEVERITIES)
COURSE_STATUS_LABELS = {
    "awaiting_review": _l("Awaiting a clinician's review"),
    "confirmed": _l("Confirmed"),
    "declined": _l("Declined"),
    "cancelled": _l("Cancelled"),
    "completed": _l("Completed"),
    "not_attended": _l("Not attended"),
}
APPOINTMENT_STATUS_LABELS = {
    "booked": _l("Booked"), "arrived": _l("Arrived"), "completed": _l("Completed"),
    "no_show": _l("No-show"), "cancelled": _l("Cancelled"),
}
CHECK_VALUES = _l("Please correct the values marked below. Nothing was saved.")
# Why a session cannot be recorded (record_refusal), and the words for it.
NOT_STARTED, CANCELLED, MISSED = "not_started", "cancelled", "no_show"
NOT_RECORDABLE = {
    NOT_STARTED: _l("The session has not started yet: it can be recorded from its start."),
    CANCELLED: _l("This appointment was cancelled: there is no session to record."),
    MISSED: _l("The patient did not come (no-show): there is no session to record."),
}


# --- Domain errors: the views turn them into messages next to the fields (422). --------------

class RecordError(RuleError):
    """A rule broken; `fields` maps field keys to messages (422)."""


class InvalidRecord(RecordError):
    """A value breaks a rule: `fields` maps field keys ("vitals-0-spo2") to messages."""


class NotRecordable(RecordError):
    """There is no session to record (yet): not started, or cancelled or missed without a
    record."""


class NotAwaitingReview(RecordError):
    """Confirm / decline asked of a course that is not waiting for a review."""


# --- PURE: vital-sign alerts and maximum rates (stdlib only) ---------------------------------

# (measure key, name in the reason, threshold key for "above", threshold key for "below")
_VITAL_CHECKS = (
    ("systolic", "systolic", "systolic_high", "systolic_low"),
    ("diastolic", "diastolic", "diastolic_high", "diastolic_low"),
    ("heart_rate", "heart rate", "heart_rate_high", "heart_rate_low"),
    ("spo2", "SpO2", None, "spo2_low"),
)
_REASON = re.compile(r"^(systolic|diastolic|heart rate|SpO2) (\d+) ([<>]) (\d+) at minute (\d+)$")


def _get(row, key):
    if isinstance(row, dict):
        return row.get(key)
    return getattr(row, key, None)


def vital_alerts(vitals, thresholds):
    """Every reading beyond a clinic threshold, as reasons such as
    "systolic 190 > 180 at minute 30" (above a "high" value) or "SpO2 91 < 92 at minute 45"
    (below a "low" value). A reading equal to a threshold is not an alert. Readings are taken
    in minute order; a missing reading or a threshold that is not set is skipped.

    `vitals`: dicts (or objects) with minute, systolic, diastolic, heart_rate, spo2;
    `thresholds`: a mapping with keys systolic_high, systolic_low, diastolic_high,
    diastolic_low, heart_rate_high, heart_rate_low, spo2_low.
    """
    reasons = []
    def minute_order(row):
        minute = _get(row, "minute")
        return (minute is None, minute or 0)

    ordered = sorted(vitals, key=minute_order)
    for row in ordered:
        minute = _get(row, "minute")
        for key, name, high_key, low_key in _VITAL_CHECKS:
            value = _get(row, key)
            if value is None:
                continue
            high = thresholds.get(high_key) if high_key else None
            low = thresholds.get(low_key) if low_key else None
            if high is not None and value > high:
                reasons.append(f"{name} {value} > {high} at minute {minute}")
            elif low is not None and value < low:
                reasons.append(f"{name} {value} < {low} at minute {minute}")
    return reasons


_CENT = Decimal("0.01")
_MILLI = Decimal("0.001")


def rate_pair(mg_per_kg_h, mg_per_h, weight_kg):
    """Both forms of one rate: the one not given is computed from the dosing weight
    (mg/h = mg/kg/h x kg, rounded to 0.01; mg/kg/h = mg/h / kg, rounded to 0.001).
    A form that cannot be computed (no weight) stays None."""
    if mg_per_h is None and mg_per_kg_h is not None and weight_kg:
        mg_per_h = (Decimal(mg_per_kg_h) * Decimal(weight_kg)).quantize(_CENT, ROUND_HALF_UP)
    if mg_per_kg_h is None and mg_per_h is not None and weight_kg:
        mg_per_kg_h = (Decimal(mg_per_h) / Decimal(weight_kg)).quantize(_MILLI, ROUND_HALF_UP)
    return mg_per_kg_h, mg_per_h


def max_rates(rates, weight_kg):
    """(max mg/h, max mg/kg/h) over the rate rows, each None when no row gives it."""
    per_h, per_kg_h = [], []
    for row in rates:
        kg_h, h = rate_pair(_get(row, "mg_per_kg_h"), _get(row, "mg_per_h"), weight_kg)
        if h is not None:
            per_h.append(Decimal(h))
        if kg_h is not None:
            per_kg_h.append(Decimal(kg_h))
    return (max(per_h) if per_h else None), (max(per_kg_h) if per_kg_h else None)


def record_refusal(status, starts_at, now, recorded):
    """Why the session of an appointment (its status and start) cannot be recorded at `now`,
    or None when it can: NOT_STARTED before its start; CANCELLED or MISSED (a no-show) when
    nothing was recorded for it. A record already made stays editable (corrections)."""
    if now < starts_at:
        return NOT_STARTED
    if not recorded and status in (CANCELLED, MISSED):
        return status
    return None


# --- What the values mean: ranges and rules, messages keyed by field --------------------------

def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _places(value):
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent)


def _check_whole(errors, key, value, low, high, *, required=False, label_range=None):
    if value is None:
        if required:
            errors[key] = _("Please enter a whole number from %(low)d to %(high)d.",
                            low=low, high=high)
        return
    if not _is_int(value):
        errors[key] = _("Please enter a whole number.")
    elif not low <= value <= high:
        errors[key] = label_range or _("Please enter a number from %(low)d to %(high)d.",
                                       low=low, high=high)


def _check_decimal(errors, key, value, spec):
    low, high, places = spec
    if value is None:
        return
    if _is_int(value):
        value = Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        errors[key] = _("Please enter a number.")
    elif not low <= value <= high:
        errors[key] = _("Please enter a number from %(low)s to %(high)s.", low=low, high=high)
    elif _places(value) > places:
        errors[key] = (_("Please use at most one decimal place.") if places == 1 else
                       _("Please use at most %(n)d decimal places.", n=places))


def _weight_usable(data, errors):
    weight = data.get("dosing_weight_kg")
    return weight if weight is not None and "dosing_weight_kg" not in errors else None


def _check_rates(rows, data, errors):
    weight = _weight_usable(data, errors)
    seen = set()
    for index, row in enumerate(rows):
        key = f"rates-{index}-"
        minute = row.get("from_minute")
        if minute is None:
            errors[key + "from_minute"] = _("Please enter the minute this rate started (0 is the "
                                            "start).")
        else:
            _check_whole(errors, key + "from_minute", minute, *MINUTE)
            if key + "from_minute" not in errors:
                if minute in seen:
                    errors[key + "from_minute"] = _("Another rate row starts at this minute.")
                seen.add(minute)
        kg_h, h = row.get("mg_per_kg_h"), row.get("mg_per_h")
        _check_decimal(errors, key + "mg_per_kg_h", kg_h, RATE_MG_PER_KG_H)
        _check_decimal(errors, key + "mg_per_h", h, RATE_MG_PER_H)
        if kg_h is None and h is None:
            errors[key + "mg_per_kg_h"] = _("Please enter the rate in mg/kg/h, in mg/h, or both.")
        elif (kg_h is None or h is None) and weight is None:
            missing = key + ("mg_per_h" if h is None else "mg_per_kg_h")
            errors[missing] = _("Please enter this rate too, or the dosing weight to compute it.")


def _check_vitals(rows, errors):
    for index, row in enumerate(rows):
        key = f"vitals-{index}-"
        if row.get("minute") is None:
            errors[key + "minute"] = _("Please enter the minute of the reading (0 is the start).")
        else:
            _check_whole(errors, key + "minute", row["minute"], *MINUTE)
        systolic, diastolic = row.get("systolic"), row.get("diastolic")
        _check_whole(errors, key + "systolic", systolic, *SYSTOLIC)
        _check_whole(errors, key + "diastolic", diastolic, *DIASTOLIC)
        _check_whole(errors, key + "heart_rate", row.get("heart_rate"), *HEART_RATE)
        _check_whole(errors, key + "spo2", row.get("spo2"), *SPO2)
        if systolic is not None and diastolic is None:
            errors[key + "diastolic"] = _("Please enter the diastolic pressure too.")
        elif diastolic is not None and systolic is None:
            errors[key + "systolic"] = _("Please enter the systolic pressure too.")
        elif systolic is not None and key + "systolic" not in errors \
                and key + "diastolic" not in errors and not diastolic < systolic:
            errors[key + "diastolic"] = _("The diastolic pressure must be below the systolic "
                                          "pressure.")
        if all(row.get(name) is None for name in ("systolic", "diastolic", "heart_rate", "spo2")):
            errors[key + "systolic"] = _("Please enter at least one reading: blood pressure, "
                                         "heart rate or SpO2.")


def _check_events(rows, errors):
    for index, row in enumerate(rows):
        key = f"adverse_events-{index}-"
        if row.get("code") not in ADVERSE_EVENT_CODES:
            errors[key + "code"] = _("Please choose the event from the list.")
        if row.get("severity") not in SEVERITIES:
            errors[key + "severity"] = _("Please choose how severe it was.")
        note = row.get("note") or ""
        if not isinstance(note, str) or len(note) > NOTE_MAX:
            errors[key + "note"] = _("Please keep the note to %(n)d characters.", n=NOTE_MAX)
        elif row.get("code") == "other" and not note.strip():
            errors[key + "note"] = _("Please describe the event in the note.")


def check_record(data):
    """Messages for every value that breaks a rule, keyed by field ("pain_after",
    "vitals-0-spo2"); empty when the record may be saved. Checks meaning, not shape."""
    errors = {}
    started, ended = data.get("started_at"), data.get("ended_at")
    for key, value in (("started_at", started), ("ended_at", ended)):
        if value is not None and not isinstance(value, time):
            errors[key] = _("Please enter a time such as 10:30.")
    if ended is not None and started is None and "ended_at" not in errors:
        errors["started_at"] = _("Please enter the start time too.")
    elif isinstance(started, time) and isinstance(ended, time) and not ended > started:
        errors["ended_at"] = _("The end must be after the start.")

    _check_decimal(errors, "dosing_weight_kg", data.get("dosing_weight_kg"), WEIGHT_KG)
    for key in ("pain_before", "pain_after"):
        _check_whole(errors, key, data.get(key), *PAIN,
                     label_range=_("Please enter a pain rating from 0 (no pain) to 10 (worst "
                                   "imaginable)."))
    _check_decimal(errors, "total_dose_mg", data.get("total_dose_mg"), TOTAL_DOSE_MG)

    for name, limit in MAX_ROWS.items():
        if len(data.get(name) or ()) > limit:
            errors[name] = _("Please enter at most %(n)d rows here.", n=limit)
    _check_rates(data.get("rates") or (), data, errors)
    _check_vitals(data.get("vitals") or (), errors)
    _check_events(data.get("adverse_events") or (), errors)

    reason = data.get("stop_reason") or ""
    if not isinstance(reason, str) or len(reason) > REASON_MAX:
        errors["stop_reason"] = _("Please keep the reason to %(n)d characters.", n=REASON_MAX)
    elif (data.get("stopped") or data.get("paused")) and not reason.strip():
        errors["stop_reason"] = _("Please say why the infusion was stopped or paused.")
    elif reason.strip() and not (data.get("stopped") or data.get("paused")):
        errors["stop_reason"] = _("Tick “stopped” or “paused”, or leave the reason empty.")
    for key in ("discharge_criteria_met", "escort_present"):
        if data.get(key) not in (True, False, None):
            errors[key] = _("Please choose yes or no.")
    return errors


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


@dataclass(frozen=True)
class CourseSession:
    appointment_id: int
    day: int | None
    starts_at: datetime
    ends_at: datetime
    status: str
    status_label: str
    recorded: bool
    can_record: bool = True      # the "record" link is offered (record_refusal)
    not_recordable: str = ""     # else why not, in words
    pain_before: int | None = None
    pain_after: int | None = None
    max_rate_mg_per_h: str = ""
    max_rate_mg_per_kg_h: str = ""
    alert: bool = False
    alert_reasons: tuple = ()
    adverse_events: tuple = ()   # "Nausea (feeling sick): mild"
    stopped: bool = False
    paused: bool = False


@dataclass(frozen=True)
class CourseView:
    id: int
    reference: str
    patient_name: str
    service_name: str
    practitioner_name: str
    status: str
    status_label: str
    awaiting_review: bool
    sessions_count: int
    reviewed_at: datetime | None
    reviewed_by: str
    review_note: str
    sessions: tuple
    alerts: int                  # sessions with an alert


def number_text(value):
    """A Decimal or int as typed numbers look: 72.5, 40, 0.25 (no trailing zeros)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)


_REASON_NAMES = {"systolic": _l("Systolic blood pressure"),
                 "diastolic": _l("Diastolic blood pressure"),
                 "heart rate": _l("Heart rate"), "SpO2": _l("SpO2")}


def reason_text(reason):
    """A stored alert reason in words ("Systolic blood pressure 190, above the alert limit of
    180, at minute 30"); a reason of another shape is shown as stored."""
    match = _REASON.match(reason or "")
    if not match:
        return str(reason)
    name, value, op, limit, minute = match.groups()
    if op == ">":
        return _("%(name)s %(value)s, above the alert limit of %(limit)s, at minute %(minute)s",
                 name=_REASON_NAMES[name], value=value, limit=limit, minute=minute)
    return _("%(name)s %(value)s, below the alert limit of %(limit)s, at minute %(minute)s",
             name=_REASON_NAMES[name], value=value, limit=limit, minute=minute)


def _staff_name(user_id):
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


def _record_query():
    return select(InfusionSession).options(
        selectinload(InfusionSession.rates), selectinload(InfusionSession.vitals),
        selectinload(InfusionSession.adverse_events))


def _record_for(appointment_id):
    return db.session.execute(
        _record_query().where(InfusionSession.appointment_id == appointment_id)
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


def _refusal_words(appointment, recorded, now):
    """(can_record, why not in words) for the pages."""
    refusal = record_refusal(appointment.status, appointment.starts_at, now or utcnow(),
                             recorded)
    return refusal is None, str(NOT_RECORDABLE[refusal]) if refusal else ""


def session_page(appointment_id, *, now=None):
    """The record page's data (not audited: `open_session_page` is what a page view calls)."""
    appointment = _load_appointment(appointment_id)
    record = _record_for(appointment_id)
    can_record, not_recordable = _refusal_words(appointment, record is not None, now)
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
        recorded_by=_staff_name(record.recorded_by_id), alert=bool(record.alert),
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


# --- The course page ---------------------------------------------------------------------------

def _event_text(event):
    return _("%(event)s: %(severity)s", event=ADVERSE_EVENT_LABELS.get(event.code, event.code),
             severity=SEVERITY_LABELS.get(event.severity, event.severity))


def course_view(course_id, *, now=None):
    """The course with each session and what was recorded for it (not audited)."""
    now = now or utcnow()
    course = db.session.execute(
        select(Course).where(Course.id == course_id).options(
            joinedload(Course.patient), joinedload(Course.service),
            joinedload(Course.practitioner), selectinload(Course.appointments))
    ).scalar_one_or_none()
    if course is None:
        raise LookupError("course")
    records = {r.appointment_id: r for r in db.session.execute(
        _record_query().where(InfusionSession.appointment_id.in_(
            [a.id for a in course.appointments]))).scalars()}
    sessions = []
    for appointment in sorted(course.appointments,
                              key=lambda a: (a.course_day or 0, a.starts_at)):
        record = records.get(appointment.id)
        can_record, not_recordable = _refusal_words(appointment, record is not None, now)
        row = dict(appointment_id=appointment.id, day=appointment.course_day,
                   starts_at=appointment.starts_at, ends_at=appointment.ends_at,
                   status=appointment.status,
                   status_label=str(APPOINTMENT_STATUS_LABELS.get(appointment.status,
                                                                  appointment.status)),
                   can_record=can_record, not_recordable=not_recordable)
        if record is None:
            sessions.append(CourseSession(recorded=False, **row))
            continue
        sessions.append(CourseSession(
            recorded=True, pain_before=record.pain_before, pain_after=record.pain_after,
            max_rate_mg_per_h=number_text(record.max_rate_mg_per_h),
            max_rate_mg_per_kg_h=number_text(record.max_rate_mg_per_kg_h),
            alert=bool(record.alert),
            alert_reasons=tuple(reason_text(r) for r in record.alert_reasons or ()),
            adverse_events=tuple(_event_text(e) for e in record.adverse_events),
            stopped=bool(record.stopped), paused=bool(record.paused), **row))
    return CourseView(
        id=course.id, reference=course.reference, patient_name=course.patient.full_name,
        service_name=localized(course.service, "name"),
        practitioner_name=localized(course.practitioner, "full_name"),
        status=course.status,
        status_label=str(COURSE_STATUS_LABELS.get(course.status, course.status)),
        awaiting_review=course.status == CourseStatus.AWAITING_REVIEW.value,
        sessions_count=course.sessions_count, reviewed_at=course.reviewed_at,
        reviewed_by=_staff_name(course.reviewed_by_id), review_note=course.review_note or "",
        sessions=tuple(sessions), alerts=sum(1 for s in sessions if s.alert))


def open_course(course_id, *, now=None):
    """What a clinician opening the course page gets: the data, and the view of its session
    records audited (ids only)."""
    view = course_view(course_id, now=now)
    record_ids = db.session.execute(select(InfusionSession.id).where(
        InfusionSession.course_id == course_id).order_by(InfusionSession.id)).scalars().all()
    audit.record_now("session_record.view", object_type="course", object_id=course_id,
                     details={"infusion_session_ids": list(record_ids)})
    return view


def review_course(course_id, *, confirm, actor, note=""):
    """Confirm or decline a course that waits for a clinician's review (declining frees every
    session not started yet): booking.courses.services.decide, for held courses only."""
    course = db.session.get(Course, course_id)
    if course is None:
        raise LookupError("course")
    if course.status != CourseStatus.AWAITING_REVIEW.value:
        raise NotAwaitingReview(_("This course is not waiting for a review (it is %(status)s).",
                                  status=str(COURSE_STATUS_LABELS.get(course.status,
                                                                      course.status)).lower()))
    note = (note or "").strip()
    if len(note) > DECISION_NOTE_MAX:
        raise InvalidRecord(CHECK_VALUES, {"note": _("Please keep the note to %(n)d characters.",
                                                      n=DECISION_NOTE_MAX)})
    db.session.rollback()  # decide() takes its own write transaction from a clean start
    return courses.decide(course_id, confirm=confirm, actor=actor, note=note)
