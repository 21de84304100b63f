"""The clinician's intake review page: everything it shows of one appointment's intake, as plain
data for the template (the patient, the headache history, pain, medicines, scores, the criteria
met by history, the ketamine pre-screen, the flags and the course), and the audit of every view.

Only clinicians reach it (booking/dashboard/clinician.py checks the role). Scores, bands and
flags are the ones stored on submission by services.py, as scoring.py computes them; this
module (with review_words.py) only words them. They are information for the clinician, not a
diagnosis, and the page says so. Reads are bounded to one appointment; the view's audit event
carries ids only. The changes the page offers are in review_changes.py, the clinician's list in
review_list.py.
"""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import audit
from ..courses.session_words import APPOINTMENT_STATUS_LABELS
from ..extensions import db
from ..localized import localized
from ..models import Appointment, Course, Intake
from ..scheduler.contacts import international_phone
from . import services as intake_services
from . import validation
from .review_courses import CourseSection, course_section
from .review_lookups import changed_since_review, local_today, staff_names
from .review_words import (
    ACUTE_CLASS_LABELS,
    AURA_LABELS,
    BAND_LABELS,
    BAND_MEANINGS,
    CHARACTER_LABELS,
    EFFECT_LABELS,
    FEATURE_LABELS,
    FLAG_TITLES,
    HIT6_ANSWER_LABELS,
    INSTRUMENT_NAMES,
    INSTRUMENT_ORDER,
    KETAMINE_LABELS,
    LANGUAGE_LABELS,
    LOCATION_LABELS,
    MENSTRUAL_LABELS,
    MIDAS_WARNINGS,
    NO,
    NONE,
    ONSET_LABELS,
    OUTCOME_LABELS,
    PAIN_LABELS,
    PREVENTIVE_CLASS_LABELS,
    SEX_LABELS,
    TRIGGER_LABELS,
    YES,
    flag_lines,
    join,
)


@dataclass(frozen=True)
class Line:
    label: str
    text: str


def _line(label, text):
    # Plain str, never a lazy string: Jinja trusts a LazyString's __html__ and would not escape
    # what the patient typed if it were ever formatted into one.
    return Line(str(label), str(text))


@dataclass(frozen=True)
class ScoreRow:
    instrument: str
    name: str
    version: str
    total: int | None
    band: str | None
    band_label: str
    meaning: str
    notes: tuple = ()     # not-scored items, the item answers
    warnings: tuple = ()  # MIDAS soft warnings
    typed: bool = False   # a HIT-6 total typed from a paper form


@dataclass(frozen=True)
class Table:
    headers: tuple
    rows: tuple  # tuples of cells (strings)


@dataclass(frozen=True)
class Review:
    appointment_id: int
    reference: str
    starts_at: datetime
    ends_at: datetime
    status_label: str
    service_name: str
    practitioner_name: str
    patient_name: str
    state: str  # "none", "in_progress", "submitted"
    urgent: bool = False
    started_at: datetime | None = None
    updated_at: datetime | None = None
    submitted_at: datetime | None = None
    reviewed_at: datetime | None = None
    reviewed_by: str = ""
    review_note: str = ""
    changed_since_review: bool = False
    red_flags: tuple = ()
    patient: tuple = ()          # Lines
    history: tuple = ()          # Lines
    pain: tuple = ()             # Lines
    scores: tuple = ()           # ScoreRows (submitted only)
    saved_questionnaires: tuple = ()  # Lines of item answers (in progress only: not scored)
    history_criteria: tuple = ()  # Lines (submitted only)
    acute: Table | None = None
    acute_totals: tuple = ()     # Lines
    preventives: Table | None = None
    ketamine_asked: bool = False
    ketamine_positive: tuple = ()  # labels of the items answered yes
    ketamine: tuple = ()         # Lines: every item
    ketamine_other: tuple = ()   # Lines: medicines, allergies, weight, height
    hit6_total: int | None = None
    course: "CourseSection | None" = None  # the appointment is a session of a course


