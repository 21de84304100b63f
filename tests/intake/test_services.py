"""The intake service: steps saved one by one, nothing invalid stored, scores equal to scoring.py."""
import copy
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.intake import scoring
from booking.intake import services as intake
from booking.models import Intake, IntakeFlag, PainRating, QuestionnaireResponse
from booking.scheduler import services as booking
from booking.scheduler import appointment_changes

TEN_AM_TUESDAY = datetime(2026, 12, 8, 8, 0, tzinfo=timezone.utc)

ANSWERS = {
    "about": {
        "full_name": "Test Patient", "date_of_birth": "1990-05-17", "sex": "female",
        "phone": "+380501234567", "email": "patient@example.com", "language": "uk",
        "emergency_contact_name": "Ivan Contact", "emergency_contact_phone": "+380671112233",
        "consent_processing": True, "consent_contact": False,
    },
    "history": {
        "age_at_onset": 16, "months_at_frequency": 12, "getting_worse": True,
        "onset_after_head_injury": False, "onset_after_infection": False,
        "onset_after_new_medicine": False, "headache_days": 20, "migraine_days": 10,
        "moderate_severe_days": 12, "debilitating_days": 9, "attack_hours": 24,
        "continuous": False, "location": "one_side", "character": "pulsating",
        "worse_with_activity": True, "nausea": True, "vomiting": False, "photophobia": True,
        "phonophobia": True, "aura": False, "aura_types": [], "aura_minutes": None,
        "triggers": ["stress", "sleep"], "triggers_other": "", "menstrual_relation": "yes",
        "several_headache_types": False, "prior_attacks_at_least_5": True,
        "red_thunderclap": False, "red_fever_stiff_neck": False, "red_neuro_deficit": False,
        "red_after_head_injury": False,
    },
    "pain": {"pain_now": 6, "pain_avg_7d": 5, "pain_worst_month": 9},
    "medicines": {
        "acute": [
            {"name": "Sumatriptan", "class": "triptan", "days_per_month": 12, "effect": "partial"},
            {"name": "Ibuprofen", "class": "nsaid", "days_per_month": 6, "effect": "none"},
        ],
        "any_acute_days": 16, "any_non_opioid_days": 6,
        "preventives": [
            {"drug": "Propranolol", "class": "beta_blocker", "dose": "80 mg", "weeks": 12,
             "outcome": "ineffective"},
            {"drug": "Topiramate", "class": "anticonvulsant", "dose": "100 mg", "weeks": 8,
             "outcome": "not_tolerated"},
            {"drug": "Amitriptyline", "class": "tricyclic", "dose": "25 mg", "weeks": 10,
             "outcome": "ineffective"},
        ],
    },
    "questionnaires": {
        **{f"midas_q{n}": 5 for n in range(1, 6)}, "midas_a": 40, "midas_b": 7,
        **{f"phq9_{n}": 1 for n in range(1, 9)}, "phq9_9": 0, "phq9_difficulty": 1,
        **{f"gad7_{n}": 2 for n in range(1, 8)},
    },
    "ketamine": {
        **{key: False for key in (
            "uncontrolled_hypertension", "coronary_disease_or_recent_cardiac_event",
            "arrhythmia", "aneurysm", "stroke", "raised_intracranial_pressure", "glaucoma",
            "liver_disease", "hyperthyroidism", "bladder_problems", "psychotic_disorder",
            "mania", "family_history_psychosis", "substance_use_48h", "substance_use_disorder",
            "prior_ketamine_use", "pregnancy_or_breastfeeding")},
        "current_medicines": "none", "allergies": "none", "weight_kg": 70, "height_cm": 170,
    },
}


@pytest.fixture
def answers():
    return copy.deepcopy(ANSWERS)


@pytest.fixture
def make_booking(create_service, create_practitioner, patient_details):
    def make(ketamine=False, start=TEN_AM_TUESDAY):
        service = create_service(name="Ketamine infusion" if ketamine else "Consultation",
                                 needs_ketamine_prescreen=ketamine)
        create_practitioner([service])
        appointment, _token = booking.book(service_id=service.id, start=start,
                                           patient=patient_details, consent=True)
        return appointment
    return make


def fill(appointment, answers, steps=None):
    for step in steps or intake.steps_for(appointment):
        if step != "review":
            intake.save_step(appointment.id, step, answers[step], language="en")


def count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_status_goes_from_not_started_to_in_progress_to_submitted(make_booking, answers):
    appointment = make_booking()
    assert intake.intake_status(appointment) == "not_started"
    intake.save_step(appointment.id, "about", answers["about"], language="en")
    assert intake.intake_status(appointment) == "in_progress"
    assert intake.first_open_step(appointment) == "history"
    fill(appointment, answers)
    intake.submit(appointment.id, language="en")
    assert intake.intake_status(appointment) == "submitted"


