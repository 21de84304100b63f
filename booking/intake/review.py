"""Clinician services: the list of appointments with intake status and flags, the intake review
page's data, the audit of every view, marking an intake reviewed, and a typed HIT-6 total.

Only clinicians reach these (booking/dashboard/clinician.py checks the role). Everything handed
back is plain data (dataclasses, strings, numbers), ready for a template: the views never touch
the models. Scores, bands and flags are the ones stored on submission by services.py, as
scoring.py computes them; this module only words them. They are information for the clinician,
not a diagnosis, and the pages say so.

Each public function is one transaction. Reads are bounded (the list: the days shown; the review:
one appointment). Audit events carry ids and non-clinical facts only: never a score, a band, a
flag, an answer or the review note.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from .. import audit
from ..database import begin_write
from ..localized import localized
from ..extensions import db
from ..courses import services as courses
from ..courses.session_records import (APPOINTMENT_STATUS_LABELS, COURSE_STATUS_LABELS,
                                      record_refusal)
from ..models import Appointment, AppointmentStatus, Intake, IntakeFlag, QuestionnaireResponse
from ..models import Course, CourseStatus, StaffUser
from ..rule_error import RuleError
from ..scheduler.contacts import international_phone
from ..timeutil import clinic_tz, utcnow
from . import scoring, validation
from . import services as intake_services

DEFAULT_DAYS = 7
# The list shows this many appointments a page (with the urgent and awaiting ones on top of
# every page): a big clinic's "everyone" stays quick and small (bench/bench_pages.py).
LIST_PAGE_SIZE = 150
MAX_DAYS = 31
NOTE_MAX = 2000


# --- Domain errors: the views turn them into a message next to the field (422). -----------------

class ReviewError(RuleError):
    """A rule broken; `fields` maps field keys to messages (422)."""


class NoIntake(ReviewError):
    """There is no intake (yet) for this appointment."""


class IntakeNotSubmitted(ReviewError):
    """The action needs a submitted intake."""


class InvalidInput(ReviewError):
    """A typed value breaks a rule (a note too long, an impossible HIT-6 total)."""


# --- Words -----------------------------------------------------------------------------------------

INTAKE_STATUS_LABELS = {
    "not_started": _l("Intake not started"), "in_progress": _l("Intake in progress"),
    "submitted": _l("Intake submitted"),
}
INSTRUMENT_NAMES = {"midas": "MIDAS", "phq9": "PHQ-9", "gad7": "GAD-7", "hit6": "HIT-6"}
INSTRUMENT_ORDER = ("midas", "hit6", "phq9", "gad7")

BAND_LABELS = {
    "midas": {"I": _l("Grade I"), "II": _l("Grade II"), "III": _l("Grade III"),
              "IV": _l("Grade IV")},
    "phq9": {"minimal": _l("Minimal"), "mild": _l("Mild"), "moderate": _l("Moderate"),
             "moderately_severe": _l("Moderately severe"), "severe": _l("Severe")},
    "gad7": {"minimal": _l("Minimal"), "mild": _l("Mild"), "moderate": _l("Moderate"),
             "severe": _l("Severe")},
    "hit6": {"little_or_none": _l("Little or no impact"), "some": _l("Some impact"),
             "substantial": _l("Substantial impact"), "severe": _l("Severe impact")},
}
BAND_MEANINGS = {
    "midas": {
        "I": _l("Little or no disability from headache over the last 3 months."),
        "II": _l("Mild disability from headache over the last 3 months."),
        "III": _l("Moderate disability from headache over the last 3 months."),
        "IV": _l("Severe disability from headache over the last 3 months."),
    },
    "phq9": {
        "minimal": _l("Minimal depressive symptoms over the last 2 weeks."),
        "mild": _l("Mild depressive symptoms over the last 2 weeks."),
        "moderate": _l("Moderate depressive symptoms over the last 2 weeks."),
        "moderately_severe": _l("Moderately severe depressive symptoms over the last 2 weeks."),
        "severe": _l("Severe depressive symptoms over the last 2 weeks."),
    },
    "gad7": {
        "minimal": _l("Minimal anxiety symptoms over the last 2 weeks."),
        "mild": _l("Mild anxiety symptoms over the last 2 weeks."),
        "moderate": _l("Moderate anxiety symptoms over the last 2 weeks."),
        "severe": _l("Severe anxiety symptoms over the last 2 weeks."),
    },
    "hit6": {
        "little_or_none": _l("Little or no impact of headaches on daily life (last 4 weeks)."),
        "some": _l("Some impact of headaches on daily life (last 4 weeks)."),
        "substantial": _l("Substantial impact of headaches on daily life (last 4 weeks)."),
        "severe": _l("Severe impact of headaches on daily life (last 4 weeks)."),
    },
}
MIDAS_WARNINGS = {
    "midas_q1_q2_over_90": _l("Q1 + Q2 add up to more than 90 days (they should be different "
                              "days of the same 3 months)."),
    "midas_q3_q4_over_90": _l("Q3 + Q4 add up to more than 90 days (they should be different "
                              "days of the same 3 months)."),
    "midas_item_over_a": _l("A question (Q1-Q5) counts more days than the headache days (A)."),
}

# Flags as stored in IntakeFlag.code (scoring.red_flags), in words.
FLAG_TITLES = {
    "phq9_item9": _l("PHQ-9 item 9 answered above 0"),
    "headache_thunderclap": _l("Sudden, \"worst ever\" (thunderclap) headache"),
    "headache_fever_stiff_neck": _l("Fever with a stiff neck"),
    "headache_neuro_deficit": _l("New neurological deficit"),
    "headache_after_head_injury": _l("Headache after a head injury"),
    "ketamine_prescreen_positive": _l("Ketamine pre-screen positive"),
    "gad7_high": _l("GAD-7 at or above the further-evaluation cut-off"),
    "midas_grade_iv": _l("MIDAS grade IV"),
    "hit6_severe": _l("HIT-6 severe impact"),
    "medication_overuse": _l("Medication-overuse criteria met by history"),
    "possible_medication_overuse": _l("Possible medication overuse (a note)"),
    "chronic_migraine": _l("Chronic migraine criteria met by history"),
    "resistant_migraine": _l("Resistant migraine criteria met by history"),
    # Not a stored flag: the intake was marked urgent by an answer the patient later changed.
    "urgent_answer_changed": _l("An urgent answer was saved, then changed"),
}
FLAG_ACTIONS = {
    "phq9_item9": "crisis_contacts",
    "headache_thunderclap": "emergency_care",
    "headache_fever_stiff_neck": "emergency_care",
    "headache_neuro_deficit": "emergency_care",
    "headache_after_head_injury": "emergency_care",
    "urgent_answer_changed": "contact_patient",
}
URGENT = _l("Urgent")
CRISIS_LABELS = {"emergency": _l("emergency"), "ambulance": _l("ambulance"),
                 "lifeline_ukraine": _l("Lifeline Ukraine")}

ACUTE_CLASS_LABELS = {
    "triptan": _l("Triptan"), "ergotamine": _l("Ergotamine"), "opioid": _l("Opioid"),
    "combination_analgesic": _l("Combination analgesic"), "paracetamol": _l("Paracetamol"),
    "aspirin": _l("Aspirin"), "nsaid": _l("Other NSAID"), "other": _l("Other / not sure"),
    "non_opioid_analgesics": _l("Non-opioid analgesics (paracetamol, aspirin, NSAIDs together)"),
    "multiple_classes": _l("Multiple classes"),
}
EFFECT_LABELS = {"none": _l("No help"), "partial": _l("Helps a little"), "good": _l("Helps well")}
PREVENTIVE_CLASS_LABELS = {
    "beta_blocker": _l("Beta blocker"), "anticonvulsant": _l("Anticonvulsant"),
    "tricyclic": _l("Tricyclic antidepressant"), "snri": _l("SNRI"),
    "calcium_channel_blocker": _l("Calcium channel blocker"),
    "sartan_ace_inhibitor": _l("Sartan / ACE inhibitor"), "cgrp_antibody": _l("CGRP antibody"),
    "gepant": _l("Gepant"), "botulinum_toxin": _l("Botulinum toxin"),
    "other": _l("Other / not sure"),
}
OUTCOME_LABELS = {
    "ineffective": _l("Ineffective"), "not_tolerated": _l("Not tolerated"),
    "partial": _l("Partial effect"), "effective": _l("Effective"), "ongoing": _l("Ongoing"),
}
KETAMINE_LABELS = {
    "uncontrolled_hypertension": _l("Uncontrolled hypertension"),
    "coronary_disease_or_recent_cardiac_event": _l("Coronary disease or recent cardiac event"),
    "arrhythmia": _l("Arrhythmia"),
    "aneurysm": _l("Aneurysm"),
    "stroke": _l("Stroke"),
    "raised_intracranial_pressure": _l("Raised intracranial pressure"),
    "glaucoma": _l("Glaucoma or raised eye pressure"),
    "liver_disease": _l("Cirrhosis or severe liver disease"),
    "hyperthyroidism": _l("Uncontrolled hyperthyroidism"),
    "bladder_problems": _l("Bladder problems"),
    "psychotic_disorder": _l("Psychotic disorder"),
    "mania": _l("Mania or hypomania (bipolar disorder)"),
    "family_history_psychosis": _l("First-degree family history of psychosis"),
    "substance_use_48h": _l("Alcohol or drugs in the last 48 hours"),
    "substance_use_disorder": _l("Substance use disorder"),
    "prior_ketamine_use": _l("Earlier ketamine use"),
    "pregnancy_or_breastfeeding": _l("Pregnancy (possible) or breastfeeding"),
}
SEX_LABELS = {"female": _l("Female"), "male": _l("Male"), "other": lazy_pgettext("sex", "Other"),
              "prefer_not_to_say": _l("Prefers not to say")}
LANGUAGE_LABELS = {"uk": _l("Ukrainian"), "en": _l("English")}
LOCATION_LABELS = {"one_side": _l("One side"), "both_sides": _l("Both sides"),
                   "varies": _l("Varies")}
CHARACTER_LABELS = {"pulsating": _l("Pulsating"), "pressing": _l("Pressing / tightening"),
                    "stabbing": _l("Stabbing"),
                    "other": lazy_pgettext("headache character", "Other")}
AURA_LABELS = {"visual": _l("visual"), "sensory": _l("sensory"), "speech": _l("speech"),
               "motor": _l("motor")}
TRIGGER_LABELS = {"stress": _l("stress"), "sleep": _l("too much or too little sleep"),
                  "menstruation": _l("menstruation"), "alcohol": _l("alcohol"),
                  "food": _l("foods or drinks"), "weather": _l("weather changes"),
                  "screens": _l("screens or bright light"), "skipped_meals": _l("skipped meals")}
MENSTRUAL_LABELS = {"yes": _l("Yes"), "no": _l("No"), "not_applicable": _l("Not applicable")}
FEATURE_LABELS = {"nausea": _l("nausea"), "vomiting": _l("vomiting"),
                  "photophobia": _l("photophobia"), "phonophobia": _l("phonophobia")}
ONSET_LABELS = {"onset_after_head_injury": _l("a head or neck injury"),
                "onset_after_infection": _l("an infection"),
                "onset_after_new_medicine": _l("a new medicine")}
PAIN_LABELS = {"pain_now": _l("Now"), "pain_avg_7d": _l("Average over the last 7 days"),
               "pain_worst_month": _l("Worst in the last month")}
HIT6_ANSWER_LABELS = {"never": _l("Never"), "rarely": _l("Rarely"), "sometimes": _l("Sometimes"),
                      "very_often": _l("Very often"), "always": _l("Always")}
YES, NO, NONE = _l("Yes"), _l("No"), _l("None")


def _join(codes, labels):
    return ", ".join(str(labels.get(code, code)) for code in codes)


def _texts(*values):
    return tuple(str(value) for value in values)


def _yes_no(value):
    return YES if value else NO


# --- Plain data for the templates ------------------------------------------------------------------

@dataclass(frozen=True)
class FlagLine:
    code: str
    urgent: bool
    text: str          # "PHQ-9 item 9 answered above 0", with the named items or classes
    meaning: str = ""  # what it means
    action: str = ""   # what was done for the patient, what to do now


@dataclass(frozen=True)
class ListRow:
    appointment_id: int
    starts_at: datetime
    ends_at: datetime
    patient_name: str
    service_name: str
    practitioner_name: str
    status: str
    status_label: str
    intake_status: str  # not_started, in_progress, submitted
    intake_status_label: str
    urgent: bool
    needs_review: bool  # urgent and not reviewed (or changed since the review)
    reviewed_at: datetime | None
    reviewed_by: str
    changed_since_review: bool
    flags: tuple
    patient_id: int | None = None
    # A session record can be kept: the service needs a resource (a chair) or is a course's.
    session_recordable: bool = False
    course_id: int | None = None
    course_day: int | None = None
    course_sessions: int | None = None
    course_status: str = ""
    course_status_label: str = ""
    course_awaiting_review: bool = False


@dataclass(frozen=True)
class ClinicianList:
    first_day: date
    last_day: date
    days: int
    rows: tuple
    page: int = 1
    pages: int = 1
    total: int = 0  # appointments in the days, on every page


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


@dataclass(frozen=True)
class CourseSessionLine:
    appointment_id: int
    day: int | None
    starts_at: datetime
    ends_at: datetime
    status: str
    status_label: str
    current: bool  # the appointment of this review page


@dataclass(frozen=True)
class CourseSection:
    """The treatment course an appointment belongs to, on the intake review page."""
    id: int
    reference: str
    status: str
    status_label: str
    awaiting_review: bool
    sessions_count: int
    day: int | None                  # this appointment's day of the course
    sessions: tuple                  # CourseSessionLines, day order
    first_appointment_id: int        # day 1: the course's intake is filled in for it
    intake_here: bool                # this page is day 1's (the course's intake)
    patient_id: int
    reasons: tuple = ()              # why it waits for a clinician, in words (awaiting only)
    reviewed_at: datetime | None = None
    reviewed_by: str = ""
    review_note: str = ""
    reason_needed: bool = False      # confirming needs a written reason: no submitted intake


# --- Reading helpers ---------------------------------------------------------------------------------

def _day_bounds(first_day, last_day):
    tz = clinic_tz()
    return (datetime.combine(first_day, time(0), tzinfo=tz),
            datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz))


def _local_today():
    return utcnow().astimezone(clinic_tz()).date()


def _changed_since_review(intake):
    """The patient saved answers after the review (the review is of older answers)."""
    return intake.reviewed_at is not None and intake.updated_at is not None \
        and intake.updated_at > intake.reviewed_at


def _needs_review(intake):
    return intake is not None and bool(intake.urgent) and (
        intake.reviewed_at is None or _changed_since_review(intake))


def _staff_names(ids):
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    users = db.session.execute(select(StaffUser).where(StaffUser.id.in_(ids))).scalars()
    return {user.id: user.full_name or user.email for user in users}


def _thresholds():
    return intake_services.settings().thresholds


def _flag_text(code, details):
    title = str(FLAG_TITLES.get(code, code))
    if code == "ketamine_prescreen_positive" and details:
        return f"{title}: {_join(details, KETAMINE_LABELS)}"
    if code in ("medication_overuse", "possible_medication_overuse") and details:
        return f"{title}: {_join(details, ACUTE_CLASS_LABELS)}"
    return title


def _flag_meaning(code, details, thresholds):
    t = thresholds
    meanings = {
        "phq9_item9": _l("The patient reported thoughts that they would be better off dead or of "
                         "hurting themselves in the last 2 weeks. Urgent whatever the PHQ-9 "
                         "total."),
        "headache_thunderclap": _l("A sudden, very severe headache that reached its worst within "
                                   "a minute."),
        "headache_fever_stiff_neck": _l("Fever together with a stiff neck."),
        "headache_neuro_deficit": _l("Recent new weakness, numbness, loss of vision, trouble "
                                     "speaking or confusion."),
        "headache_after_head_injury": _l("The headache started after a blow to the head or a "
                                         "head injury."),
        "ketamine_prescreen_positive": _l("A possible contraindication or caution for ketamine "
                                          "was answered yes: %(items)s.",
                                          items=_join(details, KETAMINE_LABELS)),
        "gad7_high": _l("GAD-7 total of %(n)d or more: further evaluation for an anxiety "
                        "disorder is recommended.", n=t.gad7_further_evaluation),
        "midas_grade_iv": _l("Severe disability from headache over the last 3 months "
                             "(MIDAS 21 or more)."),
        "hit6_severe": _l("Severe impact of headaches on daily life (HIT-6 60 or more)."),
        "medication_overuse": _l("ICHD-3 8.2 criteria met by history (%(days)d or more headache "
                                 "days a month for more than %(months)d months) for: %(classes)s.",
                                 days=t.overuse_min_headache_days,
                                 months=t.overuse_more_than_months,
                                 classes=_join(details, ACUTE_CLASS_LABELS)),
        "possible_medication_overuse": _l(
            "The medicines of one class reach the ICHD-3 8.2 threshold (%(n)d days a month) "
            "only if they were taken on different days, which the answers cannot tell: "
            "%(classes)s. Ask the patient on how many days a month they take any of them.",
            n=t.overuse_min_days_per_class, classes=_join(details, ACUTE_CLASS_LABELS)),
        "chronic_migraine": _l("ICHD-3 1.3 criteria met by history."),
        "resistant_migraine": _l("EHF 2020 criteria met by history."),
        "urgent_answer_changed": _l("The intake was marked urgent when an urgent answer (PHQ-9 "
                                    "item 9 or a headache warning sign) was saved; the current "
                                    "answers no longer show it."),
    }
    return str(meanings.get(code, ""))


def _action_text(action):
    if action == "crisis_contacts":
        numbers = ", ".join(f"{CRISIS_LABELS.get(name, name)} {number}"
                            for name, number in scoring.CRISIS_CONTACTS)
        return str(_l("The patient was shown crisis contacts at once (%(numbers)s) and told the "
                      "clinic will contact them today. To do: same-day follow-up, contact the "
                      "patient today.", numbers=numbers))
    if action == "emergency_care":
        return str(_l("The patient was told to seek emergency care now. To do: contact the "
                      "patient today to check that they did."))
    if action == "contact_patient":
        return str(_l("The patient was shown the urgent advice when they saved it. To do: "
                      "contact the patient today."))
    return str(_l("To do: review before the visit."))


def _flag_line(code, urgent, action, details, thresholds=None):
    text = _flag_text(code, details)
    if urgent:
        text = f"{URGENT}: {text}"
    if thresholds is None:
        return FlagLine(code, urgent, text)
    return FlagLine(code, urgent, text, _flag_meaning(code, details, thresholds),
                    _action_text(action))


def _flag_lines(intake, thresholds=None):
    """The intake's flags in words, urgent first. Submitted: the stored IntakeFlag rows; in
    progress: the urgent answers saved so far (nothing is computed before submission)."""
    if intake is None:
        return ()
    if intake.status == "submitted":
        lines = [_flag_line(flag.code, flag.urgent, flag.action, list(flag.details or ()),
                            thresholds) for flag in intake.flags]
    else:
        lines = [_flag_line(code, True, FLAG_ACTIONS[code], [], thresholds)
                 for code in validation.urgent_codes(intake.answers or {})]
    if intake.urgent and not any(line.urgent for line in lines):
        # Urgent is sticky (services.py): say why the marker is there.
        lines.append(_flag_line("urgent_answer_changed", True, "contact_patient", [], thresholds))
    return tuple(sorted(lines, key=lambda line: not line.urgent))


# --- Treatment courses ----------------------------------------------------------------------

def _course_first_session(course):
    """Day 1 of the course: its intake is the course's (courses.needs_review reads the same)."""
    first = next((a for a in course.appointments if a.course_day == 1), None)
    if first is None and course.appointments:
        first = min(course.appointments, key=lambda a: (a.course_day or 0, a.starts_at))
    return first


