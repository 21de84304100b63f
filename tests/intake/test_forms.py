"""The intake forms check shape only: answered, a whole number, one of the choices, not too many
rows. They hand the service the documented keys and types (docs/intake-answers.md), keep what was
typed when it is wrong, and put the service's messages next to the right field."""
from dataclasses import replace

import pytest
from werkzeug.datastructures import MultiDict

from booking.intake import form_fields, forms, validation
from booking.intake import services as intake
from booking.timeutil import utcnow

WHOLE_NUMBER = "Please enter a whole number, for example 4."
REQUIRED = "Please answer this question."
CHOOSE_ONE = "Please choose one of the options."

# One valid set of answers per step, in the documented types.
ANSWERS = {
    "about": {
        "full_name": "Test Patient", "date_of_birth": "1990-05-17", "sex": "prefer_not_to_say",
        "phone": "+380501234567", "email": "patient@example.com", "language": "uk",
        "emergency_contact_name": "Ivan Contact", "emergency_contact_phone": "+380671112233",
        "consent_processing": True, "consent_contact": False,
    },
    "history": {
        "age_at_onset": 16, "months_at_frequency": 12, "getting_worse": True,
        "onset_after_head_injury": False, "onset_after_infection": True,
        "onset_after_new_medicine": False, "headache_days": 20, "migraine_days": 10,
        "moderate_severe_days": 12, "debilitating_days": 9, "attack_hours": None,
        "continuous": True, "location": "varies", "character": "pressing",
        "worse_with_activity": False, "nausea": True, "vomiting": False, "photophobia": True,
        "phonophobia": True, "aura": True, "aura_types": ["visual", "speech"],
        "aura_minutes": 30, "triggers": ["stress", "skipped_meals"],
        "triggers_other": "Perfume", "menstrual_relation": "not_applicable",
        "several_headache_types": False, "prior_attacks_at_least_5": True,
        "red_thunderclap": False, "red_fever_stiff_neck": False, "red_neuro_deficit": False,
        "red_after_head_injury": False,
    },
    "pain": {"pain_now": 0, "pain_avg_7d": 5, "pain_worst_month": 10},
    "medicines": {
        "acute": [
            {"name": "Sumatriptan", "class": "triptan", "days_per_month": 12, "effect": "partial"},
            {"name": "Ibuprofen", "class": "nsaid", "days_per_month": 6, "effect": "none"},
        ],
        "any_acute_days": 15, "any_non_opioid_days": 6,
        "preventives": [
            {"drug": "Topiramate", "class": "anticonvulsant", "dose": "50 mg", "weeks": 12,
             "outcome": "not_tolerated"},
            {"drug": "Erenumab", "class": "cgrp_antibody", "dose": "", "weeks": None,
             "outcome": "ongoing"},
        ],
    },
    "questionnaires": {
        **{f"midas_q{n}": n * 3 for n in range(1, 6)}, "midas_a": 40, "midas_b": 7,
        **{f"phq9_{n}": n % 4 for n in range(1, 10)}, "phq9_difficulty": 2,
        **{f"gad7_{n}": (n + 1) % 4 for n in range(1, 8)},
    },
    "ketamine": {
        **{code: code == "prior_ketamine_use" for code in validation.KETAMINE_ITEMS},
        "current_medicines": "Propranolol 40 mg", "allergies": "", "weight_kg": 72,
        "height_cm": 178,
    },
}

HIT6_TEXT = tuple(f"Licensed item {n}" for n in range(1, 7))  # stand-ins: never the real text


@pytest.fixture
def request_context(app):
    with app.test_request_context("/", method="POST"):
        yield


@pytest.fixture
def settings(request_context):
    return intake.settings()


def posted(form_class, data):
    return form_class(formdata=MultiDict(data))


def as_posted(answers):
    """Answers as a browser would post them (the inverse of to_answers)."""
    data = MultiDict()
    for key, value in answers.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for index, row in enumerate(value):
                for name, cell in row.items():
                    if cell is not None:
                        data.add(f"{key}-{index}-{name}", str(cell))
        elif isinstance(value, list):
            for item in value:
                data.add(key, item)
        elif value is True:
            data.add(key, "yes" if key not in BOXES else "y")
        elif value is False:
            if key not in BOXES:
                data.add(key, "no")
        elif value is not None:
            data.add(key, str(value))
    return data


