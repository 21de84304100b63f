"""The clinician's list and intake review: what a clinician sees, what others are refused."""
import copy
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.intake import services as intake
from booking.models import AuditEvent, Intake, IntakeFlag, QuestionnaireResponse
from booking.scheduler import services as booking
from booking.scheduler import appointment_changes
from tests.conftest import NOW, PATIENT
from tests.intake.test_services import ANSWERS

TUESDAY_10 = datetime(2026, 12, 8, 8, 0, tzinfo=timezone.utc)  # 10:00 in Kyiv
NOT_A_DIAGNOSIS = "Scores and flags are information for the clinician, not a diagnosis."
CLINICAL_WORDS = ("MIDAS", "PHQ-9", "GAD-7", "HIT-6", "Sumatriptan", "Propranolol", "migraine",
                  "Urgent", "pain", "Test Patient", NOT_A_DIAGNOSIS)


@pytest.fixture
def clinic(create_service, create_practitioner):
    service = create_service(name="Consultation")
    ketamine = create_service(name="Ketamine infusion", needs_ketamine_prescreen=True)
    alpha = create_practitioner([service, ketamine], full_name="Dr Alpha")
    beta = create_practitioner([service, ketamine], full_name="Dr Beta")
    return {"service": service, "ketamine": ketamine, "alpha": alpha, "beta": beta}


@pytest.fixture
def clinician(staff_client, clinic):
    return staff_client("clinician", practitioner=clinic["alpha"])


def book(clinic, start=TUESDAY_10, *, practitioner="alpha", name="Test Patient",
         email="patient@example.com", service="service"):
    details = {**PATIENT, "full_name": name, "email": email}
    appointment, _token = booking.book(
        service_id=clinic[service].id, start=start, patient=details, consent=True,
        practitioner_id=clinic[practitioner].id)
    return appointment


def fill(appointment, answers=ANSWERS, *, submit=True, steps=None):
    for step in steps or intake.steps_for(appointment):
        if step != "review":
            intake.save_step(appointment.id, step, answers[step], language="en")
    if submit:
        intake.submit(appointment.id, language="en")
    return appointment


def answers_with(**changes):
    answers = copy.deepcopy(ANSWERS)
    for step, values in changes.items():
        answers[step].update(values)
    return answers


def page(response):
    """The visible text of a page, tags removed and spaces squeezed."""
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(text.replace("&#34;", '"').replace("&#39;", "'").split())


def audit_events(action):
    return db.session.execute(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).scalars().all()


def review_url(appointment):
    return f"/staff/intakes/{appointment.id}"


# --- The list ---------------------------------------------------------------------------------

def test_the_list_shows_my_appointments_with_intake_status_and_flags(clinic, clinician):
    mine = fill(book(clinic, name="Olena Mine", email="mine@example.com"))
    book(clinic, TUESDAY_10 + timedelta(hours=2), name="Ivan Waiting", email="ivan@example.com")
    book(clinic, TUESDAY_10, practitioner="beta", name="Petro Other", email="petro@example.com")

    response = clinician.get("/staff/clinician")
    assert response.status_code == 200
    text = page(response)
    assert "Olena Mine" in text and "Ivan Waiting" in text
    assert "Petro Other" not in text
    assert "Tue 8 Dec, 10:00" in text and "Consultation" in text and "Booked" in text
    assert "Intake submitted" in text and "Intake not started" in text
    assert "MIDAS grade IV" in text
    assert "Medication-overuse criteria met by history: Triptan" in text
    assert "Chronic migraine criteria met by history" in text
    assert f'href="/staff/intakes/{mine.id}"' in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_who_all_shows_every_clinicians_appointments(clinic, clinician):
    book(clinic, name="Olena Mine", email="mine@example.com")
    book(clinic, TUESDAY_10, practitioner="beta", name="Petro Other", email="petro@example.com")
    text = page(clinician.get("/staff/clinician?who=all"))
    assert "Everyone's appointments" in text
    assert "Olena Mine" in text and "Petro Other" in text
    assert "Dr Beta" in text


