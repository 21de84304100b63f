"""What each intake step's answers must mean: ranges and cross-checks of the clinical reference.

The forms check shape (a number where a number belongs); this module checks meaning (a number in
its range, migraine days not above headache days, an adult's date of birth) and hands back the
cleaned answers, or raises InvalidAnswers naming every wrong key at once. The keys and rules are
those of docs/intake-answers.md. Anything not in the contract is dropped, so nothing unexpected is
ever stored.
"""
from datetime import date

from flask_babel import lazy_gettext as _l

from ..scheduler.contacts import InvalidDetails, clean_patient_details, normalise_phone
from . import scoring
from .errors import InvalidAnswers

SEX = ("female", "male", "other", "prefer_not_to_say")
LANGUAGES = ("uk", "en")
LOCATIONS = ("one_side", "both_sides", "varies")
CHARACTERS = ("pulsating", "pressing", "stabbing", "other")
AURA_TYPES = ("visual", "sensory", "speech", "motor")
TRIGGERS = ("stress", "sleep", "menstruation", "alcohol", "food", "weather", "screens",
            "skipped_meals")
MENSTRUAL = ("yes", "no", "not_applicable")
HISTORY_FLAGS = ("getting_worse", "onset_after_head_injury", "onset_after_infection",
                 "onset_after_new_medicine", "continuous", "worse_with_activity", "nausea",
                 "vomiting", "photophobia", "phonophobia", "aura", "several_headache_types",
                 "prior_attacks_at_least_5")
RED_FLAG_KEYS = ("red_thunderclap", "red_fever_stiff_neck", "red_neuro_deficit",
                 "red_after_head_injury")
PAIN_KEYS = ("pain_now", "pain_avg_7d", "pain_worst_month")
ACUTE_CLASSES = scoring.ACUTE_MEDICATION_CLASSES
EFFECTS = ("none", "partial", "good")
PREVENTIVE_CLASSES = ("beta_blocker", "anticonvulsant", "tricyclic", "snri",
                      "calcium_channel_blocker", "sartan_ace_inhibitor", "cgrp_antibody", "gepant",
                      "botulinum_toxin", "other")
OUTCOMES = ("ineffective", "not_tolerated", "partial", "effective", "ongoing")
FAILED_OUTCOMES = ("ineffective", "not_tolerated")
MAX_ACUTE_ROWS = 10
MAX_PREVENTIVE_ROWS = 12
HIT6_ANSWERS = tuple(scoring.HIT6_ANSWER_POINTS)
KETAMINE_ITEMS = (
    "uncontrolled_hypertension", "coronary_disease_or_recent_cardiac_event", "arrhythmia",
    "aneurysm", "stroke", "raised_intracranial_pressure", "glaucoma", "liver_disease",
    "hyperthyroidism", "bladder_problems", "psychotic_disorder", "mania",
    "family_history_psychosis", "substance_use_48h", "substance_use_disorder",
    "prior_ketamine_use", "pregnancy_or_breastfeeding",
)

REQUIRED = _l("Please answer this question.")


class _Reader:
    """Reads typed values out of a step's answers, collecting one message per wrong key."""

    def __init__(self, answers):
        self.answers = answers if isinstance(answers, dict) else {}
        self.errors = {}
        self.clean = {}

    def fail(self, key, message):
        self.errors.setdefault(key, message)

    def integer(self, key, low, high, required=True, source=None):
        value = (source if source is not None else self.answers).get(key)
        if value is None or value == "":
            if required:
                self.fail(key, REQUIRED)
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, _l("Please enter a whole number."))
            return None
        if not low <= value <= high:
            self.fail(key, _l("Please enter a number from %(low)d to %(high)d.", low=low, high=high))
            return None
        return value

    def boolean(self, key, source=None):
        return (source if source is not None else self.answers).get(key) is True

    def choice(self, key, choices, required=True, source=None):
        value = (source if source is not None else self.answers).get(key)
        if value in choices:
            return value
        if value in (None, "") and not required:
            return None
        self.fail(key, REQUIRED if value in (None, "") else _l("Please choose one of the options."))
        return None

    def choices(self, key, choices):
        value = self.answers.get(key) or []
        if not isinstance(value, list) or any(v not in choices for v in value):
            self.fail(key, _l("Please choose from the options."))
            return []
        return [c for c in choices if c in value]  # stable order, no repeats

    def text(self, key, longest, required=False, source=None):
        value = (source if source is not None else self.answers).get(key)
        value = " ".join(str(value).split()) if value is not None else ""
        if required and not value:
            self.fail(key, REQUIRED)
        elif len(value) > longest or "\x00" in value:
            self.fail(key, _l("Please keep this to %(n)d characters.", n=longest))
        return value

    def done(self):
        if self.errors:
            raise InvalidAnswers(self.errors, clean=self.clean)
        return self.clean


