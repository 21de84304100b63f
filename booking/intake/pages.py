"""The pages of the intake: short enough to fill in with a migraine.

The answers are stored per step (services.STEP_ORDER, docs/intake-answers.md); a page asks a
step, or a part of one, and saves into the same answer keys:

    about | history (how it started, how often) | symptoms (what a headache is like, aura) |
    triggers (triggers, other questions, warning signs) | pain | medicines | midas | phq9 | gad7 | hit6 | ketamine (physical
    health) | ketamine-more (mental health, substances, medicines, weight) | review

Each questionnaire is a page of its own (only those the clinic has switched on; with none, one
"questionnaires" page says so), so "Step 3 of 9" counts pages. A page of a part saves its keys
at once: a red flag on "symptoms" or PHQ-9 item 9 on "phq9" marks the intake urgent the moment
the page is sent, as before. A question is never on two pages, and questions checked against
each other stay on one page (migraine days and headache days, aura and its kinds). The step is
complete when all its pages are; submission checks
every step whole, as it always did.
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from . import validation
from .forms import HistoryForm, KetamineForm

HISTORY_START = ("age_at_onset", "months_at_frequency", "getting_worse",
                 "onset_after_head_injury", "onset_after_infection", "onset_after_new_medicine",
                 "headache_days", "migraine_days", "moderate_severe_days", "debilitating_days",
                 "attack_hours", "continuous")
HISTORY_SYMPTOMS = ("location", "character", "worse_with_activity", "nausea", "vomiting",
                    "photophobia", "phonophobia", "aura", "aura_types", "aura_minutes")
# The ketamine pre-screen: physical health first; then mental health, substances, medicines,
# allergies, weight and height.
KETAMINE_HEALTH = validation.KETAMINE_ITEMS[:10]
QUESTIONNAIRE_PAGES = (("midas", "midas_"), ("phq9", "phq9_"), ("gad7", "gad7_"),
                       ("hit6", "hit6_"))

TITLES = {
    "about": _l("About you"),
    "history": _l("Headache history"),
    "symptoms": _l("What a headache is like"),
    "triggers": _l("Triggers and warning signs"),
    "pain": _l("Pain"),
    "medicines": _l("Medicines"),
    "questionnaires": _l("Questionnaires"),
    "midas": _l("Headaches and your daily life"),
    "phq9": _l("Your mood"),
    "gad7": _l("Worry and anxiety"),
    "hit6": _l("How headaches affect you"),
    "ketamine": _l("Before ketamine treatment"),
    "ketamine-more": _l("Before ketamine treatment: more about you"),
    "review": _l("Review and submit"),
}


@dataclass(frozen=True)
class Page:
    slug: str          # /manage/<token>/intake/<slug>
    step: str          # the answer key it saves into
    keys: tuple | None  # the keys it asks; None: the whole step

    @property
    def title(self):
        return TITLES[self.slug]

    def done(self, saved):
        """Has this page been sent? (`saved`: the step's saved answers, or None.)"""
        if saved is None:
            return False
        return self.keys is None or set(self.keys) <= set(saved)


def field_names(form_class):
    """The answer keys a step's form class asks, in order."""
    return [name for name, value in vars(form_class).items()
            if hasattr(value, "field_class")] if form_class else []


def pages_for(steps, questionnaire_form):
    """The pages of an intake whose steps are `steps` (services.steps_for), with the
    questionnaire step's form class of the instruments switched on. Review is last."""
    history_more = tuple(name for name in field_names(HistoryForm)
                         if name not in HISTORY_START + HISTORY_SYMPTOMS)
    ketamine_more = tuple(name for name in field_names(KetamineForm)
                          if name not in KETAMINE_HEALTH)
    questionnaire_keys = field_names(questionnaire_form)
    pages = []
    for step in steps:
        if step == "history":
            pages += [Page("history", step, HISTORY_START),
                      Page("symptoms", step, HISTORY_SYMPTOMS),
                      Page("triggers", step, history_more)]
        elif step == "questionnaires":
            parts = [Page(slug, step, tuple(k for k in questionnaire_keys if k.startswith(prefix)))
                     for slug, prefix in QUESTIONNAIRE_PAGES]
            parts = [page for page in parts if page.keys]
            pages += parts or [Page(step, step, None)]
        elif step == "ketamine":
            pages += [Page("ketamine", step, KETAMINE_HEALTH),
                      Page("ketamine-more", step, ketamine_more)]
        else:
            pages.append(Page(step, step, None))
    return pages


def first_open(pages, answers):
    """The first page not sent yet ("review" when all are)."""
    for page in pages:
        if page.step != "review" and not page.done((answers or {}).get(page.step)):
            return page
    return pages[-1]