def test_urgent_intakes_not_yet_reviewed_come_first(clinic, clinician):
    fill(book(clinic, name="Early Calm", email="calm@example.com"))
    urgent = book(clinic, TUESDAY_10 + timedelta(days=1), name="Late Urgent",
                  email="urgent@example.com")
    fill(urgent, answers_with(questionnaires={"phq9_9": 1}))

    text = page(clinician.get("/staff/clinician"))
    assert text.index("Late Urgent") < text.index("Early Calm")
    assert "Urgent: not reviewed yet" in text
    assert "Urgent: PHQ-9 item 9 answered above 0" in text


def test_an_urgent_intake_in_progress_is_marked_with_its_reason(clinic, clinician):
    appointment = book(clinic, name="Half Done", email="half@example.com")
    fill(appointment, answers_with(history={"red_thunderclap": True}), submit=False,
         steps=["about", "history"])
    text = page(clinician.get("/staff/clinician"))
    assert "Intake in progress" in text
    assert 'Urgent: Sudden, "worst ever" (thunderclap) headache' in text
    assert "Urgent: not reviewed yet" in text


def test_cancelled_appointments_and_days_outside_the_range_are_not_listed(clinic, clinician):
    cancelled = book(clinic, name="Cancelled Person", email="c@example.com")
    appointment_changes.cancel_by_staff(cancelled.id)
    book(clinic, TUESDAY_10 + timedelta(days=7), name="Next Week", email="n@example.com")
    book(clinic, TUESDAY_10 + timedelta(days=2), name="Thursday Person", email="t@example.com")

    text = page(clinician.get("/staff/clinician"))  # today (Monday) and the 6 days after
    assert "Cancelled Person" not in text
    assert "Next Week" not in text
    assert "Thursday Person" in text
    text = page(clinician.get("/staff/clinician?from=2026-12-14&days=7"))
    assert "Next Week" in text and "Thursday Person" not in text
    text = page(clinician.get("/staff/clinician?from=2026-12-08&days=1"))
    assert "Thursday Person" not in text


def test_an_invalid_filter_is_refused_with_a_message_next_to_the_field(clinician):
    response = clinician.get("/staff/clinician?days=40")
    assert response.status_code == 422
    assert "Please choose from 1 to 31 days." in page(response)
    assert clinician.get("/staff/clinician?from=tuesday").status_code == 422


# --- The review page ---------------------------------------------------------------------------

def test_the_review_page_shows_scores_bands_meanings_flags_and_medicines(clinic, clinician):
    appointment = fill(book(clinic))
    response = clinician.get(review_url(appointment))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = page(response)
    assert NOT_A_DIAGNOSIS in text
    # Questionnaire scores: instrument, version, total, band, one-line meaning.
    assert "MIDAS MIDAS 25 Grade IV Severe disability from headache over the last 3 months." \
        in text
    assert "PHQ-9 PHQ-9 (Pfizer) 8 Mild Mild depressive symptoms over the last 2 weeks." in text
    assert "GAD-7 GAD-7 (Pfizer) 14 Moderate Moderate anxiety symptoms over the last 2 weeks." \
        in text
    assert "10 or more: further evaluation recommended." in text
    # Red flags first, with what they mean and what to do.
    assert text.index("Red flags") < text.index("Headache history") < text.index(
        "Questionnaire scores")
    assert "GAD-7 total of 10 or more: further evaluation for an anxiety disorder" in text
    assert "To do: review before the visit." in text
    # Derived history flags: criteria met, not diagnoses.
    assert "criteria met by history, not diagnoses" in text
    assert re.search(r"Chronic migraine \(ICHD-3 1\.3.*?\) Criteria met by history", text)
    assert "Medication overuse (ICHD-3 8.2), by class Criteria met by history: Triptan" in text
    assert re.search(r"Resistant migraine \(EHF 2020.*?\) Criteria met by history", text)
    # History, pain, medicines.
    assert "Age at onset 16 years" in text
    assert "At the current frequency for 12 months" in text
    assert "Headache days 20 days a month" in text
    assert "Days with migraine features 10 days a month" in text
    assert "Debilitating days 9 days a month" in text
    assert "Attack duration 24 hours without treatment" in text
    assert "Associated features nausea, photophobia, phonophobia" in text
    assert "Now 6 / 10" in text and "Worst in the last month 9 / 10" in text
    assert "Sumatriptan Triptan 12 Helps a little" in text
    assert "Days a month with any acute medicine 16" in text
    assert "Propranolol Beta blocker 80 mg 12 Ineffective" in text
    assert "Topiramate Anticonvulsant 100 mg 8 Not tolerated" in text
    assert "Not reviewed yet." in text