def _texts(*values):
    return tuple(str(value) for value in values)


def _yes_no(value):
    return YES if value else NO


def _thresholds():
    return intake_services.settings().thresholds


def appointment_patient(appointment_id):
    """The patient id of an appointment. LookupError for an unknown id."""
    patient_id = db.session.execute(
        select(Appointment.patient_id).where(Appointment.id == appointment_id)
    ).scalar_one_or_none()
    if patient_id is None:
        raise LookupError("appointment")
    return patient_id


def _load(appointment_id):
    appointment = db.session.execute(
        select(Appointment).where(Appointment.id == appointment_id).options(
            joinedload(Appointment.patient), joinedload(Appointment.service),
            joinedload(Appointment.practitioner),
            selectinload(Appointment.intake).selectinload(Intake.flags),
            selectinload(Appointment.intake).selectinload(Intake.responses),
            # The course (at most 7 sessions) and day 1's intake: why the course waits.
            selectinload(Appointment.course).selectinload(Course.appointments)
            .selectinload(Appointment.intake).selectinload(Intake.flags))
    ).scalar_one_or_none()
    if appointment is None:
        raise LookupError("appointment")
    return appointment


def record_view(appointment_id):
    """Audit one view of an intake review page, in its own transaction (no clinical values)."""
    intake_id = db.session.execute(
        select(Intake.id).where(Intake.appointment_id == appointment_id)).scalar_one_or_none()
    if intake_id is None and db.session.get(Appointment, appointment_id) is None:
        raise LookupError("appointment")
    audit.record_now("intake.view", object_type="appointment", object_id=appointment_id,
                     details={"intake_id": intake_id})


def open_review(appointment_id):
    """What a clinician opening the review page gets: the view is audited, then the data."""
    record_view(appointment_id)
    return review_data(appointment_id)


def _patient_lines(appointment, answers):
    about = answers.get("about") or {}
    patient = appointment.patient
    today = local_today()
    born = about.get("date_of_birth") or patient.date_of_birth.isoformat()
    age = validation.age_from({"date_of_birth": born}, today)
    lines = [
        _line(lazy_pgettext("person", "Name"), about.get("full_name") or patient.full_name),
        _line(_l("Date of birth"), str(_l("%(born)s (age %(age)d)", born=born, age=age))),
    ]
    if about.get("sex"):
        lines.append(_line(_l("Sex"), SEX_LABELS.get(about["sex"], about["sex"])))
    lines.append(_line(_l("Phone"), international_phone(about.get("phone") or patient.phone)))
    lines.append(_line(_l("Email"), about.get("email") or patient.email))
    if about.get("emergency_contact_name"):
        lines.append(_line(_l("Emergency contact"), "{} ({})".format(
            about["emergency_contact_name"],
            international_phone(about.get("emergency_contact_phone", "")))))
    language = about.get("language") or patient.language
    lines.append(_line(_l("Preferred language"), LANGUAGE_LABELS.get(language, language)))
    return tuple(lines)


