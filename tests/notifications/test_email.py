"""The emails a patient gets, delivered over a real SMTP server on localhost: what they say,
their .ics files, their links, and what they must never contain."""
import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from booking.courses import services as courses
from booking.extensions import db
from booking.models import Patient
from booking.notifications import messages
from booking.scheduler import services as booking
from booking.scheduler import appointment_changes

from .conftest import outbox_rows

KYIV = ZoneInfo("Europe/Kyiv")
TUESDAY_10 = datetime(2026, 12, 8, 10, 0, tzinfo=KYIV)
WEDNESDAY_12 = datetime(2026, 12, 9, 12, 0, tzinfo=KYIV)


def at(day, hour=10, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=KYIV)


def deliver(runner):
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    return result


def book(service, details, start=TUESDAY_10, **extra):
    return booking.book(service_id=service.id, start=start, patient=details, consent=True,
                        language=extra.pop("language", "en"), **extra)


def event_of(received):
    [event] = received.calendar.walk("VEVENT")
    return event


# --- The confirmation ----------------------------------------------------------------------------

def test_a_booking_is_confirmed_by_email_with_the_time_place_link_and_what_to_bring(
        mail_app, smtp_server, runner, consultation, patient_details):
    appointment, token = book(consultation, patient_details)
    result = deliver(runner)
    assert "1 sent" in result.output

    [received] = smtp_server.received
    assert received.rcpt_tos == ["patient@example.com"]
    email = received.email
    assert email["To"].addresses[0].addr_spec == "patient@example.com"
    assert email["To"].addresses[0].display_name == "Test Patient"
    assert email["From"].addresses[0].addr_spec == "booking@expio.ua"
    assert email["Subject"] == "Your appointment at Expio: Tuesday, 8 December 2026, 10:00"
    text = received.text
    assert "Tuesday, 8 December 2026, 10:00-11:00 (Kyiv time)" in text
    assert mail_app.config["CLINIC_ADDRESS"] in text
    assert "+380 73 730 80 88" in text
    assert appointment.reference in text
    assert f"http://127.0.0.1:5000/manage/{token}" in text
    assert f"http://127.0.0.1:5000/manage/{token}/intake" in text
    for thing in ("identity document", "medicines you take now", "earlier tests"):
        assert thing in text
    assert "take you home" not in text  # only for infusion services
    html = received.html
    assert f'href="http://127.0.0.1:5000/manage/{token}"' in html
    assert "Tuesday, 8 December 2026" in html

    [row] = outbox_rows()
    assert (row.kind, row.status, row.attempts) == ("confirmation", "sent", 1)
    assert row.sent_at is not None and row.appointment_id == appointment.id


def test_the_confirmation_carries_an_ics_at_the_right_instant_in_kyiv(
        mail_app, smtp_server, runner, consultation, patient_details):
    appointment, _token = book(consultation, patient_details)
    deliver(runner)
    [received] = smtp_server.received
    part = received.ics_part
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() == "expio.ics"
    calendar = received.calendar
    assert str(calendar["METHOD"]) == "REQUEST"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Kyiv"]
    event = event_of(received)
    assert str(event["UID"]) == f"{appointment.reference}@expio-booking"
    assert int(event["SEQUENCE"]) == 0
    assert event["DTSTART"].params["TZID"] == "Europe/Kyiv"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == TUESDAY_10 and start.astimezone(timezone.utc).hour == 8
    assert end - start == timedelta(hours=1)
    assert str(event["SUMMARY"]) == "Appointment at Expio"
    assert str(event["LOCATION"]) == mail_app.config["CLINIC_ADDRESS"]
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "DTSTAMP" in event
    assert "/manage/" not in part.get_content()  # the private link never goes to a calendar