def test_the_ketamine_step_is_asked_only_for_ketamine_services(make_booking):
    assert "ketamine" not in intake.steps_for(make_booking())
    ketamine = make_booking(ketamine=True, start=TEN_AM_TUESDAY + timedelta(days=1))
    assert intake.steps_for(ketamine)[-2:] == ["ketamine", "review"]
    with pytest.raises(LookupError):
        intake.save_step(make_booking(start=TEN_AM_TUESDAY + timedelta(days=2)).id, "ketamine",
                         ANSWERS["ketamine"], language="en")


def test_the_about_step_is_prefilled_from_the_booking(make_booking):
    appointment = make_booking()
    prefilled = intake.step_answers(appointment, "about")
    assert prefilled["email"] == "patient@example.com"
    assert prefilled["date_of_birth"] == "1990-05-17"


@pytest.mark.parametrize("step, change, key", [
    ("history", {"migraine_days": 21}, "migraine_days"),
    ("history", {"debilitating_days": 25}, "debilitating_days"),
    ("history", {"headache_days": 32}, "headache_days"),
    ("history", {"age_at_onset": 50}, "age_at_onset"),  # older than the patient
    ("history", {"aura": True, "aura_types": [], "aura_minutes": 20}, "aura_types"),
    ("history", {"attack_hours": None}, "attack_hours"),
    ("history", {"location": "everywhere"}, "location"),
    ("pain", {"pain_now": 11}, "pain_now"),
    ("pain", {"pain_avg_7d": -1}, "pain_avg_7d"),
    ("pain", {"pain_worst_month": 5.5}, "pain_worst_month"),
    ("pain", {"pain_now": True}, "pain_now"),
    ("questionnaires", {"midas_q2": 91}, "midas_q2"),
    ("questionnaires", {"midas_b": 11}, "midas_b"),
    ("questionnaires", {"phq9_4": 4}, "phq9_4"),
    ("questionnaires", {"phq9_4": None}, "phq9_4"),
    ("questionnaires", {"gad7_7": None}, "gad7_7"),
    ("medicines", {"any_acute_days": 10}, "any_acute_days"),  # a row says 12
    ("medicines", {"any_non_opioid_days": 17}, "any_non_opioid_days"),  # above any-acute 16
    ("medicines", {"any_non_opioid_days": 5}, "any_non_opioid_days"),  # ibuprofen row says 6
    ("about", {"consent_processing": False}, "consent_processing"),
    ("about", {"date_of_birth": "2012-01-01"}, "date_of_birth"),
    ("about", {"emergency_contact_phone": "123"}, "emergency_contact_phone"),
])
def test_invalid_answers_are_refused_and_nothing_is_saved(make_booking, answers, step, change,
                                                          key):
    appointment = make_booking()
    answers[step].update(change)
    with pytest.raises(intake.InvalidAnswers) as refused:
        intake.save_step(appointment.id, step, answers[step], language="en")
    assert key in refused.value.fields
    assert count(Intake) == 0


def test_row_errors_name_the_row_and_field(make_booking, answers):
    appointment = make_booking()
    answers["medicines"]["acute"][1]["days_per_month"] = 40
    answers["medicines"]["preventives"][0]["outcome"] = "maybe"
    with pytest.raises(intake.InvalidAnswers) as refused:
        intake.save_step(appointment.id, "medicines", answers["medicines"], language="en")
    assert {"acute-1-days_per_month", "preventives-0-outcome"} <= set(refused.value.fields)


def test_unexpected_keys_are_not_stored(make_booking, answers):
    appointment = make_booking()
    answers["pain"]["secret"] = "<script>"
    intake.save_step(appointment.id, "pain", answers["pain"], language="en")
    assert intake.step_answers(appointment, "pain") == ANSWERS["pain"]


def test_phq9_item_9_marks_the_intake_urgent_at_once(make_booking, answers):
    appointment = make_booking()
    answers["questionnaires"]["phq9_9"] = 1
    saved = intake.save_step(appointment.id, "questionnaires", answers["questionnaires"],
                             language="en")
    assert saved.alerts == ("crisis_contacts",)
    assert intake.intake_status(appointment) == "urgent"


def test_a_headache_red_flag_asks_for_emergency_care(make_booking, answers):
    appointment = make_booking()
    answers["history"]["red_thunderclap"] = True
    saved = intake.save_step(appointment.id, "history", answers["history"], language="en")
    assert saved.alerts == ("emergency_care",)
    assert intake.intake_status(appointment) == "urgent"


