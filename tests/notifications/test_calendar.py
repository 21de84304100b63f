"""The .ics files: the "Add to calendar" download behind the private manage link, and how
instants are written (Europe/Kyiv with its VTIMEZONE, also across a DST change)."""
from datetime import date, datetime, time, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from icalendar import Calendar

from booking.courses import services as courses
from booking.notifications import calendar
from booking.scheduler import services as booking
from booking.scheduler import appointment_changes

KYIV = ZoneInfo("Europe/Kyiv")
TUESDAY_10 = datetime(2026, 12, 8, 10, 0, tzinfo=KYIV)


def download(client, token):
    response = client.get(f"/manage/{token}/calendar.ics")
    return response, (Calendar.from_ical(response.data) if response.status_code == 200 else None)


def test_a_patient_downloads_their_appointment_as_an_ics_file(
        client, consultation, patient_details):
    appointment, token = booking.book(service_id=consultation.id, start=TUESDAY_10,
                                      patient=patient_details, consent=True)
    response, ics = download(client, token)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="expio-{appointment.reference}.ics"'
    assert str(ics["METHOD"]) == "PUBLISH"
    [event] = ics.walk("VEVENT")
    assert str(event["UID"]) == f"{appointment.reference}@expio-booking"
    assert event.decoded("DTSTART") == TUESDAY_10
    assert str(event["SUMMARY"]) == "Appointment at Expio"
    assert token not in response.get_data(as_text=True)


def test_a_cancelled_appointment_downloads_as_cancelled(client, consultation, patient_details):
    appointment, token = booking.book(service_id=consultation.id, start=TUESDAY_10,
                                      patient=patient_details, consent=True)
    appointment_changes.cancel_by_patient(appointment.id)
    _response, ics = download(client, token)
    [event] = ics.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1


def test_a_course_downloads_with_every_session(client, course_service):
    course, token = courses.book_course(
        service_id=course_service.id, start=datetime.combine(date(2026, 12, 9), time(10),
                                                             tzinfo=KYIV),
        sessions=4, patient={"full_name": "Course Patient", "email": "c@example.com",
                             "phone": "+380501234567", "date_of_birth": "1980-01-01"},
        consent=True)
    response, ics = download(client, token)
    assert response.headers["Content-Disposition"].endswith(f'expio-{course.reference}.ics"')
    events = ics.walk("VEVENT")
    assert [e.decoded("DTSTART") for e in events] == [
        a.starts_at.astimezone(KYIV) for a in course.appointments]


def test_a_wrong_token_is_a_private_404(client):
    response = client.get("/manage/not-a-real-token/calendar.ics")
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_manage_pages_link_to_the_download(client, consultation, course_service,
                                                patient_details):
    _appointment, token = booking.book(service_id=consultation.id, start=TUESDAY_10,
                                       patient=patient_details, consent=True)
    page = client.get(f"/manage/{token}").get_data(as_text=True)
    assert f'href="/manage/{token}/calendar.ics"' in page
    _course, course_token = courses.book_course(
        service_id=course_service.id, start=datetime.combine(date(2026, 12, 14), time(10),
                                                             tzinfo=KYIV),
        sessions=3, patient={"full_name": "Course Patient", "email": "c@example.com",
                             "phone": "+380501234567", "date_of_birth": "1980-01-01"},
        consent=True)
    page = client.get(f"/manage/{course_token}").get_data(as_text=True)
    assert f'href="/manage/{course_token}/calendar.ics"' in page


def test_times_after_the_spring_dst_change_keep_their_local_hour(app):
    """29 March 2027 is the day after Kyiv moves to summer time (UTC+3)."""
    starts = datetime(2027, 3, 29, 7, 0, tzinfo=timezone.utc)  # 10:00 in Kyiv
    appointment = SimpleNamespace(
        reference="EX-DST234", sequence=3, starts_at=starts,
        ends_at=datetime(2027, 3, 29, 8, 0, tzinfo=timezone.utc), status="booked",
        course_id=None, course=None, course_day=None,
        service=SimpleNamespace(name="Consultation"),
        patient=SimpleNamespace(full_name="Test Patient", email="p@example.com", language="en"))
    ics = Calendar.from_ical(calendar.build_ics([appointment], "REQUEST"))
    [event] = ics.walk("VEVENT")
    assert "DTSTART;TZID=Europe/Kyiv:20270329T100000" in ics.to_ical().decode()
    assert event.decoded("DTSTART").astimezone(timezone.utc) == starts
    [zone] = ics.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Kyiv"
    text = zone.to_ical().decode()
    assert "TZOFFSETTO:+0300" in text and "TZOFFSETTO:+0200" in text  # summer and winter
    assert int(event["SEQUENCE"]) == 3