BOXES = {"consent_processing", "consent_contact", "onset_after_head_injury",
         "onset_after_infection", "onset_after_new_medicine", "continuous", "nausea", "vomiting",
         "photophobia", "phonophobia"}


# --- The documented keys and types -------------------------------------------------------------

@pytest.mark.parametrize("step", list(ANSWERS))
def test_the_example_answers_are_valid_for_the_service(app, step):
    today = utcnow().date()
    validate = {
        "about": lambda a: validation.validate_about(a, today=today),
        "history": lambda a: validation.validate_history(a, age=36),
        "pain": validation.validate_pain,
        "medicines": validation.validate_medicines,
        "questionnaires": lambda a: validation.validate_questionnaires(
            a, settings=intake.settings()),
        "ketamine": validation.validate_ketamine,
    }[step]
    assert validate(ANSWERS[step]) == ANSWERS[step]


@pytest.mark.parametrize("step", list(ANSWERS))
def test_a_form_built_from_saved_answers_gives_them_back(settings, step):
    form = forms.form_class(step, settings)(formdata=None, data=ANSWERS[step])

    assert form.to_answers() == ANSWERS[step]


@pytest.mark.parametrize("step", list(ANSWERS))
def test_a_form_posted_by_a_browser_gives_the_documented_keys_and_types(settings, step):
    form = posted(forms.form_class(step, settings), as_posted(ANSWERS[step]))

    assert form.validate(), form.errors
    assert form.to_answers() == ANSWERS[step]


@pytest.mark.parametrize("step", list(ANSWERS))
def test_every_question_has_a_label(settings, step):
    form = forms.form_class(step, settings)(formdata=None)
    if step == "medicines":
        form.add_blank_rows()

    for field in form.answer_fields():
        assert str(field.label.text).strip(), field.name
    if step == "medicines":
        for rows in (form.acute, form.preventives):
            for field in rows.entries[0].form:
                assert str(field.label.text).strip(), field.name


@pytest.mark.parametrize("field_name, codes", [
    ("sex", validation.SEX), ("language", validation.LANGUAGES),
])
def test_about_choices_are_the_documented_codes(request_context, field_name, codes):
    form = forms.AboutForm(formdata=None)

    assert [value for value, _text in form[field_name].choices] == list(codes)


@pytest.mark.parametrize("field_name, codes", [
    ("location", validation.LOCATIONS), ("character", validation.CHARACTERS),
    ("aura_types", validation.AURA_TYPES), ("triggers", validation.TRIGGERS),
    ("menstrual_relation", validation.MENSTRUAL),
])
def test_history_choices_are_the_documented_codes(request_context, field_name, codes):
    form = forms.HistoryForm(formdata=None)

    assert [value for value, _text in form[field_name].choices] == list(codes)


def test_medicine_row_choices_are_the_documented_codes(request_context):
    form = forms.MedicinesForm(formdata=None)
    form.add_blank_rows()
    acute, preventive = form.acute.entries[0], form.preventives.entries[0]

    def codes(field):
        return [value for value, _text in field.choices]

    assert codes(acute["class"]) == list(validation.ACUTE_CLASSES)
    assert codes(acute["effect"]) == list(validation.EFFECTS)
    assert codes(preventive["class"]) == list(validation.PREVENTIVE_CLASSES)
    assert codes(preventive["outcome"]) == list(validation.OUTCOMES)
    assert acute["class"].name == "acute-0-class"


def test_the_ketamine_form_asks_every_prescreen_item_as_yes_or_no(request_context):
    form = forms.KetamineForm(formdata=None)

    for code in validation.KETAMINE_ITEMS:
        assert isinstance(form[code], form_fields.YesNoField)
        assert str(form[code].label.text).endswith("?")
    assert set(form.to_answers()) == {*validation.KETAMINE_ITEMS, "current_medicines",
                                      "allergies", "weight_kg", "height_cm"}