def validate_about(answers, *, today):
    read = _Reader(answers)
    try:
        details = clean_patient_details(
            answers.get("full_name"), answers.get("email"), answers.get("phone"),
            answers.get("date_of_birth"), today=today)
        read.clean.update(full_name=details.full_name, email=details.email, phone=details.phone,
                          date_of_birth=details.date_of_birth.isoformat())
    except InvalidDetails as invalid:
        read.errors.update(invalid.fields)
    read.clean["sex"] = read.choice("sex", SEX)
    read.clean["language"] = read.choice("language", LANGUAGES)
    read.clean["emergency_contact_name"] = read.text("emergency_contact_name", 120, required=True)
    try:
        read.clean["emergency_contact_phone"] = normalise_phone(
            str(answers.get("emergency_contact_phone") or ""))
    except ValueError:
        read.fail("emergency_contact_phone",
                  _l("Please enter a phone number in international format, e.g. +380 50 123 45 67."))
    if answers.get("consent_processing") is not True:
        read.fail("consent_processing",
                  _l("Please agree to the processing of your data so the clinic can prepare your visit."))
    read.clean["consent_processing"] = True
    read.clean["consent_contact"] = read.boolean("consent_contact")
    return read.done()


def validate_history(answers, *, age=None):
    read = _Reader(answers)
    clean = read.clean
    clean["age_at_onset"] = read.integer("age_at_onset", 0, 100)
    if clean["age_at_onset"] is not None and age is not None and clean["age_at_onset"] > age:
        read.fail("age_at_onset", _l("This cannot be more than your age."))
    clean["months_at_frequency"] = read.integer("months_at_frequency", 0, 600)
    for key in HISTORY_FLAGS + RED_FLAG_KEYS:
        clean[key] = read.boolean(key)
    headache_days = read.integer("headache_days", 0, 31)
    clean["headache_days"] = headache_days
    for key in ("migraine_days", "moderate_severe_days", "debilitating_days"):
        clean[key] = read.integer(key, 0, 31)
        if None not in (clean[key], headache_days) and clean[key] > headache_days:
            read.fail(key, _l("This cannot be more than your headache days (%(n)d).",
                              n=headache_days))
    clean["attack_hours"] = read.integer("attack_hours", 0, 72, required=not clean["continuous"])
    if clean["continuous"]:
        clean["attack_hours"] = None
    clean["location"] = read.choice("location", LOCATIONS)
    clean["character"] = read.choice("character", CHARACTERS)
    clean["aura_types"] = read.choices("aura_types", AURA_TYPES)
    clean["aura_minutes"] = read.integer("aura_minutes", 1, 1440, required=clean["aura"])
    if clean["aura"] and not clean["aura_types"]:
        read.fail("aura_types", _l("Please tick at least one kind of aura."))
    if not clean["aura"]:
        clean["aura_types"], clean["aura_minutes"] = [], None
    clean["triggers"] = read.choices("triggers", TRIGGERS)
    clean["triggers_other"] = read.text("triggers_other", 200)
    clean["menstrual_relation"] = read.choice("menstrual_relation", MENSTRUAL)
    return read.done()


def validate_pain(answers):
    read = _Reader(answers)
    for key in PAIN_KEYS:
        read.clean[key] = read.integer(key, 0, 10)
    return read.done()


def _rows(read, key, longest):
    rows = read.answers.get(key) or []
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        read.fail(key, _l("Please check these rows."))
        return []
    if len(rows) > longest:
        read.fail(key, _l("Please list at most %(n)d.", n=longest))
        return []
    return rows


