"""No health data in any email: a whole patient journey (book, fill in the intake with unique
markers in its free-text answers, a nudge, reschedule, a reminder, cancel with a reason) and
every byte the SMTP server received is searched for them."""
import copy
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from booking.intake import services as intake
from booking.scheduler import services as booking
from booking.scheduler import appointment_changes
from tests.intake.test_services import ANSWERS

from .conftest import outbox_rows

KYIV = ZoneInfo("Europe/Kyiv")
FRIDAY_10 = datetime(2026, 12, 11, 10, 0, tzinfo=KYIV)
MARKERS = ("Marker-Zolmi-123", "Marker-Prev-456", "Marker-Meds-789", "Marker-Allergy-000",
           "Marker-Reason-321")
FORBIDDEN_WORDS = ("ketamine", "phq", "migraine", "infusion", "psych", "gad-7", "midas",
                   "sumatriptan", "propranolol")


def marked_answers():
    answers = copy.deepcopy(ANSWERS)
    answers["medicines"]["acute"][0]["name"] = "Marker-Zolmi-123"
    answers["medicines"]["preventives"][0]["drug"] = "Marker-Prev-456"
    answers["ketamine"]["current_medicines"] = "Marker-Meds-789"
    answers["ketamine"]["allergies"] = "Marker-Allergy-000"
    return answers


def test_no_message_of_a_whole_journey_carries_health_data(
        mail_app, smtp_server, runner, create_service, create_practitioner, patient_details):
    service = create_service(name="Ketamine infusion for migraine", duration_minutes=60,
                             observation_minutes=60, needs_ketamine_prescreen=True)
    create_practitioner([service], full_name="Dr Psychiatrist", title="Psychiatrist")
    appointment, _token = booking.book(service_id=service.id, start=FRIDAY_10,
                                       patient=patient_details, consent=True, language="en")
    answers = marked_answers()
    for step in ("about", "history", "medicines"):
        intake.save_step(appointment.id, step, answers[step], language="en")

    mail_app.config["FROZEN_NOW"] = FRIDAY_10 - timedelta(hours=71)
    assert "1 questionnaire nudge(s)" in runner.invoke(args=["send-reminders"]).output
    for step in ("pain", "questionnaires", "ketamine"):
        intake.save_step(appointment.id, step, answers[step], language="en")
    intake.submit(appointment.id, language="en")
    appointment_changes.reschedule_by_patient(appointment.id, FRIDAY_10 + timedelta(hours=2))

    mail_app.config["FROZEN_NOW"] = FRIDAY_10 + timedelta(hours=2) - timedelta(hours=23)
    assert "1 reminder(s)" in runner.invoke(args=["send-reminders"]).output
    appointment_changes.cancel_by_patient(appointment.id,
                                          "Marker-Reason-321: the migraine is better")
    assert "5 sent" in runner.invoke(args=["send-mail"]).output

    assert [row.kind for row in outbox_rows()] == [
        "confirmation", "intake_nudge", "reschedule", "reminder", "cancellation"]
    assert len(smtp_server.received) == 5
    for received in smtp_server.received:
        everything = received.everything
        for marker in MARKERS:
            assert marker not in everything, (received.email["Subject"], marker)
            assert marker.encode() not in received.raw
        lowered = everything.lower()
        for word in FORBIDDEN_WORDS:
            assert not re.search(re.escape(word), lowered), (received.email["Subject"], word)
        # The escort advice is there, without naming why.
        if received.email["Subject"].startswith(("Your appointment at Expio:", "Reminder")):
            assert "someone who can take you home" in received.text
