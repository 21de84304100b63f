"""The intake's pages (booking/intake/pages.py): every question of a step on exactly one page,
questions checked against each other on the same page, one page per questionnaire."""
import pytest

from booking.intake.forms import HistoryForm, KetamineForm, questionnaire_form_class
from booking.intake.pages import field_names, first_open, pages_for

STEPS = ["about", "history", "pain", "medicines", "questionnaires", "ketamine", "review"]


@pytest.fixture
def pages(app):
    return pages_for(STEPS, questionnaire_form_class())


def test_a_migraine_patient_sees_ten_pages_with_each_questionnaire_on_its_own(app):
    pages = pages_for([step for step in STEPS if step != "ketamine"],
                      questionnaire_form_class())
    assert [page.slug for page in pages] == [
        "about", "history", "symptoms", "triggers", "pain", "medicines", "midas", "phq9",
        "gad7", "review"]


@pytest.mark.parametrize("step, form", [
    ("history", HistoryForm), ("ketamine", KetamineForm),
    ("questionnaires", questionnaire_form_class()),
])
def test_every_question_of_a_step_is_on_exactly_one_page(pages, step, form):
    asked = [key for page in pages if page.step == step for key in page.keys]
    assert sorted(asked) == sorted(field_names(form))


@pytest.mark.parametrize("together", [
    ("headache_days", "migraine_days", "moderate_severe_days", "debilitating_days"),
    ("attack_hours", "continuous"), ("aura", "aura_types", "aura_minutes"),
])
def test_questions_checked_against_each_other_share_a_page(pages, together):
    assert len({page.slug for page in pages for key in together
                if page.keys and key in page.keys}) == 1


def test_only_the_questionnaires_switched_on_get_a_page(app):
    pages = pages_for(["questionnaires", "review"], questionnaire_form_class(midas=False))
    assert [page.slug for page in pages] == ["phq9", "gad7", "review"]
    none = pages_for(["questionnaires", "review"],
                     questionnaire_form_class(midas=False, phq9=False, gad7=False))
    assert [(page.slug, page.keys) for page in none] == [("questionnaires", None),
                                                         ("review", None)]


def test_the_first_open_page_is_the_first_whose_questions_are_not_all_saved(pages):
    history = {key: 1 for key in pages[1].keys}  # the first history page only
    assert first_open(pages, {"about": {"sex": "female"}, "history": history}).slug == "symptoms"
    assert first_open(pages, {}).slug == "about"