def validate_medicines(answers):
    read = _Reader(answers)
    acute = []
    for index, row in enumerate(_rows(read, "acute", MAX_ACUTE_ROWS)):
        prefix = f"acute-{index}-"
        acute.append({
            "name": read.text("name", 80, required=True, source=row),
            "class": read.choice("class", ACUTE_CLASSES, source=row),
            "days_per_month": read.integer("days_per_month", 0, 31, source=row),
            "effect": read.choice("effect", EFFECTS, source=row),
        })
        # _Reader keys errors by the row's own key; move them under the row's field names.
        for key in ("name", "class", "days_per_month", "effect"):
            if key in read.errors:
                read.errors[prefix + key] = read.errors.pop(key)
    preventives = []
    for index, row in enumerate(_rows(read, "preventives", MAX_PREVENTIVE_ROWS)):
        prefix = f"preventives-{index}-"
        preventives.append({
            "drug": read.text("drug", 80, required=True, source=row),
            "class": read.choice("class", PREVENTIVE_CLASSES, source=row),
            "dose": read.text("dose", 40, source=row),
            "weeks": read.integer("weeks", 0, 520, required=False, source=row),
            "outcome": read.choice("outcome", OUTCOMES, source=row),
        })
        for key in ("drug", "class", "dose", "weeks", "outcome"):
            if key in read.errors:
                read.errors[prefix + key] = read.errors.pop(key)
    any_acute = read.integer("any_acute_days", 0, 31)
    any_non_opioid = read.integer("any_non_opioid_days", 0, 31)
    if any_acute is not None:
        most = max((r["days_per_month"] or 0 for r in acute), default=0)
        if any_acute < most:
            read.fail("any_acute_days", _l(
                "This cannot be fewer than the days of any one medicine (%(n)d).", n=most))
    if any_non_opioid is not None:
        if any_acute is not None and any_non_opioid > any_acute:
            read.fail("any_non_opioid_days", _l(
                "This cannot be more than the days with any acute medicine."))
        most = max((r["days_per_month"] or 0 for r in acute
                    if r["class"] in scoring.NON_OPIOID_ANALGESICS), default=0)
        if any_non_opioid < most:
            read.fail("any_non_opioid_days", _l(
                "This cannot be fewer than the days of any one painkiller (%(n)d).", n=most))
    read.clean.update(acute=acute, preventives=preventives, any_acute_days=any_acute,
                      any_non_opioid_days=any_non_opioid)
    return read.done()


def validate_questionnaires(answers, *, settings):
    read = _Reader(answers)
    if settings.midas:
        for number in range(1, 6):
            read.clean[f"midas_q{number}"] = read.integer(f"midas_q{number}", 0, 90)
        read.clean["midas_a"] = read.integer("midas_a", 0, 90)
        read.clean["midas_b"] = read.integer("midas_b", 0, 10)
    if settings.phq9:
        for number in range(1, 10):
            read.clean[f"phq9_{number}"] = read.integer(f"phq9_{number}", 0, 3)
        read.clean["phq9_difficulty"] = read.integer("phq9_difficulty", 0, 3)
    if settings.gad7:
        for number in range(1, 8):
            read.clean[f"gad7_{number}"] = read.integer(f"gad7_{number}", 0, 3)
    if settings.hit6_items:
        for number in range(1, 7):
            read.clean[f"hit6_{number}"] = read.choice(f"hit6_{number}", HIT6_ANSWERS)
    return read.done()


def validate_ketamine(answers):
    read = _Reader(answers)
    for key in KETAMINE_ITEMS:
        read.clean[key] = read.boolean(key)
    read.clean["current_medicines"] = read.text("current_medicines", 1000)
    read.clean["allergies"] = read.text("allergies", 1000)
    read.clean["weight_kg"] = read.integer("weight_kg", 30, 250)
    read.clean["height_cm"] = read.integer("height_cm", 100, 230)
    return read.done()


def age_from(answers_about, today):
    """The patient's age from the saved 'about' step, or None before it is saved."""
    born = (answers_about or {}).get("date_of_birth")
    if not born:
        return None
    born = date.fromisoformat(born)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def urgent_codes(answers):
    """The urgent answers among the answers saved so far, as flag codes (phq9_item9,
    headache_thunderclap, ...): what marks an intake urgent the moment it is saved, before any
    score exists. The same codes as scoring.red_flags gives on submission."""
    codes = []
    phq9_9 = (answers.get("questionnaires") or {}).get("phq9_9")
    if isinstance(phq9_9, int) and phq9_9 > 0:
        codes.append("phq9_item9")
    history = answers.get("history") or {}
    for key in RED_FLAG_KEYS:
        if history.get(key):
            codes.append("headache_" + key.removeprefix("red_"))
    return codes