# --- Whole numbers -----------------------------------------------------------------------------

@pytest.mark.parametrize("typed, number", [("12", 12), (" 7 ", 7), ("0", 0), ("-1", -1)])
def test_whole_numbers_are_read_as_int(request_context, typed, number):
    form = posted(forms.KetamineForm, {"weight_kg": typed})

    form.validate()

    assert "weight_kg" not in form.errors  # ranges are the service's business
    assert form.to_answers()["weight_kg"] == number


@pytest.mark.parametrize("typed", ["seventy", "70.5", "70,5", "1e3", "70 kg", "½", "9999999"])
def test_anything_but_a_whole_number_is_refused_and_kept_as_typed(request_context, typed):
    form = posted(forms.KetamineForm, {"weight_kg": typed})

    form.validate()

    assert form.errors["weight_kg"] == [WHOLE_NUMBER]
    assert form.weight_kg._value() == typed
    assert form.to_answers()["weight_kg"] == typed.strip()


def test_a_required_number_left_empty_is_asked_for(request_context):
    form = posted(forms.KetamineForm, {"weight_kg": "  "})

    form.validate()

    assert form.errors["weight_kg"] == [REQUIRED]
    assert form.to_answers()["weight_kg"] is None


def test_optional_numbers_may_stay_empty(request_context):
    data = as_posted(ANSWERS["history"])
    data.pop("attack_hours", None)
    data.pop("aura_minutes")

    form = posted(forms.HistoryForm, data)

    assert form.validate(), form.errors
    assert form.to_answers()["attack_hours"] is None
    assert form.to_answers()["aura_minutes"] is None


# --- Choices -----------------------------------------------------------------------------------

@pytest.mark.parametrize("form_class, name, value", [
    (forms.PainForm, "pain_now", "11"),
    (forms.PainForm, "pain_now", "-1"),
    (forms.PainForm, "pain_now", "3.0"),
    (forms.HistoryForm, "location", "top"),
    (forms.HistoryForm, "getting_worse", "maybe"),
    (forms.HistoryForm, "red_thunderclap", "true"),
    (forms.AboutForm, "sex", "F"),
    (forms.AboutForm, "language", "ru"),
])
def test_a_choice_not_offered_is_refused(request_context, form_class, name, value):
    form = posted(form_class, {name: value})

    form.validate()

    assert form.errors[name] == [CHOOSE_ONE]
    assert form[name]._value() == value


def test_questionnaire_answers_must_be_on_the_scale(settings):
    data = as_posted(ANSWERS["questionnaires"])
    data["phq9_3"] = "4"
    data["gad7_1"] = "often"
    form = posted(forms.form_class("questionnaires", settings), data)

    assert not form.validate()
    assert form.errors == {"phq9_3": [CHOOSE_ONE], "gad7_1": [CHOOSE_ONE]}


def test_every_questionnaire_item_is_required(settings):
    form = posted(forms.form_class("questionnaires", settings), {})

    assert not form.validate()
    assert set(form.errors) == set(ANSWERS["questionnaires"])
    assert all(messages == [REQUIRED] for messages in form.errors.values())


def test_several_choices_must_all_be_offered(request_context):
    data = as_posted(ANSWERS["history"])
    data.setlist("aura_types", ["visual", "smell"])

    form = posted(forms.HistoryForm, data)

    assert not form.validate()
    assert form.errors == {"aura_types": ["Please choose from the options."]}


def test_yes_no_answers_become_booleans_and_ticks_too(request_context):
    form = posted(forms.HistoryForm, {"red_thunderclap": "yes", "red_fever_stiff_neck": "no",
                                      "nausea": "y"})

    answers = form.to_answers()

    assert answers["red_thunderclap"] is True
    assert answers["red_fever_stiff_neck"] is False
    assert answers["red_neuro_deficit"] is None  # not answered: the form asks for it
    assert answers["nausea"] is True and answers["vomiting"] is False