def test_a_reschedule_keeps_the_uid_raises_the_sequence_and_has_no_manage_link(
        mail_app, smtp_server, runner, consultation, patient_details):
    appointment, token = book(consultation, patient_details)
    appointment_changes.reschedule_by_patient(appointment.id, WEDNESDAY_12)
    deliver(runner)
    confirmation, notice = smtp_server.received
    assert notice.email["Subject"] == \
        "Your appointment at Expio has moved: Wednesday, 9 December 2026, 12:00"
    assert "Wednesday, 9 December 2026, 12:00-13:00 (Kyiv time)" in notice.text
    assert "use the link in your confirmation email, or call the clinic" in notice.text
    assert token not in notice.everything and "/manage/" not in notice.everything
    first, moved = event_of(confirmation), event_of(notice)
    assert str(moved["UID"]) == str(first["UID"]) == f"{appointment.reference}@expio-booking"
    assert int(moved["SEQUENCE"]) == 1 > int(first["SEQUENCE"])
    assert str(notice.calendar["METHOD"]) == "REQUEST"
    assert moved.decoded("DTSTART") == WEDNESDAY_12
    assert [row.kind for row in outbox_rows()] == ["confirmation", "reschedule"]


def test_a_cancellation_sends_method_cancel_with_the_same_uid(
        mail_app, smtp_server, runner, consultation, patient_details):
    appointment, _token = book(consultation, patient_details)
    appointment_changes.reschedule_by_patient(appointment.id, WEDNESDAY_12)
    appointment_changes.cancel_by_patient(appointment.id, "Marker-Reason-321")
    deliver(runner)
    notice = smtp_server.received[-1]
    assert notice.email["Subject"] == \
        "Your appointment at Expio on Wednesday, 9 December 2026 is cancelled"
    assert "cancelled, as you asked" in notice.text
    assert notice.ics_part.get_param("method") == "CANCEL"
    assert str(notice.calendar["METHOD"]) == "CANCEL"
    event = event_of(notice)
    assert str(event["UID"]) == f"{appointment.reference}@expio-booking"
    assert int(event["SEQUENCE"]) == 2
    assert str(event["STATUS"]) == "CANCELLED"
    assert "Marker-Reason-321" not in notice.everything  # a typed reason is never repeated


def test_changes_made_by_reception_notify_the_patient_too(
        mail_app, smtp_server, runner, consultation, patient_details):
    appointment, token = booking.book_by_staff(
        service_id=consultation.id, start=TUESDAY_10, actor=None, patient=patient_details,
        consent=True)
    appointment_changes.reschedule_by_staff(appointment.id, WEDNESDAY_12)
    appointment_changes.cancel_by_staff(appointment.id, "Doctor ill", cancelled_by="clinic")
    deliver(runner)
    kinds = [row.kind for row in outbox_rows()]
    assert kinds == ["confirmation", "reschedule", "cancellation"]
    confirmation, moved, cancelled = smtp_server.received
    assert f"/manage/{token}" in confirmation.text  # desk bookings get the link too
    assert "середа, 9 грудня 2026" in moved.text  # desk bookings: Ukrainian by default
    assert "клініці Expio довелося скасувати Ваш прийом" in cancelled.text
    assert "Doctor ill" not in cancelled.everything


def test_a_patient_without_an_email_address_gets_nothing(
        mail_app, smtp_server, runner, consultation):
    patient = Patient(full_name="No Mail", email="", phone="+380501234567",
                      date_of_birth=date(1980, 1, 1))
    db.session.add(patient)
    db.session.commit()
    appointment, _token = booking.book_by_staff(service_id=consultation.id, start=TUESDAY_10,
                                                actor=None, patient_id=patient.id)
    appointment_changes.cancel_by_staff(appointment.id)
    deliver(runner)
    assert outbox_rows() == [] and smtp_server.received == []


# --- Naming the service, languages, escaping -----------------------------------------------------

def test_the_service_is_never_named_by_default(
        mail_app, smtp_server, runner, consultation, patient_details):
    book(consultation, patient_details)
    deliver(runner)
    [received] = smtp_server.received
    assert "Psychotherapy" not in received.everything
    assert "Dr Test" not in received.everything