# --- A step asked on several pages (booking/intake/pages.py): `keys` saves one page ------------

PHQ9_KEYS = tuple(f"phq9_{n}" for n in range(1, 10)) + ("phq9_difficulty",)


def part(answers, step, keys):
    return {key: value for key, value in answers[step].items() if key in keys}


def test_a_page_saves_its_keys_and_leaves_the_other_pages_of_the_step_for_later(
        make_booking, answers):
    appointment = make_booking()
    midas = tuple(key for key in answers["questionnaires"] if key.startswith("midas_"))

    intake.save_step(appointment.id, "questionnaires", part(answers, "questionnaires", midas),
                     language="en", keys=midas)
    intake.save_step(appointment.id, "questionnaires",
                     part(answers, "questionnaires", PHQ9_KEYS), language="en", keys=PHQ9_KEYS)

    saved = intake.step_answers(appointment, "questionnaires")
    assert set(saved) == set(midas) | set(PHQ9_KEYS)  # GAD-7 not asked yet: not stored
    assert saved["midas_a"] == 40 and saved["phq9_difficulty"] == 1
    with pytest.raises(intake.IntakeIncomplete) as refused:
        fill(appointment, answers, steps=["about", "history", "pain", "medicines"])
        intake.submit(appointment.id, language="en")
    assert refused.value.missing == ["questionnaires"]


def test_the_pages_of_a_step_store_what_the_whole_step_would(make_booking, answers):
    by_pages, at_once = make_booking(), make_booking(start=TEN_AM_TUESDAY + timedelta(days=1))
    first = ("age_at_onset", "headache_days", "migraine_days", "moderate_severe_days",
             "debilitating_days", "months_at_frequency", "getting_worse", "continuous",
             "attack_hours")
    rest = tuple(key for key in answers["history"] if key not in first)

    for keys in (first, rest):
        intake.save_step(by_pages.id, "history", part(answers, "history", keys), language="en",
                         keys=keys)
    intake.save_step(at_once.id, "history", answers["history"], language="en")

    assert intake.step_answers(by_pages, "history") == intake.step_answers(at_once, "history")


def test_a_wrong_answer_on_the_page_is_refused_and_nothing_is_saved(make_booking, answers):
    appointment = make_booking()
    answers["questionnaires"]["phq9_4"] = 4
    with pytest.raises(intake.InvalidAnswers) as refused:
        intake.save_step(appointment.id, "questionnaires",
                         part(answers, "questionnaires", PHQ9_KEYS), language="en",
                         keys=PHQ9_KEYS)
    assert set(refused.value.fields) == {"phq9_4"}  # not the GAD-7 items still to come
    assert count(Intake) == 0


def test_a_page_that_breaks_a_saved_answer_of_its_step_is_refused(make_booking, answers):
    appointment = make_booking()
    days = ("headache_days",)
    intake.save_step(appointment.id, "history", answers["history"], language="en")
    with pytest.raises(intake.InvalidAnswers) as refused:
        intake.save_step(appointment.id, "history", {"headache_days": 5}, language="en",
                         keys=days)  # migraine days (saved: 10) may not exceed it
    assert "migraine_days" in refused.value.fields
    assert intake.step_answers(appointment, "history")["headache_days"] == 20


def test_phq9_item_9_on_its_own_page_marks_the_intake_urgent_at_once(make_booking, answers):
    appointment = make_booking()
    answers["questionnaires"]["phq9_9"] = 2
    saved = intake.save_step(appointment.id, "questionnaires",
                             part(answers, "questionnaires", PHQ9_KEYS), language="en",
                             keys=PHQ9_KEYS)
    assert saved.alerts == ("crisis_contacts",)
    assert intake.intake_status(appointment) == "urgent"


def test_submitting_early_names_the_missing_steps(make_booking, answers):
    appointment = make_booking()
    fill(appointment, answers, steps=["about", "pain"])
    with pytest.raises(intake.IntakeIncomplete) as refused:
        intake.submit(appointment.id, language="en")
    assert refused.value.missing == ["history", "medicines", "questionnaires"]