def _history_lines(history):
    if not history:
        return ()
    h = history
    onset = [ONSET_LABELS[key] for key in ONSET_LABELS if h.get(key)]
    features = [FEATURE_LABELS[key] for key in FEATURE_LABELS if h.get(key)]
    if h.get("continuous"):
        duration = _l("Continuous (never fully goes away)")
    elif h.get("attack_hours") is not None:
        duration = _l("%(n)d hours without treatment", n=h["attack_hours"])
    else:
        duration = _l("Not answered")
    if h.get("aura"):
        aura = _l("Yes: %(types)s; about %(n)d minutes",
                  types=join(h.get("aura_types") or [], AURA_LABELS), n=h.get("aura_minutes") or 0)
    else:
        aura = NO
    triggers = join(h.get("triggers") or [], TRIGGER_LABELS)
    if h.get("triggers_other"):
        triggers = f"{triggers}; {h['triggers_other']}" if triggers else h["triggers_other"]
    warning_signs = [FLAG_TITLES["headache_" + key.removeprefix("red_")]
                     for key in validation.RED_FLAG_KEYS if h.get(key)]

    def days(key):
        return _l("%(n)s days a month", n=h.get(key, "?"))

    return (
        _line(_l("Age at onset"), _l("%(n)s years", n=h.get("age_at_onset", "?"))),
        _line(_l("At the current frequency for"), _l("%(n)s months", n=h.get("months_at_frequency",
                                                                           "?"))),
        _line(_l("Getting worse"), _yes_no(h.get("getting_worse"))),
        _line(_l("Began after"), ", ".join(str(x) for x in onset) if onset else NONE),
        _line(_l("Headache days"), days("headache_days")),
        _line(_l("Days with migraine features"), days("migraine_days")),
        _line(_l("Moderate or severe days"), days("moderate_severe_days")),
        _line(_l("Debilitating days"), days("debilitating_days")),
        _line(_l("Attack duration"), duration),
        _line(_l("Location"), LOCATION_LABELS.get(h.get("location"), h.get("location") or "")),
        _line(_l("Character"), CHARACTER_LABELS.get(h.get("character"), h.get("character") or "")),
        _line(_l("Worse with routine activity"), _yes_no(h.get("worse_with_activity"))),
        _line(_l("Associated features"), ", ".join(str(x) for x in features) if features
             else NONE),
        _line(_l("Aura"), aura),
        _line(_l("Triggers"), triggers or NONE),
        _line(_l("Related to menstruation"), MENSTRUAL_LABELS.get(h.get("menstrual_relation"),
                                                                h.get("menstrual_relation") or "")),
        _line(_l("More than one headache type"), _yes_no(h.get("several_headache_types"))),
        _line(_l("At least 5 earlier attacks"), _yes_no(h.get("prior_attacks_at_least_5"))),
        _line(_l("Warning signs reported"), ", ".join(str(x) for x in warning_signs)
             if warning_signs else NONE),
    )


def _pain_lines(pain):
    return tuple(_line(PAIN_LABELS[key], _l("%(n)d / 10", n=pain[key]))
                 for key in validation.PAIN_KEYS if pain.get(key) is not None)


def _medicine_tables(medicines):
    if not medicines:
        return None, (), None
    acute = Table(
        headers=_texts(_l("Medicine"), _l("Class"), _l("Days a month"), _l("Effect")),
        rows=tuple((row.get("name", ""), str(ACUTE_CLASS_LABELS.get(row.get("class"), "")),
                    str(row.get("days_per_month", "")),
                    str(EFFECT_LABELS.get(row.get("effect"), "")))
                   for row in medicines.get("acute") or []))
    totals = (
        _line(_l("Days a month with any acute medicine"),
             str(medicines.get("any_acute_days", ""))),
        _line(_l("Days a month with any non-opioid analgesic"),
             str(medicines.get("any_non_opioid_days", ""))),
    )
    preventives = Table(
        headers=_texts(_l("Medicine"), _l("Class"), _l("Dose"), _l("Weeks"), _l("Outcome")),
        rows=tuple((row.get("drug", ""), str(PREVENTIVE_CLASS_LABELS.get(row.get("class"), "")),
                    row.get("dose") or "", "" if row.get("weeks") is None else str(row["weeks"]),
                    str(OUTCOME_LABELS.get(row.get("outcome"), "")))
                   for row in medicines.get("preventives") or []))
    return acute, totals, preventives


def _items_text(items):
    return ", ".join("–" if item is None else str(HIT6_ANSWER_LABELS.get(item, item))
                     for item in items)