def test_triptans_that_may_share_their_days_are_a_possible_overuse_note(clinic, clinician):
    # Two triptans on 6 days each and ibuprofen: 6 to 12 triptan days, the answers cannot tell.
    appointment = fill(book(clinic), answers_with(medicines={
        "acute": [
            {"name": "Sumatriptan", "class": "triptan", "days_per_month": 6, "effect": "partial"},
            {"name": "Rizatriptan", "class": "triptan", "days_per_month": 6, "effect": "good"},
            {"name": "Ibuprofen", "class": "nsaid", "days_per_month": 4, "effect": "none"}],
        "any_acute_days": 14, "any_non_opioid_days": 4}))
    codes = {flag.code: flag for flag in db.session.execute(select(IntakeFlag)).scalars()}
    assert codes["possible_medication_overuse"].details == ["triptan"]
    assert codes["possible_medication_overuse"].urgent is False
    assert codes["medication_overuse"].details == ["multiple_classes"]  # ICHD-3 8.2.6
    text = page(clinician.get(review_url(appointment)))
    assert "Possible medication overuse (a note): Triptan" in text
    assert "reach the ICHD-3 8.2 threshold (10 days a month) only if they were taken on " \
           "different days, which the answers cannot tell: Triptan." in text
    assert "Medication overuse (ICHD-3 8.2), by class Criteria met by history: Multiple " \
           "classes" in text


def test_the_ketamine_prescreen_names_the_positive_items_and_shows_weight_and_height(
        clinic, clinician):
    appointment = book(clinic, service="ketamine")
    fill(appointment, answers_with(ketamine={"glaucoma": True, "stroke": True}))
    text = page(clinician.get(review_url(appointment)))
    assert "Ketamine pre-screen positive: Stroke, Glaucoma or raised eye pressure" in text
    assert "Answered yes: Stroke, Glaucoma or raised eye pressure" in text
    assert "Weight 70 kg" in text and "Height 170 cm" in text


def test_an_urgent_flag_says_what_the_patient_was_told_and_what_to_do(clinic, clinician):
    appointment = fill(book(clinic), answers_with(questionnaires={"phq9_9": 2}))
    text = page(clinician.get(review_url(appointment)))
    assert "Urgent: PHQ-9 item 9 answered above 0" in text
    assert "crisis contacts" in text and "112" in text and "7333" in text
    assert "same-day follow-up" in text
    assert text.index("Urgent: PHQ-9") < text.index("GAD-7 at or above")


def test_midas_soft_warnings_are_shown(clinic, clinician):
    appointment = fill(book(clinic), answers_with(
        questionnaires={"midas_q1": 60, "midas_q2": 40, "midas_a": 40}))
    text = page(clinician.get(review_url(appointment)))
    assert "Q1 + Q2 add up to more than 90 days" in text
    assert "A question (Q1-Q5) counts more days than the headache days (A)." in text


