"""The patient's intake pages, walked through as a patient would: private link -> steps -> review
-> submit -> read-only answers.

The booking is made through the booking service (as the details page does); everything after that
goes through the pages. "Now" is Monday 7 December 2026, 09:00 Kyiv; the visit is on Tuesday
8 December at 10:00.
"""
import html
import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from booking.extensions import db
from booking.intake import services as intake
from booking.intake.pages import HISTORY_START, HISTORY_SYMPTOMS, KETAMINE_HEALTH
from booking.models import Appointment
from booking.scheduler import services

KYIV = ZoneInfo("Europe/Kyiv")
TUESDAY_10 = datetime.combine(date(2026, 12, 8), time(10), tzinfo=KYIV)

# Values no page, link or cookie may carry anywhere but the page body.
MEDICINE = "Zolmigrexal"
CONTACT_NAME = "Oksana Emergencycontactova"
CONTACT_PHONE = "+380671112233"

# What a patient sends, step by step, as the browser posts it.
FORM = {
    "about": {
        "full_name": "Test Patient", "date_of_birth": "1990-05-17", "sex": "female",
        "phone": "+380501234567", "email": "patient@example.com", "language": "en",
        "emergency_contact_name": CONTACT_NAME, "emergency_contact_phone": CONTACT_PHONE,
        "consent_processing": "y",
    },
    "history": {
        "age_at_onset": "15", "months_at_frequency": "24", "getting_worse": "no",
        "onset_after_infection": "y", "headache_days": "10", "migraine_days": "6",
        "moderate_severe_days": "5", "debilitating_days": "3", "attack_hours": "12",
        "location": "one_side", "character": "pulsating", "worse_with_activity": "yes",
        "nausea": "y", "photophobia": "y", "aura": "no", "triggers": ["stress", "sleep"],
        "triggers_other": "", "menstrual_relation": "not_applicable",
        "several_headache_types": "no", "prior_attacks_at_least_5": "yes",
        "red_thunderclap": "no", "red_fever_stiff_neck": "no", "red_neuro_deficit": "no",
        "red_after_head_injury": "no",
    },
    "pain": {"pain_now": "3", "pain_avg_7d": "5", "pain_worst_month": "8"},
    "medicines": {
        "acute-0-name": MEDICINE, "acute-0-class": "triptan", "acute-0-days_per_month": "6",
        "acute-0-effect": "good",
        "any_acute_days": "8", "any_non_opioid_days": "2",
        "preventives-0-drug": "Propranolol", "preventives-0-class": "beta_blocker",
        "preventives-0-dose": "40 mg", "preventives-0-weeks": "12",
        "preventives-0-outcome": "ineffective",
    },
    "questionnaires": {
        **{f"midas_q{n}": "2" for n in range(1, 6)}, "midas_a": "20", "midas_b": "6",
        **{f"phq9_{n}": "1" for n in range(1, 9)}, "phq9_9": "0", "phq9_difficulty": "1",
        **{f"gad7_{n}": "1" for n in range(1, 8)},
    },
    "ketamine": {
        **{code: "no" for code in intake.validation.KETAMINE_ITEMS},
        "current_medicines": "None", "allergies": "", "weight_kg": "70", "height_cm": "172",
    },
}
STEPS = ("about", "history", "pain", "medicines", "questionnaires")
# The pages a browser sends (booking/intake/pages.py): parts of the steps above, same keys.
PAGES = ("about", "history", "symptoms", "triggers", "pain", "medicines", "midas", "phq9",
         "gad7")
PAGE_FORM = {
    "about": FORM["about"], "pain": FORM["pain"], "medicines": FORM["medicines"],
    "history": {k: v for k, v in FORM["history"].items() if k in HISTORY_START},
    "symptoms": {k: v for k, v in FORM["history"].items() if k in HISTORY_SYMPTOMS},
    "triggers": {k: v for k, v in FORM["history"].items()
                 if k not in HISTORY_START + HISTORY_SYMPTOMS},
    **{name: {k: v for k, v in FORM["questionnaires"].items() if k.startswith(name + "_")}
       for name in ("midas", "phq9", "gad7")},
    "ketamine": {k: v for k, v in FORM["ketamine"].items() if k in KETAMINE_HEALTH},
    "ketamine-more": {k: v for k, v in FORM["ketamine"].items() if k not in KETAMINE_HEALTH},
}


