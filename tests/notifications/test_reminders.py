"""Reminders before a visit and "questionnaire not finished" nudges: each queued exactly once,
however often and from however many machines `send-reminders` runs; follow-up emails."""
import copy
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from booking.courses import follow_up_answers, follow_ups
from booking.courses import services as courses
from booking.extensions import db
from booking.intake import services as intake
from booking.models import FollowUpRequest
from booking.notifications import messages
from booking.scheduler import services as booking
from booking.scheduler import appointment_changes
from tests.conftest import run_at_once
from tests.intake.test_services import ANSWERS

from .conftest import outbox_rows

KYIV = ZoneInfo("Europe/Kyiv")
# Booked on Monday 7 December 09:00 (NOW) for Wednesday 9 December 10:00 Kyiv (08:00 UTC).
WEDNESDAY_10 = datetime(2026, 12, 9, 10, 0, tzinfo=KYIV)
# 23 hours before it: the 24-hour reminder is due.
TUESDAY_11 = datetime(2026, 12, 8, 11, 0, tzinfo=KYIV)


def at(day, hour=10, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=KYIV)


def person(n):
    return {"full_name": f"Patient {n}", "email": f"patient{n}@example.com",
            "phone": "+380501234567", "date_of_birth": "1980-01-01"}


def book(service, n=1, start=WEDNESDAY_10):
    appointment, _token = booking.book(service_id=service.id, start=start, patient=person(n),
                                       consent=True, language="en")
    return appointment


def reminders():
    return outbox_rows("reminder")


def test_a_reminder_is_queued_24_hours_before_and_only_once_across_two_runs(
        app, runner, consultation):
    appointment = book(consultation)
    app.config["FROZEN_NOW"] = WEDNESDAY_10 - timedelta(hours=24, minutes=5)
    assert runner.invoke(args=["send-reminders"]).output.startswith("0 reminder(s)")
    app.config["FROZEN_NOW"] = TUESDAY_11
    first = runner.invoke(args=["send-reminders"])
    second = runner.invoke(args=["send-reminders"])
    assert first.exit_code == second.exit_code == 0
    assert "1 reminder(s)" in first.output and "0 reminder(s)" in second.output
    [row] = reminders()
    assert row.dedupe_key == f"reminder:24:{appointment.id}:0"
    assert row.appointment_id == appointment.id and row.ics is None


def test_the_reminder_tells_the_time_place_and_how_to_change_without_a_link(
        mail_app, smtp_server, runner, consultation):
    appointment = book(consultation)
    mail_app.config["FROZEN_NOW"] = TUESDAY_11
    runner.invoke(args=["send-reminders"])
    runner.invoke(args=["send-mail"])
    reminder = smtp_server.received[-1]
    assert reminder.email["Subject"] == \
        "Reminder: your appointment at Expio on Wednesday, 9 December 2026, 10:00"
    assert "Wednesday, 9 December 2026, 10:00-11:00 (Kyiv time)" in reminder.text
    assert mail_app.config["CLINIC_ADDRESS"] in reminder.text
    assert appointment.reference in reminder.text
    assert "use the link in your confirmation email, or call the clinic: +380 73 730 80 88" \
        in reminder.text
    assert "/manage/" not in reminder.everything


def test_two_app_instances_one_after_the_other_queue_each_reminder_once(
        app, consultation, make_test_app):
    for n in range(3):
        book(consultation, n, start=WEDNESDAY_10 + timedelta(hours=2 * n))
    for _ in range(2):
        other = make_test_app(FROZEN_NOW=TUESDAY_11 + timedelta(hours=4))
        with other.app_context():
            messages.queue_due_reminders()
            db.session.remove()
            db.engine.dispose()
    assert len(reminders()) == 3