def test_an_intake_in_progress_shows_what_is_saved_and_nothing_computed(clinic, clinician):
    appointment = fill(book(clinic), submit=False, steps=["about", "history", "pain"])
    text = page(clinician.get(review_url(appointment)))
    assert "In progress" in text
    assert "Headache days 20 days a month" in text and "Now 6 / 10" in text
    assert "Not scored: the intake is in progress." in text
    assert "Grade" not in text and "Criteria met by history" not in text
    assert NOT_A_DIAGNOSIS in text


def test_an_appointment_without_intake_says_so(clinic, clinician):
    appointment = book(clinic)
    text = page(clinician.get(review_url(appointment)))
    assert "There is no intake for this appointment" in text


def test_what_the_patient_typed_is_shown_escaped(clinic, clinician):
    appointment = fill(book(clinic), answers_with(history={"triggers_other": "<b>red wine</b>"}))
    body = clinician.get(review_url(appointment)).get_data(as_text=True)
    assert "&lt;b&gt;red wine&lt;/b&gt;" in body and "<b>red wine" not in body


def test_an_unknown_appointment_is_404(clinician):
    assert clinician.get("/staff/intakes/9999").status_code == 404
    assert clinician.post("/staff/intakes/9999/review", data={"note": ""}).status_code == 404
    assert clinician.post("/staff/intakes/9999/hit6", data={"hit6_total": "60"}).status_code \
        == 404


# --- Audit of every view -----------------------------------------------------------------------

def test_every_view_of_a_review_page_is_audited_without_clinical_values(clinic, clinician):
    appointment = fill(book(clinic))
    clinician.get(review_url(appointment))
    clinician.get(review_url(appointment))
    events = audit_events("intake.view")
    assert len(events) == 2
    event = events[0]
    assert (event.object_type, event.object_id) == ("appointment", appointment.id)
    assert event.actor == "clinician@example.com"
    assert event.details == {"intake_id": appointment.intake.id}
    clinician.get(review_url(book(clinic, TUESDAY_10 + timedelta(hours=2),
                                  email="other@example.com")))
    assert audit_events("intake.view")[-1].details == {"intake_id": None}


# --- Marking reviewed --------------------------------------------------------------------------

def appointments_part(listing):
    """The appointment list of the clinician's home page, below the attention queue."""
    return listing[listing.index("Number of days"):]


def test_marking_reviewed_saves_the_note_moves_urgent_down_and_audits_without_the_note(
        clinic, clinician):
    fill(book(clinic, name="Early Calm", email="calm@example.com"))
    urgent = book(clinic, TUESDAY_10 + timedelta(days=1), name="Late Urgent",
                  email="urgent@example.com")
    fill(urgent, answers_with(questionnaires={"phq9_9": 1}))
    note = "Called the patient at 10:15; safe, seeing her today."

    response = clinician.post(f"/staff/intakes/{urgent.id}/review", data={"note": note})
    assert response.status_code == 303
    reviewed = db.session.execute(select(Intake).where(Intake.id == urgent.intake.id)).scalar_one()
    db.session.refresh(reviewed)
    assert reviewed.review_note == note
    assert reviewed.reviewed_at == NOW and reviewed.reviewed_by_id is not None

    text = page(clinician.get(review_url(urgent)))
    assert "Reviewed by clinician@example.com, Monday, 7 December 2026, 09:00." in text
    assert note in text
    listing = appointments_part(page(clinician.get("/staff/clinician")))
    assert listing.index("Early Calm") < listing.index("Late Urgent")
    assert "Urgent: not reviewed yet" not in listing
    assert "Urgent: PHQ-9 item 9 answered above 0" in listing  # still flagged, just reviewed

    event = audit_events("intake.review")[-1]
    assert (event.object_type, event.object_id) == ("intake", reviewed.id)
    assert note not in str(event.details) and "10:15" not in str(event.details)
    assert event.details["with_note"] is True