def test_the_service_is_named_in_the_body_only_when_configured(
        mail_app, smtp_server, runner, consultation, patient_details):
    mail_app.config["EMAIL_NAMES_SERVICES"] = True
    book(consultation, patient_details)
    deliver(runner)
    [received] = smtp_server.received
    assert "Service: Psychotherapy for migraine" in received.text
    assert "Psychotherapy" not in received.email["Subject"]
    assert str(event_of(received)["SUMMARY"]) == "Psychotherapy for migraine at Expio"


def test_infusion_services_ask_for_an_escort_and_no_driving(
        mail_app, smtp_server, runner, create_service, create_practitioner, patient_details):
    service = create_service(name="Infusion", duration_minutes=60, observation_minutes=60)
    create_practitioner([service])
    book(service, patient_details)
    deliver(runner)
    [received] = smtp_server.received
    assert "someone who can take you home afterwards, and do not drive on that day" \
        in received.text
    assert "take you home" in received.html


def test_a_ukrainian_speaking_patient_gets_dates_in_ukrainian(
        mail_app, smtp_server, runner, consultation, patient_details):
    book(consultation, patient_details, language="uk")
    deliver(runner)
    [received] = smtp_server.received
    assert "вівторок, 8 грудня 2026" in received.text
    assert received.email["Content-Language"] == "uk"
    assert outbox_rows()[0].language == "uk"


def test_names_are_escaped_in_the_html_part(
        mail_app, smtp_server, runner, consultation, patient_details):
    patient_details["full_name"] = "Ann <b>Bold</b> & Co"
    book(consultation, patient_details)
    deliver(runner)
    [received] = smtp_server.received
    assert "Ann &lt;b&gt;Bold&lt;/b&gt; &amp; Co" in received.html
    assert "<b>Bold</b>" not in received.html
    assert "Hello Ann <b>Bold</b> & Co," in received.text  # plain text stays as typed


# --- Courses -------------------------------------------------------------------------------------

def book_course(service, sessions=5, **extra):
    return courses.book_course(
        service_id=service.id, start=at(date(2026, 12, 9)), sessions=sessions,
        patient={"full_name": "Course Patient", "email": "course@example.com",
                 "phone": "+380501234567", "date_of_birth": "1980-01-01"},
        consent=True, language="en", **extra)


def test_a_course_is_confirmed_in_one_email_listing_every_session_with_one_ics(
        mail_app, smtp_server, runner, course_service):
    course, token = book_course(course_service)
    deliver(runner)
    [received] = smtp_server.received
    assert received.email["Subject"] == \
        "Your treatment course at Expio: 5 sessions from Wednesday, 9 December 2026"
    text = received.text
    for day, label in enumerate(["Wednesday, 9 December 2026", "Thursday, 10 December 2026",
                                 "Friday, 11 December 2026", "Monday, 14 December 2026",
                                 "Tuesday, 15 December 2026"], start=1):
        assert f"Day {day} of 5: {label}, 10:00-11:00" in text
    assert f"http://127.0.0.1:5000/manage/{token}" in text
    assert course.reference in text
    assert "someone who can take you home" in text
    assert "Ketamine" not in received.everything and "infusion" not in received.everything
    events = received.calendar.walk("VEVENT")
    assert len(events) == 5
    assert {str(e["UID"]) for e in events} == {
        f"{a.reference}@expio-booking" for a in course.appointments}
    assert sorted(e.decoded("DTSTART") for e in events) == [
        a.starts_at.astimezone(KYIV) for a in course.appointments]
    assert str(events[1]["SUMMARY"]) == "Appointment at Expio (day 2 of 5)"
    assert [row.kind for row in outbox_rows()] == ["course_confirmation"]


