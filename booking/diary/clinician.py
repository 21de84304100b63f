"""What clinicians see of a patient's diary, beside the pain chart: the months as a strip of
days (headache / migraine / moderate-severe / acute medicine, in letters and patterns as well as
colour), and for each course its baseline and 28-day windows after it with headache days,
migraine days, acute-medication days, completeness and "not evaluable".

Also the courses' censoring dates, shared with the outcomes report: a course's durability
follow-up ends the day before the patient's next course starts or a new preventive begins
(PreventiveStart, noted by a clinician here).

Every read is bounded by the dates shown. Viewing is audited ("diary.view", ids and dates only).
"""
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit
from ..courses.follow_ups import course_spans
from ..extensions import db
from ..intake import scoring
from ..models import Course, CourseStatus, Patient, PreventiveStart
from ..rule_error import RuleError
from ..timeutil import clinic_tz, utcnow
from . import figures, services

# Courses whose windows a clinician sees and the report counts.
COURSE_STATUSES = (CourseStatus.CONFIRMED.value, CourseStatus.COMPLETED.value)


@dataclass(frozen=True)
class CourseSpanDays:
    """A course in clinic dates: its first session and its day 0 (last attended session)."""

    course_id: int
    reference: str
    patient_id: int
    first_day: date
    end_day: date
    over: bool
    attended: bool


def course_days(courses, now):
    """[CourseSpanDays] of courses whose appointments are loaded (courses with no session held
    are left out)."""
    spans = course_spans(courses, now)
    tz = clinic_tz()
    found = []
    for course in courses:
        span = spans[course.id]
        if span.first_at is None:
            continue
        found.append(CourseSpanDays(course.id, course.reference, course.patient_id,
                                    span.first_at.astimezone(tz).date(), span.end_day,
                                    span.over, span.attended))
    return found


def censor_dates(spans, patient_ids, until):
    """{course_id: the last date before a new course or a new preventive, or None} for the
    courses in `spans` ([CourseSpanDays]). `spans` must hold every course of those patients that
    starts before `until`; new preventives are read up to `until`."""
    patient_ids = list(patient_ids)
    starts = {}
    for start in range(0, len(patient_ids), 500):
        for patient_id, started_on in db.session.execute(
                select(PreventiveStart.patient_id, PreventiveStart.started_on)
                .where(PreventiveStart.patient_id.in_(patient_ids[start:start + 500]),
                       PreventiveStart.started_on <= until)).all():
            starts.setdefault(patient_id, []).append(started_on)
    result = {}
    for span in spans:
        later = [other.first_day for other in spans
                 if other.patient_id == span.patient_id and other.first_day > span.end_day]
        later += [day for day in starts.get(span.patient_id, ()) if day > span.end_day]
        result[span.course_id] = min(later) - timedelta(days=1) if later else None
    return result


def patient_courses(patient_id, since, now):
    """[CourseSpanDays] of the patient's confirmed or completed courses with a session on or
    after `since` (clinic date), in time order."""
    courses = db.session.execute(
        select(Course).where(Course.patient_id == patient_id,
                             Course.status.in_(COURSE_STATUSES))
        .options(selectinload(Course.appointments)).order_by(Course.id)).scalars().all()
    spans = [s for s in course_days(courses, now) if s.end_day >= since]
    return sorted(spans, key=lambda s: s.first_day)


# --- The page ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StripDay:
    day: date
    code: str  # "M", "H", "h" (a short untreated headache), "0" (no headache), "?" missing, ""
    kinds: tuple  # CSS kinds: migraine, headache, short, none, missing, future, severe, medicine
    words: str  # the day in words, for screen readers and the tooltip


@dataclass(frozen=True)
class StripMonth:
    first: date
    days: tuple[StripDay, ...]
    filled: int


@dataclass(frozen=True)
class CourseWindowsView:
    span: CourseSpanDays
    windows: tuple[figures.WindowFigures, ...]  # baseline, B1..Bn
    censor_on: date | None
    patterns: tuple = ()  # figures.MedicationPattern (or None) for each window

    @property
    def new_treatment_on(self):
        return None if self.censor_on is None else self.censor_on + timedelta(days=1)

    @property
    def baseline_missing(self):
        return not self.windows[0].evaluable


@dataclass(frozen=True)
class PatientDiary:
    since: date
    until: date
    months: tuple[StripMonth, ...]  # from the first entry's month (or this month) to today's
    courses: tuple[CourseWindowsView, ...]
    filled: int
    preventive_starts: tuple[date, ...]
    diary_days: tuple[date, ...]  # every filled date (the chart's light band)
    settings: figures.Settings
    min_filled: int

    def status_text(self, window):
        """Why a window has no figure (or that it has one), in words."""
        return str(WINDOW_STATUS_WORDS[window.status]) % {"min": self.min_filled}

    @staticmethod
    def classes_taken(window):
        """["triptan 9", ...]: the class days of a window, in words."""
        return [f"{CLASS_WORDS[key]} {window.counts[key]}"
                for key in figures.CLASS_DAY_KEYS if window.counts.get(key)]

    @staticmethod
    def class_names(keys):
        return ", ".join(str(CLASS_WORDS[key]) for key in keys)