def course_wait_reasons(course):
    """Why a course waits for a clinician's review, in words: the reading of
    booking.courses.services.needs_review (no submitted intake, an urgent intake, a positive
    ketamine pre-screen item, a service whose every course a clinician confirms), with the
    urgent flags and the pre-screen items named."""
    first = _course_first_session(course)
    intake = first.intake if first else None
    reasons = []
    if intake is None:
        reasons.append(str(_l("No intake yet: the patient has not started it.")))
    elif intake.status != "submitted":
        reasons.append(str(_l("The intake is not submitted yet (it is in progress).")))
    if intake is not None and intake.urgent:
        urgent = [line.text.removeprefix(f"{URGENT}: ") for line in _flag_lines(intake)
                  if line.urgent]
        reasons.append(str(_l("Urgent intake: %(flags)s.", flags="; ".join(urgent)))
                       if urgent else str(_l("Urgent intake.")))
    if intake is not None and intake.status == "submitted":
        items = [item for flag in intake.flags if flag.code == "ketamine_prescreen_positive"
                 for item in (flag.details or ())]
        if items or any(f.code == "ketamine_prescreen_positive" for f in intake.flags):
            reasons.append(str(_l("Ketamine pre-screen answered yes: %(items)s.",
                                  items=_join(items, KETAMINE_LABELS) or str(_l("an item")))))
    if course.service.clinician_confirms_courses:
        reasons.append(str(_l("A clinician confirms every course of this service, even when "
                              "the intake raises nothing (a setting of the service).")))
    if not reasons:
        if courses.needs_review(course):  # a reason this page does not know how to word
            reasons.append(str(_l("The intake needs a clinician's review before the course.")))
        else:
            reasons.append(str(_l("The intake no longer shows a reason to wait (the answers "
                                  "changed), but the course still needs a clinician's "
                                  "decision.")))
    return tuple(reasons)