def test_submission_stores_scores_equal_to_the_scoring_module(make_booking, answers):
    appointment = make_booking()
    fill(appointment, answers)
    intake.submit(appointment.id, language="uk")
    responses = {r.instrument: r for r in db.session.execute(
        select(QuestionnaireResponse)).scalars()}
    assert set(responses) == {"midas", "phq9", "gad7"}
    expected = {
        "midas": scoring.score_midas(*responses["midas"].items),
        "phq9": scoring.score_phq9(responses["phq9"].items[:9],
                                   difficulty=responses["phq9"].items[9]),
        "gad7": scoring.score_gad7(responses["gad7"].items),
    }
    for name, response in responses.items():
        assert (response.total, response.band) == (expected[name].total, expected[name].band)
        assert response.version == expected[name].version
        assert response.language == ("en" if name == "midas" else "uk")  # MIDAS is asked in English
    assert (responses["midas"].total, responses["midas"].band) == (25, "IV")
    assert (responses["phq9"].total, responses["phq9"].band) == (8, "mild")
    assert (responses["gad7"].total, responses["gad7"].band) == (14, "moderate")
    assert responses["phq9"].loinc_total == "44261-6"


def test_submission_stores_history_flags_red_flags_medicines_and_pain(make_booking, answers):
    appointment = make_booking()
    fill(appointment, answers)
    submitted = intake.submit(appointment.id, language="en")
    assert submitted.chronic_migraine_criteria is True  # 20 days, 10 migraine, 12 months
    assert submitted.medication_overuse_classes == ["triptan"]  # 12 days of a triptan
    assert submitted.resistant_migraine_criteria is True  # 3 classes failed, 9 debilitating days
    codes = {flag.code for flag in db.session.execute(select(IntakeFlag)).scalars()}
    assert {"gad7_high", "midas_grade_iv", "medication_overuse", "chronic_migraine"} <= codes
    assert [m.name for m in submitted.acute_medications] == ["Sumatriptan", "Ibuprofen"]
    assert len(submitted.preventives) == 3
    ratings = {r.kind: r.value for r in db.session.execute(select(PainRating)).scalars()}
    assert ratings == {"now": 6, "avg_7d": 5, "worst_month": 9}


def test_changing_answers_after_submission_recomputes_the_scores(make_booking, answers):
    appointment = make_booking()
    fill(appointment, answers)
    intake.submit(appointment.id, language="en")
    answers["questionnaires"]["gad7_1"] = 0
    intake.save_step(appointment.id, "questionnaires", answers["questionnaires"], language="en")
    gad7 = db.session.execute(select(QuestionnaireResponse).where(
        QuestionnaireResponse.instrument == "gad7")).scalar_one()
    assert gad7.total == 12
    assert count(QuestionnaireResponse) == 3  # replaced, not added


def test_the_intake_is_read_only_once_the_appointment_starts(app, make_booking, answers):
    appointment = make_booking()
    fill(appointment, answers, steps=["about"])
    app.config["FROZEN_NOW"] = appointment.starts_at
    assert not intake.is_editable(appointment)
    with pytest.raises(intake.IntakeLocked):
        intake.save_step(appointment.id, "pain", answers["pain"], language="en")
    with pytest.raises(intake.IntakeLocked):
        intake.submit(appointment.id, language="en")
    assert intake.completed_steps(appointment) == {"about"}


def test_a_cancelled_booking_has_a_read_only_intake(make_booking, answers):
    appointment = make_booking()
    appointment_changes.cancel_by_patient(appointment.id)
    with pytest.raises(intake.IntakeLocked):
        intake.save_step(appointment.id, "pain", answers["pain"], language="en")


def test_hit6_items_are_asked_only_with_licensed_text(app, make_booking, answers):
    app.config["INTAKE_INSTRUMENTS"] = {**app.config["INTAKE_INSTRUMENTS"], "hit6_items": True}
    assert intake.settings().hit6_items is False  # switched on, but no item text supplied
    app.config["HIT6_ITEM_TEXT"] = tuple(f"Licensed item {n}" for n in range(1, 7))
    assert intake.settings().hit6_items is True
    appointment = make_booking()
    with pytest.raises(intake.InvalidAnswers) as refused:
        intake.save_step(appointment.id, "questionnaires", answers["questionnaires"],
                         language="en")
    assert "hit6_1" in refused.value.fields
    answers["questionnaires"].update({f"hit6_{n}": "always" for n in range(1, 7)})
    fill(appointment, answers)
    intake.submit(appointment.id, language="en")
    hit6 = db.session.execute(select(QuestionnaireResponse).where(
        QuestionnaireResponse.instrument == "hit6")).scalar_one()
    assert (hit6.total, hit6.band) == (78, "severe")


def test_a_positive_ketamine_prescreen_item_is_flagged_for_review(make_booking, answers):
    appointment = make_booking(ketamine=True)
    answers["ketamine"]["glaucoma"] = True
    fill(appointment, answers)
    intake.submit(appointment.id, language="en")
    flag = db.session.execute(select(IntakeFlag).where(
        IntakeFlag.code == "ketamine_prescreen_positive")).scalar_one()
    assert flag.details == ["glaucoma"]
    assert flag.urgent is False