def _strip_day(day, cls, today, words):
    if day > today:
        return StripDay(day, "", ("future",), words["future"])
    if cls is None:
        return StripDay(day, "?", ("missing",), words["missing"])
    if not cls.headache:
        return StripDay(day, "0", ("none",), words["none"])
    parts, kinds = [], []
    kind = "migraine" if cls.migraine_day else "headache" if cls.headache_day else "short"
    code, kinds = str(STRIP_CODES[kind]), [kind]
    parts.append(words[kind])
    if cls.moderate_severe:
        code += "!"
        kinds.append("severe")
        parts.append(words["severe"])
    if cls.acute_medication:
        code += "+"
        kinds.append("medicine")
        parts.append(words["medicine"])
    return StripDay(day, code, tuple(kinds), ", ".join(parts))


def strip_months(days, first, today, words):
    months = []
    for month in figures.months_between(first, today):
        cells = []
        day = month
        while day.month == month.month:
            cells.append(_strip_day(day, days.get(day), today, words))
            day += timedelta(days=1)
        months.append(StripMonth(month, tuple(cells),
                                 sum(1 for c in cells if c.day in days)))
    return tuple(months)


CLASS_WORDS = {
    "triptan": _l("triptan"), "ergotamine": _l("ergotamine"), "opioid": _l("opioid"),
    "combination_analgesic": _l("combination analgesic"),
    figures.NON_OPIOID: _l("paracetamol, aspirin or other NSAID"),
    "other": _l("other or not sure"),
}
WINDOW_STATUS_WORDS = {
    figures.EVALUABLE: _l("evaluable"),
    figures.TOO_FEW_DAYS: _l("not evaluable: fewer than %(min)d of 28 days filled"),
    figures.NOT_OVER: _l("not over yet"),
    figures.AFTER_NEW_TREATMENT: _l("not counted: a new course or preventive began"),
}

# The strip's letters (the legend on the page names them); "0", "?", "!" and "+" need none.
STRIP_CODES = {
    "migraine": lazy_pgettext("diary code: migraine day", "M"),
    "headache": lazy_pgettext("diary code: headache day", "H"),
    "short": lazy_pgettext("diary code: short untreated headache", "h"),
}

STRIP_WORDS = {
    "migraine": _l("migraine day"), "headache": _l("headache day"),
    "short": _l("headache under 30 minutes, untreated (not a headache day)"),
    "severe": _l("moderate or severe pain"), "medicine": _l("acute medicine taken"),
    "none": _l("no headache"), "missing": _l("not filled in"), "future": _l("not yet"),
}


def patient_diary(patient_id, since, *, now=None, audit_view=True):
    """The patient's diary from `since` (clinic date) to today, and the windows of their
    courses in that time. LookupError for an unknown patient."""
    now = now or utcnow()
    if db.session.get(Patient, patient_id) is None:
        raise LookupError("patient")
    words = {kind: str(text) for kind, text in STRIP_WORDS.items()}
    today = services.today(now)
    thresholds = scoring.Thresholds(**current_app.config.get("INTAKE_THRESHOLDS", {}))
    settings = services.figure_settings(thresholds)
    courses = patient_courses(patient_id, since, now)
    first = min([since] + [s.first_day - timedelta(days=figures.DAYS_PER_WINDOW)
                           for s in courses])
    entries = services.entries_between([patient_id], first, today)[patient_id]
    days = figures.classify_all(entries)
    censor = censor_dates(courses, [patient_id], today)
    views = []
    for span in courses:
        outcome = figures.course_diary_outcome(
            figures.CourseDiary(span.course_id, span.first_day, span.end_day, tuple(entries),
                                censor_on=censor[span.course_id]), today, settings)
        views.append(CourseWindowsView(
            span, outcome.windows, censor[span.course_id],
            tuple(figures.medication_pattern(w, thresholds) for w in outcome.windows)))
    shown = [d for d in days if d >= since]
    start = figures.month_of(min(shown)) if shown else figures.month_of(today)
    preventives = tuple(db.session.execute(
        select(PreventiveStart.started_on).where(PreventiveStart.patient_id == patient_id,
                                                 PreventiveStart.started_on >= first)
        .order_by(PreventiveStart.started_on)).scalars())
    if audit_view:
        audit.record_now("diary.view", object_type="patient", object_id=patient_id,
                         details={"since": since.isoformat()})
    return PatientDiary(since=since, until=today, months=strip_months(days, start, today, words),
                        courses=tuple(views), filled=len(shown), preventive_starts=preventives,
                        diary_days=tuple(sorted(shown)), settings=settings,
                        min_filled=settings.min_filled)


class PreventiveError(RuleError):
    pass


def note_preventive(patient_id, started_on, *, actor, now=None):
    """A clinician notes that a new preventive began on `started_on` (not in the future).
    Audited "diary.preventive" (ids and the date). LookupError for an unknown patient."""
    now = now or utcnow()
    if db.session.get(Patient, patient_id) is None:
        raise LookupError("patient")
    if started_on is None or started_on > services.today(now):
        message = _l("Please enter a date that is not in the future.")
        raise PreventiveError(message, {"started_on": message})
    try:
        row = PreventiveStart(patient_id=patient_id, started_on=started_on,
                              noted_by_id=actor.id, created_at=now)
        db.session.add(row)
        db.session.flush()
        audit.record("diary.preventive", object_type="patient", object_id=patient_id,
                     details={"started_on": started_on.isoformat()}, actor=actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def course_marks(diary):
    """The chart's course marks (first session to last) of a PatientDiary's courses."""
    from ..courses.chart import CourseMark

    return tuple(CourseMark(v.span.first_day, v.span.end_day,
                            str(_l("Course %(reference)s", reference=v.span.reference)))
                 for v in diary.courses)