def _score_row(response, thresholds):
    instrument = response.instrument
    items = list(response.items or [])
    notes, warnings = [], []
    meaning = str(BAND_MEANINGS.get(instrument, {}).get(response.band, "")) if response.band \
        else str(_l("Not scored: an item is missing."))
    if instrument == "midas" and len(items) == 7:
        notes.append(str(_l("Q1-Q5: %(items)s. A (headache days, last 3 months): %(a)s. "
                            "B (average pain 0-10): %(b)s. A and B are not scored.",
                            items=_items_text(items[:5]), a=items[5], b=items[6])))
        warnings = [str(MIDAS_WARNINGS.get(code, code)) for code in response.warnings or ()]
    elif instrument == "phq9" and len(items) == 10:
        notes.append(str(_l("Items 1-9: %(items)s. Difficulty (not scored): %(d)s of 3.",
                            items=_items_text(items[:9]), d=items[9])))
    elif instrument == "gad7":
        if response.total is not None and response.total >= thresholds.gad7_further_evaluation:
            meaning = f"{meaning} " + str(_l("%(n)d or more: further evaluation recommended.",
                                              n=thresholds.gad7_further_evaluation))
        notes.append(str(_l("Items 1-7: %(items)s.", items=_items_text(items))))
    elif instrument == "hit6" and items:
        notes.append(str(_l("Answers: %(items)s.", items=_items_text(items))))
    typed = instrument == "hit6" and not items
    if typed:
        notes.append(str(_l("Total typed by a clinician from a licensed paper form.")))
    return ScoreRow(
        instrument=instrument, name=INSTRUMENT_NAMES.get(instrument, instrument),
        version=response.version, total=response.total, band=response.band,
        band_label=str(BAND_LABELS.get(instrument, {}).get(response.band, "")) or "–",
        meaning=meaning, notes=tuple(notes), warnings=tuple(warnings), typed=typed)


def _saved_questionnaire_lines(questionnaires):
    """In progress: the item answers saved so far, not scored."""
    q = questionnaires or {}
    lines = []
    if "midas_q1" in q:
        lines.append(_line("MIDAS", _l("Q1-Q5: %(items)s; A: %(a)s; B: %(b)s", items=_items_text(
            [q.get(f"midas_q{n}") for n in range(1, 6)]), a=q.get("midas_a"), b=q.get("midas_b"))))
    if "phq9_1" in q:
        lines.append(_line("PHQ-9", _l("Items 1-9: %(items)s; difficulty: %(d)s", items=_items_text(
            [q.get(f"phq9_{n}") for n in range(1, 10)]), d=q.get("phq9_difficulty"))))
    if "gad7_1" in q:
        lines.append(_line("GAD-7", _l("Items 1-7: %(items)s", items=_items_text(
            [q.get(f"gad7_{n}") for n in range(1, 8)]))))
    if "hit6_1" in q:
        lines.append(_line("HIT-6", _l("Answers: %(items)s", items=_items_text(
            [q.get(f"hit6_{n}") for n in range(1, 7)]))))
    return tuple(lines)


def _criteria_lines(intake, thresholds):
    """Derived history flags of a submitted intake: criteria met by history, not diagnoses."""
    t = thresholds
    met, not_met = _l("Criteria met by history"), _l("Not met")
    overuse = intake.medication_overuse_classes or []
    return (
        _line(_l("Chronic migraine (ICHD-3 1.3: %(days)d+ headache days a month, %(migraine)d+ "
                "with migraine features, for more than %(months)d months, 5+ attacks)",
                days=t.chronic_min_headache_days, migraine=t.chronic_min_migraine_days,
                months=t.chronic_more_than_months),
             met if intake.chronic_migraine_criteria else not_met),
        _line(_l("Medication overuse (ICHD-3 8.2), by class"),
             f"{met}: {join(overuse, ACUTE_CLASS_LABELS)}" if overuse else not_met),
        _line(_l("High acute-medication use (a note: the overuse thresholds are reached with "
                "fewer than %(days)d headache days a month, or for %(months)d months or less)",
                days=t.overuse_min_headache_days, months=t.overuse_more_than_months),
             _l("Yes") if intake.high_acute_medication_use else _l("No")),
        _line(_l("Resistant migraine (EHF 2020: %(classes)d+ preventive classes failed, "
                "%(days)d+ debilitating days a month for %(months)d+ months)",
                classes=t.resistant_min_failed_classes, days=t.resistant_min_debilitating_days,
                months=t.resistant_min_months),
             met if intake.resistant_migraine_criteria else not_met),
    )