def test_an_urgent_intake_changed_after_its_review_goes_back_on_top(app, clinic, clinician):
    fill(book(clinic, name="Early Calm", email="calm@example.com"))
    urgent = book(clinic, TUESDAY_10 + timedelta(days=1), name="Late Urgent",
                  email="urgent@example.com")
    fill(urgent, answers_with(questionnaires={"phq9_9": 1}))
    clinician.post(f"/staff/intakes/{urgent.id}/review", data={"note": ""})
    app.config["FROZEN_NOW"] = NOW + timedelta(minutes=10)
    intake.save_step(urgent.id, "pain", ANSWERS["pain"], language="en")

    listing = appointments_part(page(clinician.get("/staff/clinician")))
    assert listing.index("Late Urgent") < listing.index("Early Calm")
    assert "answers changed since the last review" in listing


def test_a_note_longer_than_2000_characters_is_refused_and_kept(clinic, clinician):
    appointment = fill(book(clinic))
    response = clinician.post(f"/staff/intakes/{appointment.id}/review",
                              data={"note": "x" * 2001})
    assert response.status_code == 422
    assert "Please keep the note to 2000 characters." in page(response)
    assert "x" * 2001 in response.get_data(as_text=True)
    assert db.session.get(Intake, appointment.intake.id).reviewed_at is None


# --- HIT-6 total from a paper form -------------------------------------------------------------

def hit6_rows(appointment):
    return db.session.execute(select(QuestionnaireResponse).where(
        QuestionnaireResponse.intake_id == appointment.intake.id,
        QuestionnaireResponse.instrument == "hit6")).scalars().all()


def hit6_flags(appointment):
    return db.session.execute(select(IntakeFlag).where(
        IntakeFlag.intake_id == appointment.intake.id,
        IntakeFlag.code == "hit6_severe")).scalars().all()


def test_a_hit6_total_of_60_is_stored_as_severe_with_its_flag(clinic, clinician):
    appointment = fill(book(clinic))
    response = clinician.post(f"/staff/intakes/{appointment.id}/hit6", data={"hit6_total": "60"})
    assert response.status_code == 303
    [hit6] = hit6_rows(appointment)
    assert (hit6.total, hit6.band, hit6.items, hit6.language) == (60, "severe", [], "en")
    assert len(hit6_flags(appointment)) == 1

    text = page(clinician.get(review_url(appointment)))
    assert ("HIT-6 HIT-6 (QualityMetric/GSK) 60 Severe impact Severe impact of headaches on daily "
            "life") in text
    assert "Total typed by a clinician from a licensed paper form." in text
    assert "HIT-6 severe impact" in text  # in the red flags
    event = audit_events("intake.hit6_total")[-1]
    assert "60" not in str(event.details) and "severe" not in str(event.details)


def test_a_new_hit6_total_replaces_the_old_one_and_its_flag(clinic, clinician):
    appointment = fill(book(clinic))
    clinician.post(f"/staff/intakes/{appointment.id}/hit6", data={"hit6_total": "60"})
    clinician.post(f"/staff/intakes/{appointment.id}/hit6", data={"hit6_total": "52"})
    [hit6] = hit6_rows(appointment)
    assert (hit6.total, hit6.band) == (52, "some")
    assert hit6_flags(appointment) == []


@pytest.mark.parametrize("typed, message", [
    ("37", "No six HIT-6 answers add up to 37"),
    ("39", "No six HIT-6 answers add up to 39"),
    ("77", "No six HIT-6 answers add up to 77"),
    ("79", "Please enter a HIT-6 total from 36 to 78."),
    ("35", "Please enter a HIT-6 total from 36 to 78."),
    ("sixty", "Please enter the total as a whole number"),
    ("", "Please enter the HIT-6 total."),
])
def test_an_impossible_hit6_total_is_refused_next_to_the_field(clinic, clinician, typed,
                                                                message):
    appointment = fill(book(clinic))
    response = clinician.post(f"/staff/intakes/{appointment.id}/hit6", data={"hit6_total": typed})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    error = re.search(r'<p class="field-error" id="hit6_total-error">(.*?)</p>', body, re.S)
    assert error and message in " ".join(error[1].split())
    assert f'value="{typed}"' in body
    assert hit6_rows(appointment) == []