def test_each_course_change_sends_one_notice(
        mail_app, smtp_server, runner, course_service, create_staff):
    course, _token = book_course(course_service, sessions=3)
    first, second, third = course.appointments
    courses.move_session(third.id, at(date(2026, 12, 14)))
    courses.move_rest(course.id, at(date(2026, 12, 15)))
    courses.cancel_rest(course.id, cancelled_by="patient")
    deliver(runner)
    assert [row.kind for row in outbox_rows()] == [
        "course_confirmation", "course_change", "course_change", "course_change"]
    _confirmation, one_moved, rest_moved, rest_cancelled = smtp_server.received

    assert "A session of your treatment course at Expio has a new time." in one_moved.text
    assert "Day 3 of 3: Monday, 14 December 2026, 10:00-11:00" in one_moved.text
    [event] = one_moved.calendar.walk("VEVENT")
    assert str(event["UID"]) == f"{third.reference}@expio-booking"
    assert int(event["SEQUENCE"]) == 1

    assert "The remaining sessions of your treatment course at Expio have new times." \
        in rest_moved.text
    assert len(rest_moved.calendar.walk("VEVENT")) == 3
    assert str(rest_moved.calendar["METHOD"]) == "REQUEST"

    assert "are cancelled, as you asked" in rest_cancelled.text
    assert str(rest_cancelled.calendar["METHOD"]) == "CANCEL"
    assert {str(e["STATUS"]) for e in rest_cancelled.calendar.walk("VEVENT")} == {"CANCELLED"}
    assert "/manage/" not in rest_cancelled.everything


def test_a_course_declined_by_a_clinician_is_notified_without_saying_why(
        mail_app, smtp_server, runner, course_service, create_staff):
    course, _token = book_course(course_service, sessions=3)
    clinician = create_staff("doc@example.com", roles=("clinician",))
    courses.decide(course.id, confirm=False, actor=clinician, note="Marker-Note-55 psychosis")
    deliver(runner)
    notice = smtp_server.received[-1]
    assert outbox_rows()[-1].kind == "course_change"
    assert "cannot go ahead with your treatment course" in notice.text
    assert len(notice.calendar.walk("VEVENT")) == 3
    assert str(notice.calendar["METHOD"]) == "CANCEL"
    assert "Marker-Note-55" not in notice.everything and "psychosis" not in notice.everything


# --- Links use the canonical host ----------------------------------------------------------------

def test_the_manage_link_uses_the_canonical_url_even_with_a_forged_host_header(
        mail_app, smtp_server, runner, client, consultation, patient_details):
    mail_app.config["CANONICAL_URL"] = "https://booking.expio.ua"
    response = client.post("/api/v1/bookings", base_url="http://evil.example", json={
        "service_id": consultation.id, "start": TUESDAY_10.isoformat(),
        "patient": patient_details, "consent": True})
    assert response.status_code == 201, response.get_data(as_text=True)
    deliver(runner)
    [received] = smtp_server.received
    assert "evil.example" not in received.everything
    links = re.findall(r"https?://[^\s\"<>]+", received.text)
    assert links and all(link.startswith("https://booking.expio.ua/manage/") for link in links)
    token = links[0].rsplit("/manage/", 1)[1]
    assert client.get(f"/manage/{token}").status_code == 200


def test_the_html_booking_form_with_a_forged_host_also_gets_canonical_links(
        mail_app, smtp_server, runner, client, consultation, patient_details):
    mail_app.config["CANONICAL_URL"] = "https://booking.expio.ua"
    response = client.post(
        f"/book/{consultation.id}/details", headers={"Host": "evil.example"},
        data={"start": TUESDAY_10.isoformat(), "consent": "y", **patient_details})
    assert response.status_code == 303, response.get_data(as_text=True)
    deliver(runner)
    [received] = smtp_server.received
    assert "evil.example" not in received.everything
    assert "https://booking.expio.ua/manage/" in received.text


# --- No header injection -------------------------------------------------------------------------

