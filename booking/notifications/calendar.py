""".ics files for the patient: attached to emails, and the "Add to calendar" download.

One VEVENT per appointment (a course: one per session), built with the `icalendar` library:
- UID "<reference>@expio-booking": stable for the life of the appointment, so a calendar that
  holds it replaces it when a reschedule or a cancellation arrives;
- SEQUENCE = appointment.sequence (the services raise it on every move and cancellation);
- DTSTART/DTEND in Europe/Kyiv with TZID, and the VTIMEZONE that defines it;
- a neutral SUMMARY ("Appointment at Expio"): never the therapy, unless EMAIL_NAMES_SERVICES;
- no manage link: calendars are synced and shared, the private link must not travel with them.

METHOD: REQUEST (a new or moved appointment) or CANCEL (STATUS:CANCELLED) in emails, PUBLISH
for the download.
"""
from datetime import timedelta
from email.utils import parseaddr

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from ..localized import localized
from ..models import AppointmentStatus
from ..scheduler import manage_links
from ..scheduler.contacts import international_phone
from ..timeutil import clinic_tz, utcnow
from .outbox import clean_header

PRODID = "-//Expio//Expio booking//EN"
UID_DOMAIN = "expio-booking"


def event_uid(appointment):
    return f"{appointment.reference}@{UID_DOMAIN}"


def names_services():
    return bool(current_app.config.get("EMAIL_NAMES_SERVICES"))


def event_summary(appointment):
    """The title a calendar shows (in the current locale): neutral by default."""
    clinic = current_app.config["CLINIC_SHORT_NAME"]
    if names_services():
        title = _("%(service)s at %(clinic)s", service=localized(appointment.service, "name"),
                  clinic=clinic)
    else:
        title = _("Appointment at %(clinic)s", clinic=clinic)
    if appointment.course_id is not None and appointment.course is not None:
        title += " " + _("(day %(day)d of %(count)d)", day=appointment.course_day,
                         count=appointment.course.sessions_count)
    return title


def _description(appointment):
    config = current_app.config
    lines = [
        _("Reference: %(reference)s", reference=appointment.reference),
        _("To change or cancel, use the link in your confirmation email, or call the clinic: "
          "%(phone)s.", phone=international_phone(config["CLINIC_PHONE"])),
    ]
    return "\n".join(lines)


def _organizer():
    name, address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    if not address:
        return None
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = vText(clean_header(name or current_app.config["CLINIC_SHORT_NAME"],
                                                120))
    return organizer


def _attendee(patient):
    if not patient or not patient.email:
        return None
    attendee = vCalAddress(f"mailto:{clean_header(patient.email, 254)}")
    attendee.params["cn"] = vText(clean_header(patient.full_name, 120))
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    attendee.params["rsvp"] = vText("FALSE")
    return attendee


def _event(appointment, *, cancelled, stamp):
    tz = clinic_tz()
    event = Event()
    event.add("uid", event_uid(appointment))
    event.add("sequence", appointment.sequence or 0)
    event.add("dtstamp", stamp)
    event.add("dtstart", appointment.starts_at.astimezone(tz))
    event.add("dtend", appointment.ends_at.astimezone(tz))
    event.add("summary", event_summary(appointment))
    event.add("location", current_app.config["CLINIC_ADDRESS"])
    event.add("description", _description(appointment))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    organizer = _organizer()
    if organizer is not None:
        event.add("organizer", organizer)
    attendee = _attendee(appointment.patient)
    if attendee is not None:
        event.add("attendee", attendee)
    return event


def build_ics(appointments, method, *, language=None, now=None):
    """The .ics text for these appointments (one VEVENT each).

    method: "REQUEST" (events as they are now), "CANCEL" (every event STATUS:CANCELLED) or
    "PUBLISH" (the download: each event with its own status)."""
    if method not in ("REQUEST", "CANCEL", "PUBLISH"):
        raise ValueError(method)
    appointments = list(appointments)
    if not appointments:
        raise ValueError("no appointments")
    stamp = now or utcnow()
    language = language or appointments[0].patient.language or "en"
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    with force_locale(language):
        for appointment in appointments:
            cancelled = method == "CANCEL" or (
                method == "PUBLISH" and appointment.status == AppointmentStatus.CANCELLED.value)
            calendar.add_component(_event(appointment, cancelled=cancelled, stamp=stamp))
    # Only the rules around these dates: a short VTIMEZONE every client understands.
    first = min(a.starts_at for a in appointments).astimezone(clinic_tz()).date()
    last = max(a.ends_at for a in appointments).astimezone(clinic_tz()).date()
    calendar.add_missing_timezones(first_date=first - timedelta(days=366),
                                   last_date=last + timedelta(days=366))
    return calendar.to_ical().decode("utf-8")


def download_for_token(token):
    """("expio-<reference>.ics", text) for the private manage link's appointment, or every
    session of its course; None for an unknown token (the page answers 404)."""
    appointment = manage_links.appointment_by_token(token)
    if appointment is None:
        return None
    if appointment.course is not None:
        sessions = sorted(appointment.course.appointments, key=lambda a: a.course_day or 0)
        reference = appointment.course.reference
    else:
        sessions = [appointment]
        reference = appointment.reference
    return f"expio-{reference}.ics", build_ics(sessions, "PUBLISH")