# --- Helpers ----------------------------------------------------------------------------------

def text(response):
    return html.unescape(response.get_data(as_text=True))


def words(response):
    """The page as a person reads it: tags dropped, spaces squeezed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def error_for(response, field_id):
    """The message shown next to a field, and check the field points at it."""
    page = text(response)
    match = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">(.*?)</p>',
                      page, re.S)
    assert match, f"no error next to {field_id}"
    assert re.search(rf'aria-describedby="[^"]*{re.escape(field_id)}-error', page)
    return " ".join(re.sub(r"<[^>]+>", " ", match[1]).split()).removeprefix("Error: ")


def value_of(response, name):
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', text(response))
    return match and match[1]


def checked(response, name):
    """The values of the checked radio buttons / tick boxes named `name`."""
    return re.findall(rf'<input[^>]*type="(?:radio|checkbox)"[^>]*name="{re.escape(name)}" '
                      r'value="([^"]*)" checked', text(response))


def reload(appointment):
    db.session.expire_all()
    return db.session.get(Appointment, appointment.id)


def status_of(appointment):
    return intake.intake_status(reload(appointment))


def saved(appointment, step):
    appointment = reload(appointment)
    return (appointment.intake.answers or {}).get(step) if appointment.intake else None


@pytest.fixture
def book(create_service, create_practitioner, patient_details):
    def book(ketamine=False):
        service = create_service("Ketamine course" if ketamine else "First consultation",
                                 needs_ketamine_prescreen=ketamine)
        create_practitioner([service], full_name="Dr Olena Kovalenko")
        return services.book(service_id=service.id, start=TUESDAY_10, patient=patient_details,
                             consent=True, source="online", language="en")
    return book


@pytest.fixture
def booking(book):
    return book()


def url(token, step=""):
    return f"/manage/{token}/intake" + (f"/{step}" if step else "")


def fill(client, token, *steps):
    for step in steps:
        response = client.post(url(token, step), data=FORM[step])
        assert response.status_code == 303, (step, words(response)[:2000])
    return response


def set_now(app, instant):
    app.config["FROZEN_NOW"] = instant.astimezone(timezone.utc)


# --- The flow ---------------------------------------------------------------------------------

def test_the_whole_intake_from_the_manage_page_to_the_sent_answers(client, booking):
    appointment, token = booking
    manage = client.get(f"/manage/{token}")
    assert "Health questionnaire Status: Not started" in words(manage)
    assert f'href="{url(token)}">Fill in your health questionnaire' in text(manage)
    assert status_of(appointment) == "not_started"

    start = client.get(url(token))
    assert start.status_code == 303 and start.headers["Location"] == url(token, "about")

    about = client.get(url(token, "about"))
    assert about.status_code == 200
    assert "Step 1 of 10: About you" in words(about)
    assert value_of(about, "full_name") == "Test Patient"  # from the booking
    assert "Save and continue" in words(about)
    assert "Your private link brings you back to where you stopped." in words(about)

    # Each page as the browser sends it: its own questions only.
    expected_next = [*PAGES[1:], "review"]
    for step, following in zip(PAGES, expected_next, strict=True):
        response = client.post(url(token, step), data=PAGE_FORM[step])
        assert response.status_code == 303, words(response)[:3000]
        assert response.headers["Location"] == url(token, following)
        if step == "about":
            assert status_of(appointment) == "in_progress"
            assert "Status: In progress" in words(client.get(f"/manage/{token}"))
            assert "Continue your questionnaire" in words(client.get(f"/manage/{token}"))

    history = client.get(url(token, "history"))
    assert "Step 2 of 10: Headache history" in words(history)
    assert "Step 8 of 10: Your mood" in words(client.get(url(token, "phq9")))

    review = client.get(url(token, "review"))
    assert review.status_code == 200
    assert "Step 10 of 10: Review and submit" in words(review)
    page = words(review)
    assert MEDICINE in page and CONTACT_NAME in page
    assert "Throbbing or pulsating" in page
    for step in PAGES:
        assert f'href="{url(token, step)}">Change' in text(review)
    assert f'action="{url(token, "submit")}"' in text(review)

    submitted = client.post(url(token, "submit"))
    assert submitted.status_code == 303
    assert submitted.headers["Location"] == url(token, "answers")
    assert status_of(appointment) == "submitted"

    answers = client.get(url(token, "answers"))
    assert answers.status_code == 200
    assert "Thank you. Your answers were sent to the clinic." in words(answers)
    assert ("You sent these answers to the clinic on Monday, 7 December 2026, 09:00."
            in words(answers))
    assert MEDICINE in words(answers)
    manage = client.get(f"/manage/{token}")
    assert "Status: Sent to the clinic" in words(manage)
    assert "View your answers" in words(manage)


def test_leaving_and_coming_back_opens_the_first_open_step_with_answers_kept(client, booking):
    _appointment, token = booking
    fill(client, token, "about", "history")

    resume = client.get(url(token))
    history = client.get(url(token, "history"))
    symptoms = client.get(url(token, "symptoms"))
    triggers = client.get(url(token, "triggers"))

    assert resume.headers["Location"] == url(token, "pain")
    assert value_of(history, "headache_days") == "10"
    assert value_of(history, "attack_hours") == "12"
    assert checked(symptoms, "location") == ["one_side"]
    assert checked(history, "getting_worse") == ["no"]
    assert checked(triggers, "triggers") == ["stress", "sleep"]
    assert re.search(r'<input checked id="onset_after_infection"', text(history))
    assert not re.search(r'<input checked id="onset_after_head_injury"', text(history))


def test_a_page_saves_its_part_of_a_step_and_the_next_page_the_rest(client, booking):
    appointment, token = booking
    fill(client, token, "about")

    first = client.post(url(token, "history"), data=PAGE_FORM["history"])

    assert first.headers["Location"] == url(token, "symptoms")
    assert saved(appointment, "history") == {
        "age_at_onset": 15, "months_at_frequency": 24, "getting_worse": False,
        "onset_after_head_injury": False, "onset_after_infection": True,
        "onset_after_new_medicine": False, "headache_days": 10, "migraine_days": 6,
        "moderate_severe_days": 5, "debilitating_days": 3, "attack_hours": 12,
        "continuous": False}
    assert client.get(url(token)).headers["Location"] == url(token, "symptoms")

    second = client.post(url(token, "symptoms"), data=PAGE_FORM["symptoms"])
    third = client.post(url(token, "triggers"), data=PAGE_FORM["triggers"])

    assert second.headers["Location"] == url(token, "triggers")
    assert third.headers["Location"] == url(token, "pain")
    whole = saved(appointment, "history")
    assert whole["headache_days"] == 10 and whole["location"] == "one_side"
    assert whole["triggers"] == ["stress", "sleep"] and whole["red_thunderclap"] is False
    # The same answers as the whole step sent at once: scoring and the clinician see no change.
    assert whole == intake.validation.validate_history(whole)


def test_changing_one_page_keeps_the_answers_of_the_other_pages_of_its_step(client, booking):
    appointment, token = booking
    fill(client, token, *STEPS)

    client.post(url(token, "phq9"), data={**PAGE_FORM["phq9"], "phq9_2": "3"})

    answers = saved(appointment, "questionnaires")
    assert answers["phq9_2"] == 3 and answers["phq9_1"] == 1
    assert answers["midas_a"] == 20 and answers["gad7_7"] == 1


def test_a_whole_step_sent_at_once_is_still_saved_as_a_whole(client, booking):
    appointment, token = booking
    fill(client, token, "about")

    response = client.post(url(token, "questionnaires"), data=FORM["questionnaires"])

    assert response.headers["Location"] == url(token, "history")
    assert saved(appointment, "questionnaires")["gad7_7"] == 1
    assert client.get(url(token, "questionnaires")).headers["Location"] == url(token, "midas")
    about = client.get(url(token, "about"))
    assert value_of(about, "emergency_contact_name") == CONTACT_NAME


def test_a_step_can_be_changed_before_the_visit_even_after_sending(client, booking):
    appointment, token = booking
    fill(client, token, *STEPS)
    client.post(url(token, "submit"))

    changed = client.post(url(token, "pain"), data={**FORM["pain"], "pain_now": "7"})

    assert changed.status_code == 303
    assert saved(appointment, "pain")["pain_now"] == 7
    assert status_of(appointment) == "submitted"
    assert checked(client.get(url(token, "pain")), "pain_now") == ["7"]
    assert "How bad is your headache pain right now? 7" in words(client.get(url(token, "answers")))


def test_after_the_appointment_starts_answers_are_shown_read_only(app, client, booking):
    appointment, token = booking
    fill(client, token, "about", "history", "pain")
    set_now(app, appointment.starts_at + timedelta(minutes=5))

    page = client.get(url(token, "pain"))
    post = client.post(url(token, "pain"), data={**FORM["pain"], "pain_now": "9"})

    assert page.status_code == 200
    assert "can no longer be changed online" in words(page)
    assert "How bad is your headache pain right now? 3" in words(page)
    assert "<form" not in text(page) and "<input" not in text(page)
    assert post.status_code == 422
    assert "can no longer be changed online" in words(post)
    assert saved(appointment, "pain")["pain_now"] == 3
    assert "Submit my answers" not in words(client.get(url(token, "review")))
    assert client.post(url(token, "submit")).status_code == 422
    assert status_of(appointment) == "in_progress"


def test_after_sending_and_the_visit_starting_the_link_opens_the_answers(app, client, booking):
    appointment, token = booking
    fill(client, token, *STEPS)
    client.post(url(token, "submit"))
    set_now(app, appointment.starts_at + timedelta(hours=1))

    response = client.get(url(token))

    assert response.headers["Location"] == url(token, "answers")
    answers = client.get(url(token, "answers"))
    assert "They can no longer be changed online." in words(answers)
    assert "Change your answers" not in words(answers)


def test_a_cancelled_appointment_makes_the_intake_read_only(client, booking):
    appointment, token = booking
    fill(client, token, "about")
    client.post(f"/manage/{token}/cancel")

    post = client.post(url(token, "history"), data=FORM["history"])

    assert post.status_code == 422
    assert "This appointment is cancelled" in words(post)
    assert saved(appointment, "history") is None


# --- Validation: messages next to fields, typed values kept, nothing saved ---------------------

def test_migraine_days_above_headache_days_are_refused_next_to_the_field(client, booking):
    appointment, token = booking
    fill(client, token, "about")

    response = client.post(url(token, "history"),
                           data={**FORM["history"], "migraine_days": "12", "headache_days": "10"})

    assert response.status_code == 422
    assert error_for(response, "migraine_days") == \
        "This cannot be more than your headache days (10)."
    assert value_of(response, "migraine_days") == "12"
    assert value_of(response, "age_at_onset") == "15"
    assert checked(response, "location") == ["one_side"]
    assert saved(appointment, "history") is None


def test_a_pain_rating_of_11_is_refused(client, booking):
    appointment, token = booking

    response = client.post(url(token, "pain"), data={**FORM["pain"], "pain_now": "11"})

    assert response.status_code == 422
    assert error_for(response, "pain_now") == "Please choose one of the options."
    assert checked(response, "pain_avg_7d") == ["5"]
    assert saved(appointment, "pain") is None


def test_a_midas_answer_of_91_days_is_refused(client, booking):
    appointment, token = booking

    response = client.post(url(token, "questionnaires"),
                           data={**FORM["questionnaires"], "midas_q1": "91"})

    assert response.status_code == 422
    assert error_for(response, "midas_q1") == "Please enter a number from 0 to 90."
    assert value_of(response, "midas_q1") == "91"
    assert checked(response, "phq9_1") == ["1"]
    assert saved(appointment, "questionnaires") is None


def test_a_missing_phq9_item_is_asked_for(client, booking):
    appointment, token = booking
    data = dict(FORM["questionnaires"])
    del data["phq9_4"]

    response = client.post(url(token, "questionnaires"), data=data)

    assert response.status_code == 422
    assert error_for(response, "phq9_4") == "Please answer this question."
    assert "Please check the answers marked below." in words(response)
    assert value_of(response, "midas_a") == "20"
    assert saved(appointment, "questionnaires") is None


def test_words_where_a_number_belongs_are_refused_and_kept(client, booking):
    appointment, token = booking
    fill(client, token, "about")

    response = client.post(url(token, "history"),
                           data={**FORM["history"], "headache_days": "about ten"})

    assert response.status_code == 422
    assert error_for(response, "headache_days") == "Please enter a whole number, for example 4."
    assert value_of(response, "headache_days") == "about ten"
    assert saved(appointment, "history") is None


def test_an_unticked_consent_is_refused(client, booking):
    appointment, token = booking
    data = {key: value for key, value in FORM["about"].items() if key != "consent_processing"}

    response = client.post(url(token, "about"), data=data)

    assert response.status_code == 422
    assert "Please agree to the processing of your data" in error_for(response,
                                                                      "consent_processing")
    assert value_of(response, "emergency_contact_name") == CONTACT_NAME
    assert status_of(appointment) == "not_started"


def test_a_row_error_from_the_service_lands_next_to_the_row(client, booking):
    appointment, token = booking

    response = client.post(url(token, "medicines"),
                           data={**FORM["medicines"], "acute-0-days_per_month": "40"})

    assert response.status_code == 422
    assert error_for(response, "acute-0-days_per_month") == "Please enter a number from 0 to 31."
    assert value_of(response, "acute-0-name") == MEDICINE
    assert saved(appointment, "medicines") is None


# --- Medicine rows without JavaScript -----------------------------------------------------------

def test_adding_a_medicine_row_keeps_what_was_typed_and_saves_nothing(client, booking):
    appointment, token = booking

    response = client.post(url(token, "medicines"), data={**FORM["medicines"], "add_acute": "1"})

    assert response.status_code == 200
    assert value_of(response, "acute-0-name") == MEDICINE
    assert value_of(response, "acute-0-days_per_month") == "6"
    assert 'name="acute-1-name"' in text(response)
    assert value_of(response, "any_acute_days") == "8"
    assert value_of(response, "preventives-0-drug") == "Propranolol"
    assert "Medicine 2" in words(response)
    assert "field-error" not in text(response)
    assert saved(appointment, "medicines") is None


def test_removing_a_medicine_row_keeps_the_others(client, booking):
    appointment, token = booking
    data = {**FORM["medicines"],
            "acute-1-name": "Paracetamol Forte", "acute-1-class": "paracetamol",
            "acute-1-days_per_month": "2", "acute-1-effect": "partial",
            "remove_acute": "0"}

    response = client.post(url(token, "medicines"), data=data)

    assert response.status_code == 200
    assert MEDICINE not in text(response)
    assert "Paracetamol Forte" in {value_of(response, "acute-0-name"),
                                   value_of(response, "acute-1-name")}
    assert "Medicine 2" not in words(response)
    assert saved(appointment, "medicines") is None

    # The page that comes back can be sent as it is.
    kept = {key: value for key, value in data.items()
            if not key.startswith("acute-0-") and key != "remove_acute"}
    kept["any_non_opioid_days"] = "2"
    sent = client.post(url(token, "medicines"), data=kept)
    assert sent.status_code == 303
    rows = saved(appointment, "medicines")["acute"]
    assert [row["name"] for row in rows] == ["Paracetamol Forte"]


def test_an_empty_medicine_table_is_offered_one_empty_row_and_may_stay_empty(client, booking):
    appointment, token = booking

    page = client.get(url(token, "medicines"))
    sent = client.post(url(token, "medicines"), data={
        "acute-0-name": "", "acute-0-class": "", "acute-0-days_per_month": "",
        "acute-0-effect": "", "any_acute_days": "0", "any_non_opioid_days": "0"})

    assert 'name="acute-0-name"' in text(page) and 'name="preventives-0-drug"' in text(page)
    assert "Add another medicine" in words(page)
    assert sent.status_code == 303
    assert saved(appointment, "medicines") == {
        "acute": [], "preventives": [], "any_acute_days": 0, "any_non_opioid_days": 0}


def test_the_remove_and_add_buttons_are_labelled_submit_buttons(client, booking):
    _appointment, token = booking

    page = text(client.get(url(token, "medicines")))

    assert re.search(r'<button class="button button-secondary" type="submit" '
                     r'name="remove_acute" value="0">\s*Remove<span class="visually-hidden">: '
                     r'Medicine 1</span>', page)
    assert 'name="add_preventives" value="1"' in page
    assert "<script" not in page.split("</footer>")[0]


# --- Urgent answers -----------------------------------------------------------------------------

def test_phq9_item_9_above_0_shows_crisis_contacts_on_the_next_page(app, client, booking):
    appointment, token = booking
    fill(client, token, "about", "history", "pain", "medicines")
    client.post(url(token, "midas"), data=PAGE_FORM["midas"])
    set_now(app, TUESDAY_10 - timedelta(hours=20))  # Monday 14:00, the clinic is open

    response = client.post(url(token, "phq9"), data={**PAGE_FORM["phq9"], "phq9_9": "1"})
    following = client.get(response.headers["Location"])

    page = text(following)
    assert response.headers["Location"] == url(token, "gad7")  # marked before GAD-7 is sent
    assert 'href="tel:112"' in page and 'href="tel:103"' in page and 'href="tel:7333"' in page
    assert "Emergency: 112" in words(following)
    assert "Ambulance: 103" in words(following)
    assert "Lifeline Ukraine: 7333" in words(following)
    assert "The clinic will contact you today." in words(following)
    assert page.index("tel:7333") < page.index("<h1")  # at the top
    assert status_of(appointment) == "urgent"
    assert "Marked urgent" in words(client.get(f"/manage/{token}"))
    # Every intake page keeps showing it.
    assert 'href="tel:7333"' in text(client.get(url(token, "pain")))


def test_a_headache_red_flag_shows_the_emergency_advice(client, booking):
    appointment, token = booking
    fill(client, token, "about")

    response = client.post(url(token, "history"),
                           data={**FORM["history"], "red_thunderclap": "yes"})
    following = client.get(response.headers["Location"])

    assert response.status_code == 303
    assert ("Your answers suggest you should seek emergency care now: call 103 or go to the "
            "nearest emergency department.") in words(following)
    assert 'href="tel:103"' in text(following)
    # Always the numbers for immediate danger too, and when the clinic will call.
    assert "In immediate danger, call:" in words(following)
    assert 'href="tel:112"' in text(following) and 'href="tel:7333"' in text(following)
    assert "will contact you" in words(following)
    assert status_of(appointment) == "urgent"


def test_no_alerts_without_urgent_answers(client, booking):
    _appointment, token = booking
    fill(client, token, *STEPS)

    page = text(client.get(url(token, "review")))

    assert "tel:7333" not in page and "emergency department" not in page


# --- Which steps ------------------------------------------------------------------------------

def test_the_ketamine_step_is_asked_only_for_ketamine_services(client, book):
    _appointment, token = book(ketamine=True)
    fill(client, token, "about", "history", "pain", "medicines")

    to_ketamine = client.post(url(token, "questionnaires"), data=FORM["questionnaires"])
    page = client.get(url(token, "ketamine"))
    more = client.get(url(token, "ketamine-more"))

    assert to_ketamine.headers["Location"] == url(token, "ketamine")
    assert "Step 10 of 12: Before ketamine treatment" in words(page)
    assert "Do you have high blood pressure that is not well controlled?" in words(page)
    assert re.search(r'<legend class="label">Are you pregnant', text(more))
    assert '<label class="label" for="weight_kg">Your weight in kilograms</label>' in text(more)
    health = client.post(url(token, "ketamine"), data=PAGE_FORM["ketamine"])
    assert health.headers["Location"] == url(token, "ketamine-more")
    done = client.post(url(token, "ketamine-more"), data=PAGE_FORM["ketamine-more"])
    assert done.headers["Location"] == url(token, "review")
    assert "Step 12 of 12: Review and submit" in words(client.get(url(token, "review")))


def test_without_the_ketamine_prescreen_its_page_does_not_exist(client, booking):
    _appointment, token = booking

    assert client.get(url(token, "ketamine")).status_code == 404
    assert client.post(url(token, "ketamine"), data=FORM["ketamine"]).status_code == 404


def test_submitting_early_names_the_missing_steps(client, booking):
    appointment, token = booking
    fill(client, token, "about", "pain")

    response = client.post(url(token, "submit"))

    assert response.status_code == 422
    page = words(response)
    assert ("Please finish these steps first: Headache history What a headache is like "
            "Triggers and warning signs Medicines Headaches and your daily life Your mood "
            "Worry and anxiety") in page
    assert f'href="{url(token, "history")}">Headache history' in text(response)
    assert f'href="{url(token, "phq9")}">Your mood' in text(response)
    assert status_of(appointment) == "in_progress"


def test_the_sent_answers_show_no_scores(client, booking):
    _appointment, token = booking
    fill(client, token, *STEPS)
    client.post(url(token, "submit"))

    page = words(client.get(url(token, "answers")))

    assert "Little interest or pleasure in doing things Several days" in page
    assert "score" not in page.lower()
    assert "moderate" not in page.lower().replace("moderate or severe", "")
    assert "minimal" not in page.lower() and "grade" not in page.lower()


def test_the_answers_page_before_sending_goes_back_to_the_questionnaire(client, booking):
    _appointment, token = booking

    response = client.get(url(token, "answers"))

    assert response.status_code == 303 and response.headers["Location"] == url(token)


# --- Not found, headers, privacy ---------------------------------------------------------------

@pytest.mark.parametrize("path", ["", "/about", "/review", "/answers"])
def test_a_wrong_token_is_404(client, booking, path):
    _appointment, token = booking

    response = client.get(f"/manage/{token[:-1]}x/intake{path}")

    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"
    assert client.post("/manage/wrong/intake/about", data=FORM["about"]).status_code == 404
    assert client.post("/manage/wrong/intake/submit").status_code == 404


@pytest.mark.parametrize("step", ["nope", "ABOUT", "csrf_token", "review-x", "answers-1"])
def test_an_unknown_step_is_404(client, booking, step):
    appointment, token = booking

    assert client.get(url(token, step)).status_code == 404
    assert client.post(url(token, step), data=FORM["about"]).status_code == 404
    assert status_of(appointment) == "not_started"


def test_submit_is_not_a_page_to_open(client, booking):
    _appointment, token = booking

    assert client.get(url(token, "submit")).status_code in (404, 405)


@pytest.mark.parametrize("path", ["", "/about", "/medicines", "/review", "/nope"])
def test_intake_pages_send_no_referrer_and_no_store(client, booking, path):
    _appointment, token = booking

    response = client.get(url(token) + path)

    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_every_input_has_a_visible_label_and_radio_groups_a_legend(client, book):
    _appointment, token = book(ketamine=True)

    for step in (*PAGES, "ketamine", "ketamine-more"):
        page = text(client.get(url(token, step)))
        ids = re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"',
                         page)
        assert ids, step
        for input_id in ids:
            assert f'for="{input_id}"' in page, (step, input_id)
        for group in re.findall(r"<fieldset.*?</fieldset>", page, re.S):
            assert "<legend" in group, step
        assert 'style="' not in page and "<script>" not in page


def test_forms_carry_a_csrf_token(app, client, booking):
    _appointment, token = booking
    app.config["WTF_CSRF_ENABLED"] = True

    assert 'name="csrf_token"' in text(client.get(url(token, "about")))
    assert client.post(url(token, "about"), data=FORM["about"]).status_code == 400
    assert client.post(url(token, "submit")).status_code == 400


def test_no_answer_travels_in_a_url_or_the_session_cookie(app, client, book):
    appointment, token = book(ketamine=True)
    secrets = (MEDICINE, CONTACT_NAME, CONTACT_PHONE, "Propranolol", "pulsating", "phq9")
    seen_urls = []
    cookies = []

    def visit(response):
        for hop in [*response.history, response]:
            seen_urls.append(hop.request.url)
            if "Location" in hop.headers:
                seen_urls.append(hop.headers["Location"])
        cookie = client.get_cookie("session")
        if cookie is not None:
            cookies.append(cookie.value)
        return response

    visit(client.get(f"/manage/{token}"))
    visit(client.get(url(token), follow_redirects=True))
    for step in (*STEPS, "ketamine"):
        visit(client.post(url(token, step), data=FORM[step], follow_redirects=True))
    visit(client.post(url(token, "medicines"), data={**FORM["medicines"], "add_acute": "1"}))
    visit(client.post(url(token, "history"), data={**FORM["history"], "red_thunderclap": "yes"},
                      follow_redirects=True))
    visit(client.post(url(token, "questionnaires"),
                      data={**FORM["questionnaires"], "phq9_9": "2"}, follow_redirects=True))
    visit(client.post(url(token, "submit"), follow_redirects=True))
    visit(client.get(url(token, "answers")))

    assert intake.intake_status(reload(appointment)) == "urgent"
    assert any(url_.endswith("/intake/answers") for url_ in seen_urls)
    for url_ in seen_urls:
        for secret in secrets:
            assert secret not in url_
        assert "?" not in url_
    serializer = app.session_interface.get_signing_serializer(app)
    assert cookies
    for cookie in cookies:
        session = repr(serializer.loads(cookie))
        for secret in (*secrets, "7333", "emergency", "urgent", "phq9_9"):
            assert secret not in session