def test_a_name_with_a_line_break_never_makes_a_header(
        mail_app, smtp_server, runner, consultation, patient_details):
    patient_details["full_name"] = "Eve\r\nBcc: x@evil"
    appointment, _token = book(consultation, patient_details)
    # Even a name stored with its line break (typed in elsewhere) stays out of the headers.
    appointment.patient.full_name = "Eve\r\nBcc: x@evil.example\r\nX-Injected: yes"
    db.session.commit()
    appointment_changes.cancel_by_patient(appointment.id)
    deliver(runner)
    assert len(smtp_server.received) == 2
    for received in smtp_server.received:
        email = received.email
        assert received.rcpt_tos == ["patient@example.com"]
        assert email["Bcc"] is None and email["X-Injected"] is None
        assert [a.addr_spec for a in email["To"].addresses] == ["patient@example.com"]
        header_block = received.raw.split(b"\r\n\r\n", 1)[0]
        assert not re.search(rb"^(Bcc|X-Injected):", header_block, re.MULTILINE | re.IGNORECASE)


def test_an_address_with_a_line_break_is_refused_and_never_sent(
        mail_app, smtp_server, runner):
    message = messages.queue_plain("waitlist_offer", "a@example.com\r\nBcc: x@evil.example",
                                   "Eve", "en", "Hello\r\nBcc: x@evil.example", "Text")
    db.session.commit()
    assert "\n" not in message.to_address and "\n" not in message.subject
    result = deliver(runner)
    assert "1 failed" in result.output
    [row] = outbox_rows()
    assert row.status == "failed" and "InvalidAddress" in row.last_error
    assert smtp_server.received == []


def test_building_an_email_refuses_an_address_with_cr_or_lf(app):
    from booking.notifications import sender

    row = {"id": 1, "created_at": None, "to_address": "a@example.com\nBcc: x@evil.example",
           "to_name": "Eve", "subject": "Hi", "text_body": "Text", "html_body": "", "ics": None,
           "ics_method": None, "language": "en"}
    with pytest.raises(sender.InvalidAddress):
        sender.build_email(row)


# --- Development: the console --------------------------------------------------------------------

def test_in_development_without_a_mail_server_messages_are_printed(
        app, runner, consultation, patient_details):
    assert app.config["MAIL_SERVER"] is None
    appointment, token = book(consultation, patient_details)
    result = deliver(runner)
    assert "Subject: Your appointment at Expio: Tuesday, 8 December 2026, 10:00" in result.output
    assert "To: Test Patient <patient@example.com>" in result.output
    assert f"/manage/{token}" in result.output
    assert "[attachment: expio.ics (text/calendar; method=REQUEST)]" in result.output
    assert "1 sent" in result.output
    assert outbox_rows()[0].status == "sent"


def test_outside_development_a_missing_mail_server_is_an_error_not_a_printout(app):
    from booking.notifications import sender

    with pytest.raises(sender.MailNotConfigured):
        sender.transport_for({"MAIL_SERVER": None, "MAIL_CONSOLE": False})
    from config import ProductionConfig

    assert not getattr(ProductionConfig, "MAIL_CONSOLE", False)


def test_reception_cancelling_one_session_of_a_course_sends_a_course_notice(
        mail_app, smtp_server, runner, course_service):
    course, _token = book_course(course_service, sessions=3)
    second = course.appointments[1]
    appointment_changes.cancel_by_staff(second.id, "Chair broken", cancelled_by="clinic")
    deliver(runner)
    assert [row.kind for row in outbox_rows()] == ["course_confirmation", "course_change"]
    notice = smtp_server.received[-1]
    assert "the clinic had to cancel a session of your treatment course" in notice.text
    assert "Day 2 of 3: Thursday, 10 December 2026, 10:00-11:00" in notice.text
    [event] = notice.calendar.walk("VEVENT")
    assert str(event["UID"]) == f"{second.reference}@expio-booking"
    assert str(notice.calendar["METHOD"]) == "CANCEL" and int(event["SEQUENCE"]) == 1
    assert "Chair broken" not in notice.everything