def test_the_consent_box_must_be_ticked(request_context):
    data = as_posted(ANSWERS["about"])
    data.pop("consent_processing")

    form = posted(forms.AboutForm, data)

    assert not form.validate()
    assert list(form.errors) == ["consent_processing"]


def test_text_longer_than_allowed_is_refused(request_context):
    data = as_posted(ANSWERS["ketamine"])
    data["allergies"] = "x" * 1001

    form = posted(forms.KetamineForm, data)

    assert not form.validate()
    assert form.errors == {"allergies": ["Please keep this to 1000 characters."]}


# --- Questionnaires follow the settings --------------------------------------------------------

def test_switched_off_instruments_are_not_asked(settings):
    form = forms.form_class("questionnaires", replace(settings, midas=False, gad7=False))(
        formdata=None)

    assert form.instruments == ("phq9",)
    assert set(form.to_answers()) == {*(f"phq9_{n}" for n in range(1, 10)), "phq9_difficulty"}


def test_hit6_items_appear_only_when_switched_on_with_licensed_text(settings):
    assert "hit6" not in forms.form_class("questionnaires", settings).instruments
    off = replace(settings, hit6_items=False, hit6_item_text=HIT6_TEXT)
    assert "hit6" not in forms.form_class("questionnaires", off).instruments

    on = replace(settings, hit6_items=True, hit6_item_text=HIT6_TEXT)
    form = posted(forms.form_class("questionnaires", on),
                  {**as_posted(ANSWERS["questionnaires"]).to_dict(),
                   **{f"hit6_{n}": "sometimes" for n in range(1, 7)}, "hit6_2": "often"})

    assert form.instruments == ("midas", "phq9", "gad7", "hit6")
    assert str(form.hit6_1.label.text) == "Licensed item 1"
    assert [value for value, _text in form.hit6_1.choices] == list(validation.HIT6_ANSWERS)
    assert not form.validate()
    assert form.errors == {"hit6_2": [CHOOSE_ONE]}
    assert form.to_answers()["hit6_1"] == "sometimes"


# --- Rows of medicines -------------------------------------------------------------------------

def acute_rows(count, start=0):
    data = {}
    for index in range(start, start + count):
        data.update({f"acute-{index}-name": f"Drug {index}", f"acute-{index}-class": "other",
                     f"acute-{index}-days_per_month": "1", f"acute-{index}-effect": "none"})
    return data


def preventive_rows(count):
    data = {}
    for index in range(count):
        data.update({f"preventives-{index}-drug": f"Drug {index}",
                     f"preventives-{index}-class": "other",
                     f"preventives-{index}-outcome": "partial"})
    return data


DAYS = {"any_acute_days": "1", "any_non_opioid_days": "0"}


def test_ten_acute_and_twelve_preventive_rows_are_allowed(request_context):
    form = posted(forms.MedicinesForm, {**acute_rows(10), **preventive_rows(12), **DAYS})

    assert form.validate(), form.errors
    assert len(form.to_answers()["acute"]) == 10
    assert len(form.to_answers()["preventives"]) == 12


@pytest.mark.parametrize("rows, name, message", [
    (acute_rows(11), "acute", "You can list up to 10 medicines here."),
    (acute_rows(40), "acute", "You can list up to 10 medicines here."),
    (preventive_rows(13), "preventives", "You can list up to 12 medicines here."),
])
def test_too_many_rows_are_refused_with_a_message(request_context, rows, name, message):
    form = posted(forms.MedicinesForm, {**rows, **DAYS})

    assert not form.validate()
    assert form.list_errors == {name: [message]}


def test_empty_rows_are_ignored_and_a_half_filled_row_is_checked(request_context):
    data = {**acute_rows(1), **DAYS, "acute-1-name": "", "acute-1-class": "",
            "acute-1-days_per_month": "", "acute-1-effect": "",
            "acute-2-name": "Half", "acute-2-days_per_month": "lots"}

    form = posted(forms.MedicinesForm, data)

    assert not form.validate()
    assert len(form.acute.entries) == 2
    assert form.acute.entries[1].form.errors == {
        "class": [REQUIRED], "days_per_month": [WHOLE_NUMBER], "effect": [REQUIRED]}
    assert form.to_answers()["acute"][1] == {"name": "Half", "class": None,
                                             "days_per_month": "lots", "effect": None}