def _ketamine(ketamine):
    if not ketamine:
        return (), (), ()
    positive = tuple(str(KETAMINE_LABELS[key]) for key in validation.KETAMINE_ITEMS
                     if ketamine.get(key))
    items = tuple(_line(KETAMINE_LABELS[key], _yes_no(ketamine.get(key)))
                  for key in validation.KETAMINE_ITEMS)
    other = (
        _line(_l("Current medicines"), ketamine.get("current_medicines") or NONE),
        _line(_l("Allergies"), ketamine.get("allergies") or NONE),
        _line(_l("Weight"), _l("%(n)s kg", n=ketamine.get("weight_kg", "?"))),
        _line(_l("Height"), _l("%(n)s cm", n=ketamine.get("height_cm", "?"))),
    )
    return positive, items, other


def review_data(appointment_id):
    """Everything the review page shows, as plain data. LookupError for an unknown id."""
    appointment = _load(appointment_id)
    intake = appointment.intake
    base = dict(
        appointment_id=appointment.id, reference=appointment.reference,
        starts_at=appointment.starts_at, ends_at=appointment.ends_at,
        status_label=str(APPOINTMENT_STATUS_LABELS.get(appointment.status, appointment.status)),
        service_name=localized(appointment.service, "name"),
        practitioner_name=localized(appointment.practitioner, "full_name"),
        patient_name=appointment.patient.full_name,
        ketamine_asked=appointment.service.needs_ketamine_prescreen,
        course=course_section(appointment),
    )
    if intake is None:
        return Review(state="none", patient=_patient_lines(appointment, {}), **base)

    thresholds = _thresholds()
    answers = intake.answers or {}
    submitted = intake.status == "submitted"
    acute, acute_totals, preventives = _medicine_tables(answers.get("medicines"))
    positive, ketamine_items, ketamine_other = _ketamine(answers.get("ketamine"))
    responses = sorted(intake.responses, key=lambda r: (
        INSTRUMENT_ORDER.index(r.instrument) if r.instrument in INSTRUMENT_ORDER else 99, r.id))
    hit6 = next((r for r in responses if r.instrument == "hit6"), None)
    data = Review(
        state="submitted" if submitted else "in_progress",
        urgent=bool(intake.urgent),
        started_at=intake.started_at, updated_at=intake.updated_at,
        submitted_at=intake.submitted_at,
        reviewed_at=intake.reviewed_at,
        reviewed_by=staff_names([intake.reviewed_by_id]).get(intake.reviewed_by_id, ""),
        review_note=intake.review_note or "",
        changed_since_review=changed_since_review(intake),
        red_flags=flag_lines(intake, thresholds),
        patient=_patient_lines(appointment, answers),
        history=_history_lines(answers.get("history")),
        pain=_pain_lines(answers.get("pain") or {}),
        scores=tuple(_score_row(r, thresholds) for r in responses) if submitted else (),
        saved_questionnaires=() if submitted else _saved_questionnaire_lines(
            answers.get("questionnaires")),
        history_criteria=_criteria_lines(intake, thresholds) if submitted else (),
        acute=acute, acute_totals=acute_totals, preventives=preventives,
        ketamine_positive=positive, ketamine=ketamine_items, ketamine_other=ketamine_other,
        hit6_total=hit6.total if hit6 else None,
        **base,
    )
    return data