def test_two_app_instances_running_at_once_queue_each_reminder_once(
        app, consultation, make_test_app):
    for n in range(6):
        book(consultation, n, start=WEDNESDAY_10 + timedelta(hours=n))
    instances = [make_test_app(FROZEN_NOW=TUESDAY_11 + timedelta(hours=6)) for _ in range(4)]
    results = run_at_once(instances, messages.queue_due_reminders, timeout=60)
    assert len(reminders()) == 6
    assert sorted(key for keys in results for key in keys) == sorted(
        row.dedupe_key for row in reminders())


def test_a_moved_appointment_gets_a_new_reminder_and_a_cancelled_one_none(
        app, consultation):
    appointment = book(consultation)
    other = book(consultation, 2, start=WEDNESDAY_10 + timedelta(hours=3))
    app.config["FROZEN_NOW"] = WEDNESDAY_10 - timedelta(hours=23, minutes=30)
    messages.queue_due_reminders()  # the first one's reminder
    # Then the patient moves it an hour later, and the other one is cancelled.
    appointment_changes.reschedule_by_patient(appointment.id, WEDNESDAY_10 + timedelta(hours=1))
    appointment_changes.cancel_by_patient(other.id)
    app.config["FROZEN_NOW"] = WEDNESDAY_10 - timedelta(hours=22, minutes=30)
    messages.queue_due_reminders()
    assert [row.dedupe_key for row in reminders()] == [
        f"reminder:24:{appointment.id}:0", f"reminder:24:{appointment.id}:1"]


def test_a_second_reminder_is_configurable(app, consultation):
    app.config["REMINDER_HOURS"] = (24, 2)
    appointment = book(consultation)
    for hours_before in (23, 22, 1.5, 1):
        app.config["FROZEN_NOW"] = WEDNESDAY_10 - timedelta(hours=hours_before)
        messages.queue_due_reminders()
    assert [row.dedupe_key for row in reminders()] == [
        f"reminder:24:{appointment.id}:0", f"reminder:2:{appointment.id}:0"]


def test_a_late_run_sends_only_the_nearest_reminder_not_a_burst(app, consultation):
    app.config["REMINDER_HOURS"] = (24, 2)
    appointment = book(consultation)
    app.config["FROZEN_NOW"] = WEDNESDAY_10 - timedelta(hours=1)  # cron was down until now
    messages.queue_due_reminders()
    messages.queue_due_reminders()
    assert [row.dedupe_key for row in reminders()] == [f"reminder:2:{appointment.id}:0"]


def test_no_reminder_when_the_booking_was_made_after_the_reminder_time(app, consultation):
    app.config["FROZEN_NOW"] = TUESDAY_11
    booking.book(service_id=consultation.id, start=WEDNESDAY_10, patient=person(1),
                 consent=True, now=TUESDAY_11)
    messages.queue_due_reminders()
    assert reminders() == []  # the confirmation has just told the time


def test_reminders_look_only_at_the_next_hours(app, consultation):
    book(consultation, 1, start=at(date(2026, 12, 18)))
    app.config["FROZEN_NOW"] = TUESDAY_11
    assert messages.queue_due_reminders() == []


def test_course_sessions_get_reminders_that_say_which_day(
        mail_app, smtp_server, runner, course_service):
    course, _token = courses.book_course(
        service_id=course_service.id, start=at(date(2026, 12, 9)), sessions=3,
        patient=person(1), consent=True, language="en")
    mail_app.config["FROZEN_NOW"] = at(date(2026, 12, 9), 11)  # during day 1: day 2 is due
    runner.invoke(args=["send-reminders"])
    runner.invoke(args=["send-mail"])
    [row] = reminders()
    assert row.appointment_id == course.appointments[1].id
    reminder = smtp_server.received[-1]
    assert "Session: day 2 of 3" in reminder.text
    assert "someone who can take you home" in reminder.text
    assert "Ketamine" not in reminder.everything


# --- Questionnaire nudges ------------------------------------------------------------------------

