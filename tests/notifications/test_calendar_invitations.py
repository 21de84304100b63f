"""The .ics invitations in emails parse, and every METHOD:REQUEST or CANCEL names the clinic as
ORGANIZER (RFC 5546 requires it; some calendar programs refuse an invitation without one), with
the patient as ATTENDEE."""
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from booking.courses import services as courses
from booking.notifications import calendar
from booking.scheduler import services as booking
from booking.scheduler import appointment_changes

from .conftest import outbox_rows

KYIV = ZoneInfo("Europe/Kyiv")
TUESDAY_10 = datetime(2026, 12, 8, 10, 0, tzinfo=KYIV)


def parsed(row):
    ics = Calendar.from_ical(row.ics)
    assert str(ics["METHOD"]) == row.ics_method
    return ics


def assert_invitation(ics, patient_email):
    events = ics.walk("VEVENT")
    assert events
    for event in events:
        organizer = event["ORGANIZER"]
        assert str(organizer) == "mailto:booking@expio.ua"
        assert str(organizer.params["CN"]) == "Expio"
        assert str(event["ATTENDEE"]) == f"mailto:{patient_email}"
        assert str(event["UID"]).endswith("@expio-booking")


def test_a_confirmation_move_and_cancellation_carry_the_clinic_as_organizer(
        consultation, patient_details):
    appointment, _token = booking.book(service_id=consultation.id, start=TUESDAY_10,
                                       patient=patient_details, consent=True)
    appointment_changes.reschedule_by_patient(appointment.id, TUESDAY_10.replace(hour=12))
    appointment_changes.cancel_by_patient(appointment.id)
    rows = [row for row in outbox_rows() if row.ics]
    assert [(row.kind, row.ics_method) for row in rows] == [
        ("confirmation", "REQUEST"), ("reschedule", "REQUEST"), ("cancellation", "CANCEL")]
    for row in rows:
        assert_invitation(parsed(row), patient_details["email"])


def test_a_course_invitation_names_the_organizer_on_every_session(course_service):
    courses.book_course(
        service_id=course_service.id,
        start=datetime.combine(date(2026, 12, 9), time(10), tzinfo=KYIV), sessions=3,
        patient={"full_name": "Course Patient", "email": "c@example.com",
                 "phone": "+380501234567", "date_of_birth": "1980-01-01"}, consent=True)
    [row] = [row for row in outbox_rows("course_confirmation")]
    ics = parsed(row)
    assert len(ics.walk("VEVENT")) == 3
    assert_invitation(ics, "c@example.com")


@pytest.mark.parametrize("sender, name", [("booking@expio.ua", "Expio"),
                                          ("Клініка Expio <booking@expio.ua>", "Клініка Expio")])
def test_the_organizer_is_the_sending_address_with_the_clinics_name(
        app, consultation, patient_details, sender, name):
    app.config["MAIL_DEFAULT_SENDER"] = sender
    appointment, _token = booking.book(service_id=consultation.id, start=TUESDAY_10,
                                       patient=patient_details, consent=True)
    ics = Calendar.from_ical(calendar.build_ics([appointment], "REQUEST"))
    [event] = ics.walk("VEVENT")
    assert str(event["ORGANIZER"]) == "mailto:booking@expio.ua"
    assert str(event["ORGANIZER"].params["CN"]) == name