def test_add_and_remove_buttons_change_rows_without_validating(request_context):
    data = MultiDict({**acute_rows(2), **DAYS, "add_acute": "1"})
    form = posted(forms.MedicinesForm, data)

    assert form.apply_row_buttons(data)
    assert len(form.acute.entries) == 3
    assert form.acute.entries[0].form.name.data == "Drug 0"
    assert form.errors == {}

    data = MultiDict({**acute_rows(3), **DAYS, "remove_acute": "1"})
    form = posted(forms.MedicinesForm, data)
    assert form.apply_row_buttons(data)
    assert [entry.form.name.data for entry in form.acute.entries] == ["Drug 0", "Drug 2"]

    plain = MultiDict({**acute_rows(1), **DAYS})
    assert not posted(forms.MedicinesForm, plain).apply_row_buttons(plain)


@pytest.mark.parametrize("value", ["99", "-1", "x", ""])
def test_removing_a_row_that_does_not_exist_changes_nothing(request_context, value):
    data = MultiDict({**acute_rows(2), "remove_acute": value})
    form = posted(forms.MedicinesForm, data)

    assert form.apply_row_buttons(data)
    assert len(form.acute.entries) == 2


def test_no_row_is_added_beyond_the_limit(request_context):
    data = MultiDict({**acute_rows(10), "add_acute": "1"})
    form = posted(forms.MedicinesForm, data)

    assert form.apply_row_buttons(data)
    assert len(form.acute.entries) == 10
    assert not form.can_add("acute")
    assert form.list_errors == {"acute": ["You can list up to 10 medicines here."]}


# --- The service's messages land next to their fields -----------------------------------------

def test_service_messages_go_next_to_fields_rows_and_lists(request_context):
    form = posted(forms.MedicinesForm, {**acute_rows(2), **DAYS})
    assert form.validate()

    form.add_errors({
        "any_acute_days": "Too few.",
        "acute-1-days_per_month": "From 0 to 31.",
        "preventives": "Please list at most 12.",
        "acute-7-name": "No such row.",
        "something_else": "Unexpected.",
    })

    assert form.any_acute_days.errors == ["Too few."]
    assert form.acute.entries[1].form.days_per_month.errors == ["From 0 to 31."]
    assert form.acute.entries[0].form.days_per_month.errors == []
    assert form.list_errors == {"preventives": ["Please list at most 12."]}
    assert form.general_errors == ["No such row.", "Unexpected."]


def test_row_messages_count_rows_as_sent_after_empty_ones_are_dropped(request_context):
    data = {**acute_rows(1), **acute_rows(1, start=2), **DAYS,
            "acute-1-name": "", "acute-1-class": "", "acute-1-days_per_month": "",
            "acute-1-effect": ""}
    form = posted(forms.MedicinesForm, data)
    assert form.validate()
    assert [row["name"] for row in form.to_answers()["acute"]] == ["Drug 0", "Drug 2"]

    form.add_errors({"acute-1-name": "Which one?"})

    assert form.acute.entries[1].form.name.data == "Drug 2"
    assert form.acute.entries[1].form.name.errors == ["Which one?"]


def test_summary_shows_labels_and_answer_texts(settings):
    lines = forms.summary_of("history", settings, ANSWERS["history"])
    by_key = {line.key: line.text for line in lines}

    assert by_key["location"] == "It varies"
    assert by_key["aura_types"] == ("Seeing things: flashing lights, zigzag lines or blind spots, "
                                    "Trouble speaking or finding words")
    assert by_key["getting_worse"] == "Yes"
    assert by_key["attack_hours"] == "Not answered"
    rows = forms.summary_of("medicines", settings, ANSWERS["medicines"])[0].rows
    assert [cell.text for cell in rows[0]] == ["Sumatriptan", "Triptan (e.g. sumatriptan, "
                                               "zolmitriptan)", "12", "It helps a little"]