def submit_intake(appointment):
    answers = copy.deepcopy(ANSWERS)
    for step in ("about", "history", "pain", "medicines", "questionnaires"):
        intake.save_step(appointment.id, step, answers[step], language="en")
    intake.submit(appointment.id, language="en")


def test_the_questionnaire_nudge_comes_72_hours_before_only_when_not_submitted(
        mail_app, smtp_server, runner, consultation):
    friday = at(date(2026, 12, 11))
    waiting = book(consultation, 1, start=friday)
    done = book(consultation, 2, start=friday + timedelta(hours=2))
    started = book(consultation, 3, start=friday + timedelta(hours=4))
    submit_intake(done)
    intake.save_step(started.id, "about", copy.deepcopy(ANSWERS["about"]), language="en")
    mail_app.config["FROZEN_NOW"] = friday - timedelta(hours=73)
    assert messages.queue_due_reminders() == []
    mail_app.config["FROZEN_NOW"] = friday + timedelta(hours=5) - timedelta(hours=72)
    first = runner.invoke(args=["send-reminders"])
    second = runner.invoke(args=["send-reminders"])
    assert "2 questionnaire nudge(s)" in first.output
    assert "0 questionnaire nudge(s)" in second.output
    nudges = outbox_rows("intake_nudge")
    assert sorted(row.appointment_id for row in nudges) == [waiting.id, started.id]
    runner.invoke(args=["send-mail"])
    nudge = smtp_server.received[-1]
    # Desk-created patients write in Ukrainian by default.
    assert nudge.email["Subject"] == "Будь ласка, заповніть анкету перед візитом до клініки Expio"
    assert "за посиланням у листі-підтвердженні" in nudge.text
    assert "/manage/" not in nudge.everything


# --- Follow-ups ----------------------------------------------------------------------------------

def test_send_followups_queues_one_email_per_request_with_its_link(
        mail_app, smtp_server, runner, course_service):
    course, _token = courses.book_course(
        service_id=course_service.id, start=at(date(2026, 12, 9)), sessions=3,
        patient=person(1), consent=True, language="en")
    course.status = "confirmed"
    for appointment in course.appointments:  # attended: only a completed course is followed up
        appointment.status = "completed"
    db.session.commit()
    mail_app.config["FROZEN_NOW"] = at(date(2027, 1, 10), 9)
    first = runner.invoke(args=["send-followups"])
    assert "1 follow-up email(s) queued." in first.output, first.output
    second = runner.invoke(args=["send-followups"])
    assert "0 follow-up email(s) queued." in second.output
    [row] = outbox_rows("follow_up")
    request = db.session.execute(select(FollowUpRequest)).scalar_one()
    assert row.dedupe_key == f"follow_up:{request.id}"
    runner.invoke(args=["send-mail"])
    email = smtp_server.received[-1]
    assert email.email["Subject"] == "How are you since your treatment course at Expio?"
    link = next(word for word in email.text.split() if "/follow-up/" in word)
    assert link.startswith("http://127.0.0.1:5000/follow-up/")
    token = link.rsplit("/", 1)[1]
    assert follow_up_answers.follow_up_by_token(token) is not None
    assert "Ketamine" not in email.everything and "1 month" in email.text


def test_a_follow_up_email_is_queued_at_most_once(app, course_service):
    course, _token = courses.book_course(
        service_id=course_service.id, start=at(date(2026, 12, 9)), sessions=3,
        patient=person(1), consent=True, language="en")
    course.status = "confirmed"
    for appointment in course.appointments:  # attended: only a completed course is followed up
        appointment.status = "completed"
    db.session.commit()
    app.config["FROZEN_NOW"] = at(date(2027, 1, 10), 9)
    created = follow_ups.create_due_follow_ups()
    assert messages.queue_follow_ups(created) == 1
    assert messages.queue_follow_ups(created) == 0
    assert len(outbox_rows("follow_up")) == 1