def _course_section(appointment):
    course = appointment.course
    if course is None:
        return None
    first = _course_first_session(course)
    awaiting = course.status == CourseStatus.AWAITING_REVIEW.value
    sessions = tuple(
        CourseSessionLine(
            appointment_id=a.id, day=a.course_day, starts_at=a.starts_at, ends_at=a.ends_at,
            status=a.status,
            status_label=str(APPOINTMENT_STATUS_LABELS.get(a.status, a.status)),
            current=a.id == appointment.id)
        for a in sorted(course.appointments, key=lambda a: (a.course_day or 0, a.starts_at)))
    return CourseSection(
        id=course.id, reference=course.reference, status=course.status,
        status_label=str(COURSE_STATUS_LABELS.get(course.status, course.status)),
        awaiting_review=awaiting, sessions_count=course.sessions_count,
        day=appointment.course_day, sessions=sessions,
        first_appointment_id=first.id if first else appointment.id,
        intake_here=first is None or first.id == appointment.id,
        patient_id=course.patient_id,
        reasons=course_wait_reasons(course) if awaiting else (),
        reviewed_at=course.reviewed_at,
        reviewed_by=_staff_names([course.reviewed_by_id]).get(course.reviewed_by_id, ""),
        review_note=course.review_note or "",
        reason_needed=awaiting and not courses.intake_submitted(course),
    )


