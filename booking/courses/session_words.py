"""Infusion session records in words: the labels of adverse events, severities and course and
appointment statuses, why a session cannot be recorded, numbers as typed, and a stored
vital-sign alert reason as a sentence.
"""
import re
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..models import ADVERSE_EVENT_CODES, SEVERITIES
from .session_checks import CANCELLED, MISSED, NOT_STARTED

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
NOT_RECORDABLE = {
    NOT_STARTED: _l("The session has not started yet: it can be recorded from its start."),
    CANCELLED: _l("This appointment was cancelled: there is no session to record."),
    MISSED: _l("The patient did not come (no-show): there is no session to record."),
}

# A stored alert reason, as session_checks.vital_alerts writes it.
_REASON = re.compile(r"^(systolic|diastolic|heart rate|SpO2) (\d+) ([<>]) (\d+) at minute (\d+)$")


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
