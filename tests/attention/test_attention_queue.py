"""Urgent intakes always reach a clinician: the attention queue, its alert, and what it blocks."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from booking import privacy
from booking.extensions import db
from booking.intake import services as intake
from booking.models import AttentionItem, AuditEvent, OutboxMessage, StaffUser
from booking.scheduler import services as booking
from booking.scheduler import appointment_changes
from tests.conftest import NOW, PATIENT
from tests.intake.test_services import ANSWERS

FIVE_WEEKS_AHEAD = datetime(2027, 1, 11, 8, 0, tzinfo=timezone.utc)  # Monday 10:00 in Kyiv
TUESDAY_10 = datetime(2026, 12, 8, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def clinic(create_service, create_practitioner):
    service = create_service(name="Consultation")
    return {"service": service, "practitioner": create_practitioner([service],
                                                                    full_name="Dr Alpha")}


@pytest.fixture
def clinician(staff_client, clinic):
    return staff_client("clinician", practitioner=clinic["practitioner"])


def book(clinic, start=TUESDAY_10, name="Urgent Patient", email="urgent@example.com"):
    appointment, _token = booking.book(
        service_id=clinic["service"].id, start=start, consent=True,
        patient={**PATIENT, "full_name": name, "email": email})
    return appointment


def save_urgent_questionnaire(appointment):
    """Save the steps up to the questionnaires with PHQ-9 item 9 above 0 (not submitted)."""
    for step in ("about", "history", "pain", "medicines"):
        intake.save_step(appointment.id, step, ANSWERS[step], language="en")
    intake.save_step(appointment.id, "questionnaires",
                     {**ANSWERS["questionnaires"], "phq9_9": 2}, language="en")


def alerts():
    return db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "urgent_alert")
                              .order_by(OutboxMessage.id)).scalars().all()


def words(response):
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def items():
    db.session.expire_all()
    return db.session.execute(select(AttentionItem).order_by(AttentionItem.id)).scalars().all()


def test_an_urgent_intake_five_weeks_ahead_stays_in_the_queue_after_cancelling_until_acknowledged(
        app, clinic, clinician, create_staff):
    create_staff("second@example.com", roles=["clinician"])
    appointment = book(clinic, FIVE_WEEKS_AHEAD)
    save_urgent_questionnaire(appointment)  # not submitted: raised during the intake
    appointment_changes.cancel_by_patient(appointment.id, "")

    listed = clinician.get("/staff/attention.json").get_json()
    assert [(row["appointment_reference"], row["patient_id"], row["reasons"])
            for row in listed["open"]] == [(appointment.reference, appointment.patient_id,
                                            ["phq9_item9"])]
    home = words(clinician.get("/staff/clinician"))
    attention_part = home[:home.index("Number of days")]
    assert "Urgent Patient" in attention_part and appointment.reference in attention_part
    assert "Cancelled" in attention_part

    item = items()[0]
    response = clinician.post(f"/staff/attention/{item.id}/acknowledge", data={
        f"item{item.id}-outcome": "contacted",
        f"item{item.id}-note": "Spoke with her; safety plan agreed."})
    assert response.status_code == 303

    assert clinician.get("/staff/attention.json").get_json()["open"] == []
    home = words(clinician.get("/staff/clinician"))
    assert "Urgent Patient" not in home[:home.index("Number of days")]
    # Exactly one alert, to each active clinician, for the whole story.
    assert sorted(m.to_address for m in alerts()) == ["clinician@example.com",
                                                      "second@example.com"]
    event = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "attention.acknowledge")).scalar_one()
    assert event.details == {"outcome": "contacted", "note": True}  # never the note's text


def test_the_alert_is_queued_the_moment_the_urgent_answer_is_saved_and_holds_no_clinical_detail(
        app, clinic, clinician):
    appointment = book(clinic)
    intake.save_step(appointment.id, "about", ANSWERS["about"], language="en")
    intake.save_step(appointment.id, "history", {**ANSWERS["history"], "red_thunderclap": True},
                     language="en")

    [alert] = alerts()
    body = alert.subject + alert.text_body + alert.html_body
    assert alert.subject == "Urgent intake needs attention"
    assert "/staff/attention" in alert.text_body
    for detail in ("Urgent Patient", "thunderclap", "headache", appointment.reference, "PHQ",
                   "urgent@example.com"):
        assert detail.lower() not in body.lower()
    assert [item.reasons for item in items()] == [["headache_thunderclap"]]

    # Saving more urgent answers adds the reason to the same item, with no second alert.
    save_urgent_questionnaire(appointment)
    intake.submit(appointment.id, language="en")
    assert len(alerts()) == 1
    assert [item.reasons for item in items()] == [["headache_thunderclap", "phq9_item9"]]


def test_the_alert_goes_to_the_configured_addresses_when_set(app, clinic, clinician):
    app.config["URGENT_ALERT_ADDRESSES"] = ("oncall@example.com", "lead@example.com")
    save_urgent_questionnaire(book(clinic))
    assert sorted(m.to_address for m in alerts()) == ["lead@example.com", "oncall@example.com"]


def test_a_clean_intake_raises_nothing(clinic, clinician):
    appointment = book(clinic)
    for step in ("about", "history", "pain", "medicines", "questionnaires"):
        intake.save_step(appointment.id, step, ANSWERS[step], language="en")
    intake.submit(appointment.id, language="en")
    assert items() == [] and alerts() == []
    assert "Nothing urgent is waiting." in words(clinician.get("/staff/attention"))


def test_the_queue_stays_when_the_appointment_is_moved(clinic, clinician):
    appointment = book(clinic)
    save_urgent_questionnaire(appointment)
    appointment_changes.reschedule_by_staff(appointment.id, TUESDAY_10 + timedelta(days=1))
    assert len(clinician.get("/staff/attention.json").get_json()["open"]) == 1


@pytest.mark.parametrize("data, field, message", [
    ({}, "outcome", "Please choose what happened."),
    ({"outcome": "not_reachable", "note": "Rang twice"}, "tried_at",
     "Please give the time you tried to reach the patient."),
    ({"outcome": "not_reachable", "tried_at": "2026-12-07T12:00"}, "tried_at",
     "The time you tried cannot be in the future."),
    ({"outcome": "other", "note": "  "}, "note", "Please say in the note what was done."),
])
def test_a_refused_acknowledgement_says_why_next_to_the_field_and_keeps_what_was_typed(
        clinic, clinician, data, field, message):
    save_urgent_questionnaire(book(clinic))
    item = items()[0]
    response = clinician.post(f"/staff/attention/{item.id}/acknowledge",
                              data={f"item{item.id}-{key}": value for key, value in data.items()})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(rf'<p class="field-error" id="item{item.id}-{field}-error">(.*?)</p>',
                      page, re.S)
    assert error and message in " ".join(error.group(1).split())
    if data.get("note", "").strip():
        assert data["note"] in page
    assert items()[0].status == "open"


def test_not_reachable_keeps_the_time_tried_and_an_item_can_be_reopened(clinic, clinician):
    save_urgent_questionnaire(book(clinic))
    item = items()[0]
    clinician.post(f"/staff/attention/{item.id}/acknowledge", data={
        f"item{item.id}-outcome": "not_reachable", f"item{item.id}-tried_at": "2026-12-07T08:40"})
    item = items()[0]
    assert (item.status, item.outcome) == ("acknowledged", "not_reachable")
    assert item.tried_at == datetime(2026, 12, 7, 6, 40, tzinfo=timezone.utc)  # Kyiv 08:40
    page = words(clinician.get("/staff/attention"))
    assert "Not reachable, tried at" in page and "Reopen" in page

    assert clinician.post(f"/staff/attention/{item.id}/reopen").status_code == 303
    assert items()[0].status == "open"
    assert len(clinician.get("/staff/attention.json").get_json()["open"]) == 1
    assert "then reopened" in words(clinician.get("/staff/attention"))
    actions = db.session.execute(select(AuditEvent.action).where(
        AuditEvent.object_type == "attention_item").order_by(AuditEvent.id)).scalars().all()
    assert actions == ["attention.raise", "attention.acknowledge", "attention.reopen"]


def test_the_json_lists_codes_and_ids_only(clinic, clinician):
    appointment = book(clinic)
    save_urgent_questionnaire(appointment)
    body = clinician.get("/staff/attention.json")
    assert body.headers["Cache-Control"] == "no-store"
    [row] = body.get_json()["open"]
    assert set(row) == {"id", "appointment_reference", "patient_id", "reasons", "raised_at"}
    assert "Urgent Patient" not in body.get_data(as_text=True)
    assert row["raised_at"] == NOW.isoformat()


@pytest.mark.parametrize("role", ["receptionist", "admin"])
def test_only_clinicians_see_the_queue(clinic, staff_client, role):
    client = staff_client(role)
    assert client.get("/staff/attention").status_code == 403
    assert client.get("/staff/attention.json").status_code == 403


def test_a_patient_with_an_open_urgent_item_cannot_be_erased_until_it_is_acknowledged(
        app, clinic, clinician):
    appointment = book(clinic)
    save_urgent_questionnaire(appointment)
    admin = db.session.execute(select(StaffUser)).scalars().first()

    with pytest.raises(privacy.PrivacyError) as refused:
        privacy.erase_patient(appointment.patient_id, "ERASE", actor=admin)
    assert "urgent intake that no clinician has acknowledged" in refused.value.message
    assert items()[0].status == "open"

    item = items()[0]
    clinician.post(f"/staff/attention/{item.id}/acknowledge",
                   data={f"item{item.id}-outcome": "contacted"})
    counts = privacy.erase_patient(appointment.patient_id, "ERASE", actor=admin)
    assert counts["attention_items"] == 1 and items() == []


def test_the_intake_review_says_whether_someone_has_acted_on_the_urgent_mark(clinic, clinician):
    appointment = book(clinic)
    save_urgent_questionnaire(appointment)
    review_url = f"/staff/intakes/{appointment.id}"
    assert "Urgent: nobody has acted on this yet." in words(clinician.get(review_url))

    item = items()[0]
    clinician.post(f"/staff/attention/{item.id}/acknowledge",
                   data={f"item{item.id}-outcome": "contacted"})
    page = words(clinician.get(review_url))
    assert "Urgent intake acknowledged" in page and "nobody has acted" not in page
