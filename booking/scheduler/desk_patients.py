"""Patients at the reception desk: finding one by name, phone, email or date of birth, and the
patient page (contact details, the last 12 months and the booked future, no-shows and late
cancellations). No clinical content. Read side only, like desk_lookups.py.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select

from ..extensions import db
from ..intake.services import intake_status
from ..models import Appointment, AppointmentStatus, Patient
from ..timeutil import to_local, utcnow
from . import appointment_changes
from .contacts import normalise_phone
from .desk_lookups import CANCELLED, Entry, get_patient, with_desk_details

PATIENT_SEARCH_LIMIT = 50
PATIENT_HISTORY_DAYS = 365  # "the last 12 months" on the patient page


def _date_typed(text):
    for parse in (date.fromisoformat,
                  lambda value: datetime.strptime(value, "%d.%m.%Y").date(),
                  lambda value: datetime.strptime(value, "%d/%m/%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def _like(text):
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass
class SearchResult:
    text: str
    patients: list
    more: bool  # more than PATIENT_SEARCH_LIMIT matched: ask for a narrower search


def search_patients(text, limit=PATIENT_SEARCH_LIMIT):
    """Patients whose name, email, phone or date of birth match what was typed.

    One box for every key: a date (2026-01-31, 31.01.2026) matches the date of birth; a phone
    number in any common form is normalised (+380...) and matched exactly; four or more digits
    also match part of a phone; any text matches part of the name or the email."""
    text = " ".join(str(text or "").split())[:120]
    if len(text) < 2:
        return SearchResult(text, [], False)
    conditions = []
    born = _date_typed(text)
    if born is not None:
        conditions.append(Patient.date_of_birth == born)
    try:
        conditions.append(Patient.phone == normalise_phone(text))
    except ValueError:
        pass
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 4 and all(ch.isdigit() or ch in " +-()." for ch in text) and born is None:
        conditions.append(Patient.phone.like(_like(digits), escape="\\"))
    if born is None:
        # SQLite compares only ASCII letters without case; try the usual spellings of a name
        # typed in Cyrillic as well (ivan / Ivan / IVAN).
        for variant in {text, text.lower(), text.title(), text.upper(), text.capitalize()}:
            conditions.append(Patient.full_name.like(_like(variant), escape="\\"))
        conditions.append(Patient.email.like(_like(text.lower()), escape="\\"))
    found = db.session.execute(
        select(Patient).where(or_(*conditions)).order_by(Patient.full_name, Patient.id)
        .limit(limit + 1)
    ).scalars().all()
    return SearchResult(text, found[:limit], len(found) > limit)


@dataclass
class PatientOverview:
    patient: Patient
    since: date  # the first local day of the past shown
    future: list  # Entry rows, soonest first
    past: list  # Entry rows, latest first
    no_shows: int
    late_cancellations: int


def is_late_cancellation(appointment):
    """Cancelled at the patient's request less than MANAGE_CUTOFF_HOURS before the start
    (online that cannot happen, so these are the calls reception took after the cut-off)."""
    return (appointment.status == CANCELLED and appointment.cancelled_by == "patient"
            and appointment.cancelled_at is not None
            and appointment.cancelled_at > appointment_changes.change_deadline(appointment))


def patient_overview(patient_id, *, now=None):
    """Contact details and appointments of the last 12 months and the booked future, with the
    no-show and late-cancellation counts over them. No clinical content. None if unknown."""
    patient = get_patient(patient_id)
    if patient is None:
        return None
    now = now or utcnow()
    since = now - timedelta(days=PATIENT_HISTORY_DAYS)
    until = now + timedelta(days=current_app.config["STAFF_BOOKING_HORIZON_DAYS"] + 1)
    appointments = db.session.execute(with_desk_details(
        select(Appointment)
        .where(Appointment.patient_id == patient.id, Appointment.starts_at >= since,
               Appointment.starts_at < until)
        .order_by(Appointment.starts_at, Appointment.id)
    )).scalars().all()
    entries = [Entry(a, intake_status(a)) for a in appointments]
    return PatientOverview(
        patient=patient,
        since=to_local(since).date(),
        future=[e for e in entries if e.appointment.starts_at >= now],
        past=[e for e in reversed(entries) if e.appointment.starts_at < now],
        # Only missed appointments count: none marked before its start (data older than that
        # rule may hold some).
        no_shows=sum(a.status == AppointmentStatus.NO_SHOW.value and a.starts_at <= now
                     for a in appointments),
        late_cancellations=sum(is_late_cancellation(a) for a in appointments),
    )