def test_a_hit6_total_waits_for_a_submitted_intake(clinic, clinician):
    appointment = fill(book(clinic), submit=False, steps=["about"])
    response = clinician.post(f"/staff/intakes/{appointment.id}/hit6", data={"hit6_total": "60"})
    assert response.status_code == 422
    assert "once the patient has submitted the intake" in page(response)


# --- Who may see it ----------------------------------------------------------------------------

def clinician_routes(appointment):
    return [("GET", "/staff/clinician"), ("GET", "/staff/clinician?who=all"),
            ("GET", review_url(appointment)),
            ("POST", f"/staff/intakes/{appointment.id}/review"),
            ("POST", f"/staff/intakes/{appointment.id}/hit6")]


@pytest.mark.parametrize("roles", [("receptionist",), ("admin",), ("admin", "receptionist")])
def test_staff_without_the_clinician_role_get_403_and_no_clinical_text(clinic, staff_client,
                                                                        roles):
    appointment = fill(book(clinic), answers_with(questionnaires={"phq9_9": 1}))
    client = staff_client(*roles)
    for method, path in clinician_routes(appointment):
        response = client.open(path, method=method, data={"note": "x", "hit6_total": "60"})
        assert response.status_code == 403, (method, path)
        text = page(response)
        for word in CLINICAL_WORDS:
            assert word not in text, (method, path, word)
    assert hit6_rows(appointment) == []
    assert db.session.get(Intake, appointment.intake.id).reviewed_at is None
    assert audit_events("intake.view") == []


def test_an_admin_who_is_also_a_clinician_may_review(clinic, staff_client):
    appointment = fill(book(clinic))
    client = staff_client("admin", "clinician", practitioner=clinic["beta"])
    assert client.get(review_url(appointment)).status_code == 200


def test_a_clinician_without_a_practitioner_sees_everyone_by_default(clinic, staff_client):
    book(clinic, name="Olena Mine", email="mine@example.com")
    client = staff_client("clinician", email="unlinked@example.com")
    assert "Olena Mine" in page(client.get("/staff/clinician"))
    text = page(client.get("/staff/clinician?who=mine"))
    assert "not linked to a practitioner" in text and "Olena Mine" not in text


# --- Printing ----------------------------------------------------------------------------------

def test_the_review_page_has_a_print_stylesheet(clinic, clinician):
    appointment = fill(book(clinic))
    body = clinician.get(review_url(appointment)).get_data(as_text=True)
    assert 'href="/static/style.css"' in body
    assert 'class="clin clin-review"' in body
    css = (Path(__file__).parents[2] / "static" / "style.css").read_text()
    print_rules = "".join(re.findall(r"@media print \{(.*?)\n\}", css, re.S))
    assert ".clin-review" in print_rules
    assert "staff-nav" in print_rules and "button" in print_rules
    assert "break-inside: avoid" in print_rules


def test_the_list_offers_a_session_record_only_once_the_session_has_started(app, clinic,
                                                                            clinician,
                                                                            staff_client):
    appointment = book(clinic, service="ketamine")
    clinic["ketamine"].resource_kind = "chair"  # a service kept in a chair has session records
    db.session.commit()
    link = f"/staff/sessions/{appointment.id}"
    assert link not in clinician.get("/staff/clinician").get_data(as_text=True)  # Monday 09:00

    app.config["FROZEN_NOW"] = TUESDAY_10 + timedelta(minutes=5)
    later = staff_client("clinician", email="later@example.com", practitioner=clinic["alpha"])
    assert link in later.get("/staff/clinician").get_data(as_text=True)