def course_first_session(course_id):
    """The appointment id of a course's first session (where its intake is). LookupError."""
    course = db.session.execute(
        select(Course).where(Course.id == course_id).options(selectinload(Course.appointments))
    ).scalar_one_or_none()
    first = _course_first_session(course) if course is not None else None
    if first is None:
        raise LookupError("course")
    return first.id


def appointment_patient(appointment_id):
    """The patient id of an appointment. LookupError for an unknown id."""
    patient_id = db.session.execute(
        select(Appointment.patient_id).where(Appointment.id == appointment_id)
    ).scalar_one_or_none()
    if patient_id is None:
        raise LookupError("appointment")
    return patient_id


# --- The list ------------------------------------------------------------------------------------------

def clinician_list(practitioner_id, first_day=None, days=DEFAULT_DAYS, page=1):
    """Appointments (not cancelled) starting on `days` local days from `first_day` (default
    today), of one practitioner or of everyone (None). Urgent intakes that are not reviewed come
    first, then each course awaiting a clinician's review (its first session shown), then
    everything in time order, LIST_PAGE_SIZE a page (the first two groups on every page)."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1-{MAX_DAYS}")
    first_day = first_day or _local_today()
    last_day = first_day + timedelta(days=days - 1)
    range_start, range_end = _day_bounds(first_day, last_day)
    shown = [Appointment.starts_at >= range_start, Appointment.starts_at < range_end,
             Appointment.status != AppointmentStatus.CANCELLED.value]
    if practitioner_id is not None:
        shown.append(Appointment.practitioner_id == practitioner_id)
    # One page of the time order (one more, to know whether there are more pages); then that
    # page and whatever may be lifted to the top (urgent intakes, courses awaiting review: few)
    # are read together.
    in_order = (Appointment.starts_at, Appointment.practitioner_id, Appointment.id)
    page = max(1, page)
    on_page = db.session.execute(
        select(Appointment.id).where(*shown).order_by(*in_order)
        .limit(LIST_PAGE_SIZE + 1).offset((page - 1) * LIST_PAGE_SIZE)).scalars().all()
    if len(on_page) <= LIST_PAGE_SIZE and page == 1:
        total = len(on_page)
    else:
        total = db.session.execute(select(func.count()).select_from(Appointment)
                                   .where(*shown)).scalar_one()
    pages = max(1, -(-total // LIST_PAGE_SIZE))
    if page > pages:  # past the last page: the last page
        return clinician_list(practitioner_id, first_day, days, pages)
    on_page = on_page[:LIST_PAGE_SIZE]
    query = (
        select(Appointment)
        .outerjoin(Intake, Intake.appointment_id == Appointment.id)
        .outerjoin(Course, Course.id == Appointment.course_id)
        .where(*shown, or_(Appointment.id.in_(on_page), Intake.urgent.is_(True),
                           Course.status == CourseStatus.AWAITING_REVIEW.value))
        .options(joinedload(Appointment.patient), joinedload(Appointment.service),
                 joinedload(Appointment.practitioner), joinedload(Appointment.course),
                 selectinload(Appointment.intake).selectinload(Intake.flags))
        .order_by(*in_order)
    )
    appointments = db.session.execute(query).scalars().all()
    page_ids = set(on_page)
    names = _staff_names(a.intake.reviewed_by_id for a in appointments if a.intake)
    now = utcnow()

    rows = []
    for appointment in appointments:
        intake = appointment.intake
        state = "not_started" if intake is None else intake.status
        course = appointment.course
        rows.append(ListRow(
            appointment_id=appointment.id,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            patient_name=appointment.patient.full_name,
            service_name=localized(appointment.service, "name"),
            practitioner_name=localized(appointment.practitioner, "full_name"),
            status=appointment.status,
            status_label=str(APPOINTMENT_STATUS_LABELS.get(appointment.status,
                                                           appointment.status)),
            intake_status=state,
            intake_status_label=str(INTAKE_STATUS_LABELS.get(state, state)),
            urgent=bool(intake and intake.urgent),
            needs_review=_needs_review(intake),
            reviewed_at=intake.reviewed_at if intake else None,
            reviewed_by=names.get(intake.reviewed_by_id, "") if intake else "",
            changed_since_review=bool(intake and _changed_since_review(intake)),
            flags=_flag_lines(intake),
            patient_id=appointment.patient_id,
            # Offered only once the session has started and was neither cancelled nor missed.
            session_recordable=(bool(appointment.service.resource_kind) or course is not None)
            and record_refusal(appointment.status, appointment.starts_at, now, False) is None,
            course_id=appointment.course_id,
            course_day=appointment.course_day,
            course_sessions=course.sessions_count if course else None,
            course_status=course.status if course else "",
            course_status_label=str(COURSE_STATUS_LABELS.get(course.status, course.status))
            if course else "",
            course_awaiting_review=bool(course)
            and course.status == CourseStatus.AWAITING_REVIEW.value,
        ))
    # Urgent intakes not reviewed, then courses awaiting a review (their first row shown),
    # then the rest; the sort is stable, so each group stays in time order.
    lifted = set()

    def group(row):
        first_of_course = row.course_awaiting_review and row.course_id not in lifted
        if row.course_awaiting_review:
            lifted.add(row.course_id)
        if row.needs_review:
            return 0
        return 1 if first_of_course else 2

    groups = [group(row) for row in rows]  # in time order: a course's earliest row is lifted
    # A row of the time order is on its page; a lifted one on every page.
    order = sorted((i for i in range(len(rows))
                    if groups[i] < 2 or rows[i].appointment_id in page_ids),
                   key=lambda i: groups[i])
    return ClinicianList(first_day, last_day, days, tuple(rows[i] for i in order), page,
                         pages, total)


# --- The review page ---------------------------------------------------------------------------------

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
    today = _local_today()
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
                  types=_join(h.get("aura_types") or [], AURA_LABELS), n=h.get("aura_minutes") or 0)
    else:
        aura = NO
    triggers = _join(h.get("triggers") or [], TRIGGER_LABELS)
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
             f"{met}: {_join(overuse, ACUTE_CLASS_LABELS)}" if overuse else not_met),
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
        course=_course_section(appointment),
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
        reviewed_by=_staff_names([intake.reviewed_by_id]).get(intake.reviewed_by_id, ""),
        review_note=intake.review_note or "",
        changed_since_review=_changed_since_review(intake),
        red_flags=_flag_lines(intake, thresholds),
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


# --- Writing ---------------------------------------------------------------------------------------------

def _locked_intake(appointment_id):
    begin_write()
    appointment = db.session.execute(
        select(Appointment).where(Appointment.id == appointment_id).with_for_update()
    ).scalar_one_or_none()
    if appointment is None:
        raise LookupError("appointment")
    return appointment, appointment.intake


def clean_note(note):
    """The review note as stored: trimmed, line ends as \\n; InvalidInput when too long."""
    note = (note or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(note) > NOTE_MAX or "\x00" in note:
        raise InvalidInput(_l("Please keep the note to %(n)d characters.", n=NOTE_MAX),
                           {"note": _l("Please keep the note to %(n)d characters.", n=NOTE_MAX)})
    return note


def mark_reviewed(appointment_id, note, actor, *, now=None):
    """The clinician has reviewed the intake (again, if the answers changed): who, when, and an
    optional note. Audited without the note. LookupError, NoIntake, InvalidInput."""
    now = now or utcnow()
    try:
        appointment, intake = _locked_intake(appointment_id)
        note = clean_note(note)
        if intake is None:
            message = _l("There is no intake to review yet.")
            raise NoIntake(message, {"note": message})
        again = intake.reviewed_at is not None
        # A plain UPDATE that keeps updated_at: it tells when the PATIENT last saved answers,
        # which is how a change after the review is noticed.
        db.session.execute(
            update(Intake).where(Intake.id == intake.id).values(
                reviewed_at=now, reviewed_by_id=actor.id, review_note=note or None,
                updated_at=Intake.updated_at),
            execution_options={"synchronize_session": False})
        audit.record("intake.review", object_type="intake", object_id=intake.id, actor=actor,
                     details={"appointment_id": appointment.id, "with_note": bool(note),
                              "again": again})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def _hit6_score(total):
    try:
        return scoring.score_hit6_total(total)
    except scoring.InvalidAnswer:
        if isinstance(total, int) and not isinstance(total, bool) \
                and scoring.HIT6_MIN_TOTAL <= total <= scoring.HIT6_MAX_TOTAL:
            message = _l("No six HIT-6 answers add up to %(n)d (37, 39 and 77 are not possible "
                         "totals). Please check the paper form.", n=total)
        else:
            message = _l("Please enter a HIT-6 total from %(low)d to %(high)d.",
                         low=scoring.HIT6_MIN_TOTAL, high=scoring.HIT6_MAX_TOTAL)
        raise InvalidInput(message, {"hit6_total": message}) from None


def record_hit6_total(appointment_id, total, actor, *, now=None):
    """Store (or replace) a HIT-6 total typed from a licensed paper form, with its band and the
    "hit6_severe" flag when severe. The total must be one six answers can add up to
    (scoring.validate_hit6_total). LookupError, IntakeNotSubmitted, InvalidInput."""
    now = now or utcnow()
    try:
        appointment, intake = _locked_intake(appointment_id)
        score = _hit6_score(total)
        if intake is None or intake.status != "submitted":
            # Scores are stored with a submitted intake; submission replaces them all.
            message = _l("A HIT-6 total can be recorded once the patient has submitted the "
                         "intake.")
            raise IntakeNotSubmitted(message, {"hit6_total": message})
        replaced = any(r.instrument == "hit6" for r in intake.responses)
        intake.responses = [r for r in intake.responses if r.instrument != "hit6"] + [
            QuestionnaireResponse(
                instrument="hit6", version=score.version, language=intake.language, items=[],
                total=score.total, band=score.band, flags=list(score.flags), warnings=[],
                recorded_at=now, loinc_total=scoring.INSTRUMENTS["hit6"]["loinc"].get("total"))]
        intake.flags = [f for f in intake.flags if f.code != "hit6_severe"] + [
            IntakeFlag(code=flag.code, urgent=flag.urgent, action=flag.action,
                       details=list(flag.details))
            for flag in scoring.red_flags(hit6=score)]
        audit.record("intake.hit6_total", object_type="intake", object_id=intake.id, actor=actor,
                     details={"appointment_id": appointment.id, "replaced": replaced})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
