"""Headache diary figures: days, windows, completeness, responders, relapse and durability.

PURE: standard library only, plus the other pure modules (booking.intake.scoring for the
medicine classes and thresholds, booking.courses.outcome_figures for exact means, rates and
their rounding). No Flask, no SQLAlchemy: a service hands over plain records; tests need no database.

Every definition is clinical.md's, section "Headache diary and durability" (cited below as
"clinical.md"). The software computes; it never diagnoses.

- A **day** is a calendar date in the clinic's zone (Europe/Kyiv). Entries carry their date, so
  a day with a DST change is one day like any other. An unfilled date is **missing**, never
  headache-free: every monthly figure is k x 28 / r over the r dates filled.
- A **headache day**: a headache of at least 30 minutes, or any headache treated with an acute
  medicine. A **migraine day**: a headache day with at least two of B (>= 4 h), C (>= 2 of one
  side, throbbing, moderate/severe, worse with activity) and D (nausea or vomiting, or light
  AND sound hurt) - migraine or probable migraine (ICHD-3 1.5, counted in trials); or with aura;
  or felt like the patient's migraine at onset and relieved by a triptan or ergot (pain 2 h
  later none or mild; ICHD-3 1.3 C3). A **moderate/severe day**: worst pain >= 4. An
  **acute-medication day**: any acute medicine taken. **Class days**: distinct dates with that
  class (paracetamol, aspirin and other NSAIDs together are the non-opioid class).
- **Windows**: baseline = the 28 dates before the course's first session; day 0 = its last
  (attended) session; blocks B1 = days 1-28, B2 = 29-56, ... (how many: a setting).
- **Completeness**: r dates filled, k meeting a definition; monthly figure k x 28 / r, exact
  (a Fraction), rounded only for display. r < 21 (a setting): not evaluable, no number.
- **Responders**: reduction (B - F) / B of the same figure, compared in exact arithmetic:
  >= 50 % as 2F <= B, >= 30 % as 10(B - F) >= 3B, >= 75 % as 4F <= B; over courses with an
  evaluable baseline with B >= 4 and an evaluable block.
- **Relapse** (a setting, default R1): R1 the first block whose headache days are above half
  the baseline (exactly half stays relieved); R2 back to the baseline or above; R3 pain no
  longer >= 2 points below admission (at a counted follow-up answer).
- **Durability**: product-limit (Kaplan-Meier) estimate over block times 28, 56, 84, ...;
  events before censorings at the same time; censored at the end of the last evaluable block
  before a non-evaluable one, before a new course or a new preventive, or at the end of
  follow-up.

Conventions as in booking.courses.outcomes: None is "not evaluable" (never 0), numbers stay
exact (int, Fraction), every cohort figure carries its denominator and an English definition
for the report page, and wrong input raises scoring.InvalidAnswer naming the field.
"""
import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from booking.courses.outcome_figures import Count, Mean, Rate, format_mean
from booking.intake.scoring import (
    ACUTE_MEDICATION_CLASSES,
    DEFAULT_THRESHOLDS,
    NON_OPIOID_ANALGESICS,
    NRS_MAX,
    SINGLE_OVERUSE_CLASSES,
    InvalidAnswer,
    Thresholds,
)

# --- The daily form's answers (clinical.md "Daily form") -------------------------------------

UNDER_30_MIN = "under_30_min"
FROM_30_MIN_TO_4_H = "30_min_to_4_h"
AT_LEAST_4_H = "4_h_or_more"
DURATIONS = (UNDER_30_MIN, FROM_30_MIN_TO_4_H, AT_LEAST_4_H)

AURA_NONE = "no"
AURAS = (AURA_NONE, "visual", "other")

# Pain 2 hours after a triptan or an ergot.
RELIEFS = ("none", "mild", "moderate", "severe")
RELIEVED = frozenset({"none", "mild"})

FEATURES = ("one_side", "throbbing", "worse_with_activity", "nausea_vomiting", "light_hurts",
            "sound_hurts")

# The medicine classes of the patient's own list (the intake's acute classes; "other" also
# holds "other / not sure").
MEDICINE_CLASSES = ACUTE_MEDICATION_CLASSES
TRIPTAN_OR_ERGOT = frozenset({"triptan", "ergotamine"})
NON_OPIOID = "non_opioid_analgesics"  # paracetamol, aspirin, other NSAIDs: one class
# The classes counted as days in a window, in report order.
CLASS_DAY_KEYS = SINGLE_OVERUSE_CLASSES + (NON_OPIOID, "other")

# Pain bands of the daily form's 0-10 (clinical.md): 1-3 mild, 4-6 moderate, 7-10 severe.
MODERATE_MIN = 4
SEVERE_MIN = 7

# --- Windows and settings defaults ----------------------------------------------------------

DAYS_PER_WINDOW = 28  # one "month" of the monthly figures, and one window
DEFAULT_MIN_FILLED = 21  # fewer filled dates: not evaluable (setting)
DEFAULT_BLOCKS = 3  # B1..B3 after a course (setting)
DEFAULT_MIN_BASELINE = 4  # responders need B >= 4 headache days a month
BASELINE = "baseline"

# Why a window has no figure.
EVALUABLE = "evaluable"
TOO_FEW_DAYS = "too_few_days"  # r < the minimum
NOT_OVER = "not_over"  # the window has not ended yet
AFTER_NEW_TREATMENT = "after_new_treatment"  # a new course or preventive began by its end
WINDOW_STATUSES = (EVALUABLE, TOO_FEW_DAYS, NOT_OVER, AFTER_NEW_TREATMENT)

# The figures of a window (the keys of WindowFigures.counts besides the class days).
HEADACHE_DAYS = "headache_days"
MIGRAINE_DAYS = "migraine_days"
MODERATE_SEVERE_DAYS = "moderate_severe_days"
ACUTE_MEDICATION_DAYS = "acute_medication_days"
DAY_FIGURES = (HEADACHE_DAYS, MIGRAINE_DAYS, MODERATE_SEVERE_DAYS, ACUTE_MEDICATION_DAYS)

# Relapse rules (clinical.md): a setting, default R1.
R1, R2, R3 = "R1", "R2", "R3"
RELAPSE_RULES = (R1, R2, R3)
DEFAULT_RELAPSE_RULE = R1
RELAPSE_DEFINITIONS = {
    R1: "Relapse (R1): the first 28-day block after the course whose monthly headache days are "
        "above half the baseline (the >= 50 % response is lost; exactly 50 % stays relieved)",
    R2: "Relapse (R2): the first 28-day block after the course whose monthly headache days are "
        "back to the baseline or above",
    R3: "Relapse (R3): the first counted follow-up answer whose pain is no longer at least 2 "
        "points below the pain at admission (Schwenk's sustained response)",
}

# Why a course is not counted in a block's responders.
NOT_EVALUABLE_REASONS = (
    "baseline_not_evaluable",  # baseline with fewer than the minimum dates filled (or none)
    "baseline_below_minimum",  # B < 4 headache (or migraine) days a month
    "block_too_few_days",
    "block_not_over",
    "block_after_new_treatment",
)


# --- One day --------------------------------------------------------------------------------

@dataclass(frozen=True)
class DayEntry:
    """One filled date of the diary, as the patient answered (clinical.md "Daily form").

    `headache` False ("no headache") leaves everything else empty. `medicines` holds the class
    of each acute medicine taken (several rows of one class may repeat it)."""

    day: date
    headache: bool
    duration: str | None = None  # one of DURATIONS
    worst_pain: int | None = None  # 0-10
    one_side: bool = False
    throbbing: bool = False
    worse_with_activity: bool = False
    nausea_vomiting: bool = False
    light_hurts: bool = False
    sound_hurts: bool = False
    aura: str = AURA_NONE  # one of AURAS
    felt_like_migraine: bool = False
    medicines: tuple[str, ...] = ()  # classes from MEDICINE_CLASSES
    relief_2h: str | None = None  # one of RELIEFS: pain 2 h after a triptan or an ergot


@dataclass(frozen=True)
class DayClass:
    """What one filled date counts as (clinical.md)."""

    day: date
    headache: bool  # the patient said "yes, a headache"
    headache_day: bool
    migraine_day: bool
    moderate_severe: bool
    acute_medication: bool
    classes: frozenset[str]  # medicine classes taken (NON_OPIOID for the three analgesics)
    probable: bool = False  # a migraine day by 2 of B, C, D that is also not by the others
    severity: str | None = None  # "mild" / "moderate" / "severe" (from worst pain), or None

    def counts(self, figure):
        """Whether this date meets a figure's definition (DAY_FIGURES, or a class key)."""
        if figure == HEADACHE_DAYS:
            return self.headache_day
        if figure == MIGRAINE_DAYS:
            return self.migraine_day
        if figure == MODERATE_SEVERE_DAYS:
            return self.moderate_severe
        if figure == ACUTE_MEDICATION_DAYS:
            return self.acute_medication
        return figure in self.classes


def _flag(entry, name, where):
    value = getattr(entry, name)
    if not isinstance(value, bool):
        raise InvalidAnswer(f"{where} {name}", f"must be True or False, got {value!r}")
    return value


def check_entry(entry: DayEntry) -> DayEntry:
    """The entry, checked: types, ranges and the form's rules. Raises InvalidAnswer."""
    if not isinstance(entry, DayEntry):
        raise InvalidAnswer("entry", f"must be a DayEntry, got {entry!r}")
    if not isinstance(entry.day, date):
        raise InvalidAnswer("entry day", f"must be a date, got {entry.day!r}")
    where = f"entry {entry.day.isoformat()}"
    for name in ("headache", "felt_like_migraine") + FEATURES:
        _flag(entry, name, where)
    if isinstance(entry.medicines, (str, bytes)):
        raise InvalidAnswer(f"{where} medicines", "must be a list of classes")
    for class_ in entry.medicines:
        if class_ not in MEDICINE_CLASSES:
            raise InvalidAnswer(f"{where} medicines", f"unknown class {class_!r}")
    if not entry.headache:
        # "No headache" is one tap: nothing else may be said about that day.
        said = [name for name in FEATURES + ("felt_like_migraine",) if getattr(entry, name)]
        if said or entry.duration or entry.worst_pain is not None or entry.medicines \
                or entry.relief_2h or entry.aura != AURA_NONE:
            raise InvalidAnswer(f"{where} headache", "a day without headache has no details")
        return entry
    if entry.duration not in DURATIONS:
        raise InvalidAnswer(f"{where} duration", f"must be one of {DURATIONS}")
    pain = entry.worst_pain
    if isinstance(pain, bool) or not isinstance(pain, int) or not 0 <= pain <= NRS_MAX:
        raise InvalidAnswer(f"{where} worst_pain", f"must be a whole number 0-{NRS_MAX}")
    if entry.aura not in AURAS:
        raise InvalidAnswer(f"{where} aura", f"must be one of {AURAS}")
    if entry.relief_2h is not None:
        if entry.relief_2h not in RELIEFS:
            raise InvalidAnswer(f"{where} relief_2h", f"must be one of {RELIEFS}")
        if not TRIPTAN_OR_ERGOT & set(entry.medicines):
            raise InvalidAnswer(f"{where} relief_2h", "asked only after a triptan or an ergot")
    return entry


def severity_of(worst_pain):
    """clinical.md: 1-3 mild, 4-6 moderate, 7-10 severe; 0 (or none) has no band."""
    if worst_pain is None or worst_pain < 1:
        return None
    if worst_pain >= SEVERE_MIN:
        return "severe"
    return "moderate" if worst_pain >= MODERATE_MIN else "mild"


def medicine_classes(classes):
    """The classes counted as days: the three non-opioid analgesics as one."""
    return frozenset(NON_OPIOID if c in NON_OPIOID_ANALGESICS else c for c in classes)


def classify(entry: DayEntry) -> DayClass:
    """What a filled date counts as (clinical.md "Headache day", "Migraine day", ...)."""
    check_entry(entry)
    taken = frozenset(entry.medicines)
    if not entry.headache:
        return DayClass(entry.day, False, False, False, False, False, frozenset())
    treated = bool(taken)
    headache_day = entry.duration in (FROM_30_MIN_TO_4_H, AT_LEAST_4_H) or treated
    moderate_severe = entry.worst_pain >= MODERATE_MIN
    b = entry.duration == AT_LEAST_4_H
    c = sum((entry.one_side, entry.throbbing, moderate_severe, entry.worse_with_activity)) >= 2
    d = entry.nausea_vomiting or (entry.light_hurts and entry.sound_hurts)
    by_features = sum((b, c, d)) >= 2
    with_aura = entry.aura != AURA_NONE
    relieved_by_triptan = (entry.felt_like_migraine and bool(TRIPTAN_OR_ERGOT & taken)
                           and entry.relief_2h in RELIEVED)
    migraine_day = headache_day and (by_features or with_aura or relieved_by_triptan)
    return DayClass(
        day=entry.day, headache=True, headache_day=headache_day, migraine_day=migraine_day,
        moderate_severe=moderate_severe, acute_medication=treated,
        classes=medicine_classes(taken),
        probable=(migraine_day and sum((b, c, d)) == 2 and not with_aura
                  and not relieved_by_triptan),
        severity=severity_of(entry.worst_pain))


def classify_all(entries: Iterable[DayEntry]) -> dict[date, DayClass]:
    """{date: DayClass}; one entry per date (a second one for a date is refused)."""
    if isinstance(entries, (str, bytes)) or not isinstance(entries, Iterable):
        raise InvalidAnswer("entries", "must be a list of DayEntry")
    days = {}
    for entry in entries:
        classified = classify(entry)
        if classified.day in days:
            raise InvalidAnswer("entries", f"two entries for {classified.day.isoformat()}")
        days[classified.day] = classified
    return days


# --- Windows ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    """28 consecutive dates: the baseline, or block B<index> after a course."""

    key: str  # "baseline", "B1", "B2", ...
    first: date
    last: date
    index: int = 0  # 0 for the baseline, k for Bk

    @property
    def end_time(self) -> int:
        """Days from day 0 (the last session) to the block's last date: 28, 56, 84..."""
        return DAYS_PER_WINDOW * self.index

    def contains(self, day):
        return self.first <= day <= self.last

    def dates(self):
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def _whole(value, name, low):
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidAnswer(name, f"must be a whole number >= {low}, got {value!r}")
    return value


def baseline_window(first_session_day: date) -> Window:
    """The 28 dates before the course's first session (clinical.md)."""
    return Window(BASELINE, first_session_day - timedelta(days=DAYS_PER_WINDOW),
                  first_session_day - timedelta(days=1), 0)


def block_windows(end_day: date, blocks: int = DEFAULT_BLOCKS) -> tuple[Window, ...]:
    """B1 = days 1-28 after day 0 (the last session), B2 = 29-56, ..."""
    _whole(blocks, "blocks", 1)
    return tuple(
        Window(f"B{k}", end_day + timedelta(days=DAYS_PER_WINDOW * (k - 1) + 1),
               end_day + timedelta(days=DAYS_PER_WINDOW * k), k)
        for k in range(1, blocks + 1))


def course_windows(first_session_day: date, end_day: date,
                   blocks: int = DEFAULT_BLOCKS) -> tuple[Window, ...]:
    """The baseline, then B1..B<blocks>."""
    if not isinstance(first_session_day, date) or not isinstance(end_day, date):
        raise InvalidAnswer("course days", "must be dates")
    if end_day < first_session_day:
        raise InvalidAnswer("course days", "the last session comes before the first")
    return (baseline_window(first_session_day),) + block_windows(end_day, blocks)


@dataclass(frozen=True)
class WindowFigures:
    """One window of one course: r dates filled, k for each definition, and the status."""

    window: Window
    filled: int  # r
    counts: dict  # {figure: k} for DAY_FIGURES and CLASS_DAY_KEYS
    status: str  # one of WINDOW_STATUSES
    min_filled: int = DEFAULT_MIN_FILLED

    @property
    def evaluable(self):
        return self.status == EVALUABLE

    def monthly(self, figure=HEADACHE_DAYS) -> Fraction | None:
        """k x 28 / r, exact; None when the window is not evaluable."""
        if not self.evaluable:
            return None
        return Fraction(self.counts[figure] * DAYS_PER_WINDOW, self.filled)

    def shown(self, figure=HEADACHE_DAYS) -> str | None:
        """The monthly figure with one decimal ("9.7"), or None."""
        value = self.monthly(figure)
        return None if value is None else format_mean(Mean(value, 1))

    @property
    def completeness(self) -> Fraction:
        """r / 28, exact."""
        return Fraction(self.filled, DAYS_PER_WINDOW)


def window_figures(days: dict, window: Window, *, today: date | None = None,
                   min_filled: int = DEFAULT_MIN_FILLED,
                   censor_on: date | None = None) -> WindowFigures:
    """The figures of one window from {date: DayClass}. `today`: a window whose last date is
    today or later is not over (no figure yet). `censor_on`: the last date before a new course
    or a new preventive; a window reaching past it has no figure (AFTER_NEW_TREATMENT)."""
    _whole(min_filled, "min_filled", 1)
    inside = [days[d] for d in window.dates() if d in days]
    counts = {figure: sum(1 for c in inside if c.counts(figure))
              for figure in DAY_FIGURES + CLASS_DAY_KEYS}
    filled = len(inside)
    if censor_on is not None and window.index > 0 and window.last > censor_on:
        status = AFTER_NEW_TREATMENT
    elif today is not None and window.last >= today:
        status = NOT_OVER
    elif filled < min_filled:
        status = TOO_FEW_DAYS
    else:
        status = EVALUABLE
    return WindowFigures(window, filled, counts, status, min_filled)


# --- Medication use in a window (clinical.md "Days of a class": exact from a diary) -----------

@dataclass(frozen=True)
class MedicationPattern:
    """Acute-medicine days in one window against the ICHD-3 8.2 day thresholds, on the
    monthly figures. A pattern in this window, never a diagnosis (8.2 also needs >= 15
    headache days a month for more than 3 months)."""

    classes_at_threshold: tuple[str, ...]  # SINGLE_OVERUSE_CLASSES / NON_OPIOID reaching theirs
    multiple_classes: bool  # none alone, but any acute medicine on >= 10 days (8.2.6)


def medication_pattern(figures: WindowFigures,
                       thresholds: Thresholds = DEFAULT_THRESHOLDS) -> MedicationPattern | None:
    """None when the window is not evaluable."""
    if not figures.evaluable:
        return None
    reached = tuple(
        c for c in SINGLE_OVERUSE_CLASSES
        if figures.monthly(c) >= thresholds.overuse_min_days_per_class)
    if figures.monthly(NON_OPIOID) >= thresholds.overuse_min_non_opioid_days:
        reached += (NON_OPIOID,)
    multiple = not reached and \
        figures.monthly(ACUTE_MEDICATION_DAYS) >= thresholds.overuse_min_any_acute_days
    return MedicationPattern(reached, multiple)


# --- Responders ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Response:
    """Baseline B against block F for one figure. None: not evaluable."""

    baseline: Fraction
    block: Fraction

    @property
    def reduction(self) -> Fraction | None:
        """(B - F) / B, exact; None when B is 0."""
        return None if self.baseline == 0 else (self.baseline - self.block) / self.baseline

    @property
    def at_least_50(self):
        return 2 * self.block <= self.baseline

    @property
    def at_least_30(self):
        return 10 * (self.baseline - self.block) >= 3 * self.baseline

    @property
    def at_least_75(self):
        return 4 * self.block <= self.baseline


def response(baseline: WindowFigures, block: WindowFigures, figure=HEADACHE_DAYS,
             min_baseline=DEFAULT_MIN_BASELINE):
    """(Response, None), or (None, reason) with a NOT_EVALUABLE_REASONS code."""
    if not baseline.evaluable:
        return None, "baseline_not_evaluable"
    if baseline.monthly(figure) < min_baseline:
        return None, "baseline_below_minimum"
    if not block.evaluable:
        return None, {TOO_FEW_DAYS: "block_too_few_days", NOT_OVER: "block_not_over",
                      AFTER_NEW_TREATMENT: "block_after_new_treatment"}[block.status]
    return Response(baseline.monthly(figure), block.monthly(figure)), None


# --- Relapse and durability ----------------------------------------------------------------------

@dataclass(frozen=True)
class FollowUpPain:
    """A follow-up pain answer counted inside its window, for R3. `time`: the block end it
    stands for (28 for about a month, 84 for about three), `answered_on`: its date."""

    time: int
    pain: int
    answered_on: date


@dataclass(frozen=True)
class Observation:
    """One course in a durability estimate: relapse (event) or censoring at `time` days."""

    course_id: int
    time: int
    event: bool
    why: str = ""  # "relapse", "not_evaluable", "new_treatment", "end_of_follow_up", ...


def relapse_observation(course_id, baseline: WindowFigures, blocks: Sequence[WindowFigures],
                        rule=DEFAULT_RELAPSE_RULE, *, admission=None,
                        follow_ups: Sequence[FollowUpPain] = (), censor_on=None,
                        min_points=2) -> Observation | None:
    """When relief ended (event) or stopped being observed (censored), by the rule; None when
    the course is not in the durability population (no evaluable baseline; for R3 also no
    pain at admission)."""
    if rule not in RELAPSE_RULES:
        raise InvalidAnswer("relapse rule", f"must be one of {RELAPSE_RULES}")
    if not baseline.evaluable:
        return None
    if rule == R3:
        if admission is None:
            return None
        last = 0
        for answer in sorted(follow_ups, key=lambda f: f.time):
            if censor_on is not None and answer.answered_on > censor_on:
                return Observation(course_id, last, False, "new_treatment")
            if admission - answer.pain < min_points:
                return Observation(course_id, answer.time, True, "relapse")
            last = answer.time
        return Observation(course_id, last, False, "end_of_follow_up")
    b = baseline.monthly(HEADACHE_DAYS)
    reached = 0
    for block in sorted(blocks, key=lambda w: w.window.index):
        if not block.evaluable:
            why = {NOT_OVER: "end_of_follow_up", AFTER_NEW_TREATMENT: "new_treatment"}.get(
                block.status, "not_evaluable")
            return Observation(course_id, reached, False, why)
        f = block.monthly(HEADACHE_DAYS)
        relapsed = 2 * f > b if rule == R1 else f >= b
        if relapsed:
            return Observation(course_id, block.window.end_time, True, "relapse")
        reached = block.window.end_time
    return Observation(course_id, reached, False, "end_of_follow_up")


@dataclass(frozen=True)
class SurvivalPoint:
    time: int  # days after the course
    at_risk: int  # still followed just before `time`
    events: int  # relapses at `time`
    censored: int  # censored at `time`
    survival: Fraction | None  # S(time); None when nobody is followed that long

    def shown(self) -> str | None:
        """S(t) in percent with one decimal ("53.3"), or None."""
        return None if self.survival is None else format_mean(Mean(100 * self.survival, 1))


@dataclass(frozen=True)
class Durability:
    """A product-limit estimate over one population of courses."""

    population: Count
    points: tuple[SurvivalPoint, ...]  # at the report times (28, 56, 84, ...)
    steps: tuple[tuple[int, Fraction], ...]  # (event time, S after it), for the step chart
    events: int
    censored: int
    median: int | None  # days; None when S never falls to 50 % or below
    observations: tuple[Observation, ...] = ()
    definition: str = ""

    def at(self, time) -> SurvivalPoint:
        for point in self.points:
            if point.time == time:
                return point
        raise KeyError(time)


def product_limit(observations: Iterable[Observation], times: Sequence[int],
                  definition: str = "") -> Durability:
    """Kaplan-Meier: S(t) = product over event times <= t of (n - d) / n, n = at risk just
    before (time >= t), d = events at t. Events come before censorings at the same time (a
    course censored at t is still at risk at t). S(t) is None when nobody is at risk at t."""
    observations = tuple(observations)
    for o in observations:
        if not isinstance(o, Observation):
            raise InvalidAnswer("observations", f"must be Observation, got {o!r}")
        _whole(o.time, f"course {o.course_id} time", 0)
    ids = [o.course_id for o in observations]
    if len(set(ids)) != len(ids):
        raise InvalidAnswer("observations", "a course appears twice")
    event_times = sorted({o.time for o in observations if o.event})
    survival = Fraction(1)
    steps = []
    for t in event_times:
        at_risk = sum(1 for o in observations if o.time >= t)
        d = sum(1 for o in observations if o.time == t and o.event)
        survival *= Fraction(at_risk - d, at_risk)
        steps.append((t, survival))

    def s_at(t):
        value = Fraction(1)
        for time, after in steps:
            if time <= t:
                value = after
        return value

    points = []
    for t in times:
        at_risk = sum(1 for o in observations if o.time >= t)
        points.append(SurvivalPoint(
            time=t, at_risk=at_risk,
            events=sum(1 for o in observations if o.time == t and o.event),
            censored=sum(1 for o in observations if o.time == t and not o.event),
            survival=s_at(t) if at_risk else None))
    median = next((t for t, s in steps if s <= Fraction(1, 2)), None)
    return Durability(
        population=Count(len(observations), definition), points=tuple(points),
        steps=tuple(steps), events=sum(1 for o in observations if o.event),
        censored=sum(1 for o in observations if not o.event), median=median,
        observations=observations, definition=definition)


# --- One course ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CourseDiary:
    """What the diary figures of one course need (a service builds it from the database)."""

    course_id: int
    first_day: date  # local date of the first session
    end_day: date  # day 0: local date of the last attended session
    entries: tuple[DayEntry, ...] = ()  # the patient's entries (any dates; others are ignored)
    immediate_responder: bool | None = None  # pain >= 2 points lower at discharge
    admission: int | None = None  # pain at admission (R3)
    follow_ups: tuple[FollowUpPain, ...] = ()  # counted follow-up pain answers (R3)
    # The last date before a new course or a new preventive (its day before); None: none.
    censor_on: date | None = None


@dataclass(frozen=True)
class CourseDiaryOutcome:
    course_id: int
    baseline: WindowFigures
    blocks: tuple[WindowFigures, ...]
    responses: dict  # {(block key, figure): (Response | None, reason | None)}
    observation: Observation | None  # None: not in the durability population
    immediate_responder: bool | None

    @property
    def windows(self):
        return (self.baseline,) + self.blocks

    def block(self, key) -> WindowFigures:
        for block in self.blocks:
            if block.window.key == key:
                return block
        raise KeyError(key)


@dataclass(frozen=True)
class Settings:
    blocks: int = DEFAULT_BLOCKS
    min_filled: int = DEFAULT_MIN_FILLED
    rule: str = DEFAULT_RELAPSE_RULE
    min_baseline: int = DEFAULT_MIN_BASELINE
    min_points: int = 2  # the immediate-responder and R3 rule (Thresholds.responder_min_points)

    def checked(self):
        _whole(self.blocks, "blocks", 1)
        _whole(self.min_filled, "min_filled", 1)
        if self.min_filled > DAYS_PER_WINDOW:
            raise InvalidAnswer("min_filled", f"cannot be above {DAYS_PER_WINDOW}")
        _whole(self.min_baseline, "min_baseline", 0)
        _whole(self.min_points, "min_points", 0)
        if self.rule not in RELAPSE_RULES:
            raise InvalidAnswer("relapse rule", f"must be one of {RELAPSE_RULES}")
        return self


RESPONSE_FIGURES = (HEADACHE_DAYS, MIGRAINE_DAYS)


def course_diary_outcome(course: CourseDiary, today: date | None = None,
                         settings: Settings = Settings()) -> CourseDiaryOutcome:
    if not isinstance(course, CourseDiary):
        raise InvalidAnswer("course", f"must be a CourseDiary, got {course!r}")
    settings.checked()
    days = classify_all(course.entries)
    windows = course_windows(course.first_day, course.end_day, settings.blocks)
    figures = [window_figures(days, w, today=today, min_filled=settings.min_filled,
                              censor_on=course.censor_on) for w in windows]
    baseline, blocks = figures[0], tuple(figures[1:])
    responses = {(block.window.key, figure): response(baseline, block, figure,
                                                      settings.min_baseline)
                 for block in blocks for figure in RESPONSE_FIGURES}
    observation = relapse_observation(
        course.course_id, baseline, blocks, settings.rule, admission=course.admission,
        follow_ups=course.follow_ups, censor_on=course.censor_on,
        min_points=settings.min_points)
    return CourseDiaryOutcome(course.course_id, baseline, blocks, responses, observation,
                              course.immediate_responder)


# --- A cohort of courses --------------------------------------------------------------------------

@dataclass(frozen=True)
class WindowSummary:
    """One window over the cohort: means over the courses where it is evaluable, and why the
    others are not."""

    key: str
    headache_days: Mean
    migraine_days: Mean
    acute_medication_days: Mean
    not_evaluable: tuple[tuple[str, Count], ...]  # (status, count) for each non-evaluable status
    # Blocks only: mean reduction from baseline (baseline minus block; positive = fewer days),
    # over the courses where both are evaluable.
    headache_days_reduction: Mean | None = None
    migraine_days_reduction: Mean | None = None


@dataclass(frozen=True)
class Responders:
    """Diary responders in one block, for one figure."""

    key: str  # block key
    figure: str
    at_least_50: Rate
    at_least_30: Rate
    at_least_75: Rate
    not_evaluable: tuple[tuple[str, Count], ...]  # (reason, count), NOT_EVALUABLE_REASONS

    @property
    def not_evaluable_total(self):
        return sum(count.value for _reason, count in self.not_evaluable)


@dataclass(frozen=True)
class DiaryCohort:
    n: Count  # courses
    with_baseline: Count  # courses with an evaluable baseline
    without_baseline: Count  # started without an evaluable baseline diary
    windows: tuple[WindowSummary, ...]  # baseline, B1..Bn
    responders: tuple[Responders, ...]  # for each block, headache days then migraine days
    durability_immediate: Durability  # immediate responders with an evaluable baseline
    durability_all: Durability  # every course with an evaluable baseline
    settings: Settings
    times: tuple[int, ...]  # 28, 56, 84, ...
    courses: tuple[CourseDiaryOutcome, ...] = ()

    def window(self, key) -> WindowSummary:
        for summary in self.windows:
            if summary.key == key:
                return summary
        raise KeyError(key)

    def responders_for(self, key, figure=HEADACHE_DAYS) -> Responders:
        for item in self.responders:
            if item.key == key and item.figure == figure:
                return item
        raise KeyError((key, figure))


def _mean(values, definition):
    values = list(values)
    if not values:
        return Mean(None, 0, definition)
    return Mean(Fraction(sum(values), len(values)), len(values), definition)


FIGURE_WORDS = {HEADACHE_DAYS: "headache days", MIGRAINE_DAYS: "migraine days",
                ACUTE_MEDICATION_DAYS: "acute-medication days"}
WINDOW_WORDS = {BASELINE: "the baseline (the 28 days before the first session)"}


def _window_words(key, index):
    if key == BASELINE:
        return WINDOW_WORDS[BASELINE]
    return f"block {key} (days {DAYS_PER_WINDOW * (index - 1) + 1}-{DAYS_PER_WINDOW * index} " \
           f"after the last session)"


def diary_cohort(courses: Iterable[CourseDiary], today: date | None = None,
                 settings: Settings = Settings()) -> DiaryCohort:
    """The diary figures of a cohort of courses (each course once)."""
    if isinstance(courses, (str, bytes)) or not isinstance(courses, Iterable):
        raise InvalidAnswer("courses", "must be a list of CourseDiary")
    settings.checked()
    outcomes = tuple(course_diary_outcome(c, today, settings) for c in courses)
    ids = [o.course_id for o in outcomes]
    if len(set(ids)) != len(ids):
        raise InvalidAnswer("courses", "a course_id appears twice")
    minimum = settings.min_filled

    summaries = []
    for index in range(settings.blocks + 1):
        figures = [o.windows[index] for o in outcomes]
        key = figures[0].window.key if figures else (BASELINE if index == 0 else f"B{index}")
        words = _window_words(key, index)
        evaluable = [f for f in figures if f.evaluable]

        def mean_of(figure, words=words, evaluable=evaluable):
            return _mean((f.monthly(figure) for f in evaluable),
                         f"Mean monthly {FIGURE_WORDS[figure]} (days meeting the definition x "
                         f"28 / days filled) in {words}, over the courses with at least "
                         f"{minimum} of its 28 days filled")

        not_evaluable = tuple(
            (status, Count(sum(1 for f in figures if f.status == status),
                           _status_words(status, words, minimum)))
            for status in WINDOW_STATUSES if status != EVALUABLE
            and (index > 0 or status != AFTER_NEW_TREATMENT))
        reductions = {}
        if index > 0:
            for figure in RESPONSE_FIGURES:
                paired = [o.baseline.monthly(figure) - o.windows[index].monthly(figure)
                          for o in outcomes if o.baseline.evaluable and o.windows[index].evaluable]
                reductions[figure] = _mean(
                    paired, f"Mean reduction in monthly {FIGURE_WORDS[figure]} from the baseline "
                            f"to {words} (baseline minus block; positive = fewer days), over the "
                            f"courses where both have at least {minimum} of 28 days filled")
        summaries.append(WindowSummary(
            key=key, headache_days=mean_of(HEADACHE_DAYS), migraine_days=mean_of(MIGRAINE_DAYS),
            acute_medication_days=mean_of(ACUTE_MEDICATION_DAYS), not_evaluable=not_evaluable,
            headache_days_reduction=reductions.get(HEADACHE_DAYS),
            migraine_days_reduction=reductions.get(MIGRAINE_DAYS)))

    responders = []
    for index in range(1, settings.blocks + 1):
        key = f"B{index}"
        words = _window_words(key, index)
        for figure in RESPONSE_FIGURES:
            results = [o.responses[(key, figure)] for o in outcomes]
            counted = [r for r, _reason in results if r is not None]
            over = (f"of the courses with a baseline of at least {settings.min_baseline} monthly "
                    f"{FIGURE_WORDS[figure]} and at least {minimum} of 28 days filled in both "
                    f"the baseline and {words}")

            def rate(name, share, counted=counted, over=over, figure=figure, words=words):
                return Rate(sum(1 for r in counted if getattr(r, name)), len(counted),
                            f"Courses with monthly {FIGURE_WORDS[figure]} at least {share} % "
                            f"below the baseline in {words}, {over}")

            responders.append(Responders(
                key=key, figure=figure,
                at_least_50=rate("at_least_50", 50), at_least_30=rate("at_least_30", 30),
                at_least_75=rate("at_least_75", 75),
                not_evaluable=tuple(
                    (reason, Count(sum(1 for _r, why in results if why == reason),
                                   _reason_words(reason, figure, settings, words)))
                    for reason in NOT_EVALUABLE_REASONS)))

    times = tuple(DAYS_PER_WINDOW * k for k in range(1, settings.blocks + 1))
    in_population = [o for o in outcomes if o.observation is not None]
    rule_words = RELAPSE_DEFINITIONS[settings.rule]
    durability_all = product_limit(
        [o.observation for o in in_population], times,
        f"Courses with at least {minimum} of the 28 baseline days filled"
        + (" and a pain rating at admission" if settings.rule == R3 else "")
        + f"; still relieved = no relapse yet. {rule_words}.")
    durability_immediate = product_limit(
        [o.observation for o in in_population if o.immediate_responder], times,
        f"Immediate responders (pain at discharge at least {settings.min_points} points below "
        f"admission) among the courses with at least {minimum} of the 28 baseline days filled; "
        f"still relieved = no relapse yet. {rule_words}.")
    with_baseline = sum(1 for o in outcomes if o.baseline.evaluable)
    return DiaryCohort(
        n=Count(len(outcomes), "Courses in the report"),
        with_baseline=Count(with_baseline, f"Courses with at least {minimum} of the 28 days "
                                           f"before the first session filled in the diary"),
        without_baseline=Count(len(outcomes) - with_baseline,
                               f"Courses that started without a baseline diary (fewer than "
                               f"{minimum} of the 28 days before the first session filled): "
                               f"left out of the diary responders and the durability"),
        windows=tuple(summaries), responders=tuple(responders),
        durability_immediate=durability_immediate, durability_all=durability_all,
        settings=settings, times=times, courses=outcomes)


def _status_words(status, words, minimum):
    return {
        TOO_FEW_DAYS: f"Courses with fewer than {minimum} of the 28 days of {words} filled: "
                      f"not evaluable (no number, never 0)",
        NOT_OVER: f"Courses whose {words} has not ended yet",
        AFTER_NEW_TREATMENT: f"Courses where a new course or a new preventive began before "
                             f"the end of {words}",
    }[status]


def _reason_words(reason, figure, settings, words):
    return {
        "baseline_not_evaluable": f"No evaluable baseline (fewer than {settings.min_filled} of "
                                  f"the 28 days before the first session filled)",
        "baseline_below_minimum": f"Baseline below {settings.min_baseline} monthly "
                                  f"{FIGURE_WORDS[figure]}",
        "block_too_few_days": f"Fewer than {settings.min_filled} of the 28 days of {words} "
                              f"filled",
        "block_not_over": f"{words[0].upper()}{words[1:]} has not ended yet",
        "block_after_new_treatment": f"A new course or preventive began before the end of "
                                     f"{words}",
    }[reason]


# --- A month as a calendar (patients and clinicians) -----------------------------------------------

MISSING = "missing"
NO_HEADACHE = "no_headache"
HEADACHE = "headache"  # a headache reported (the patient's own word; any length)
FUTURE = "future"


@dataclass(frozen=True)
class CalendarDay:
    day: date
    state: str  # MISSING, NO_HEADACHE, HEADACHE, FUTURE
    cls: DayClass | None = None  # for a filled date
    outside: bool = False  # a date of the previous or next month that fills the week row


@dataclass(frozen=True)
class CalendarMonth:
    first: date  # the 1st of the month
    weeks: tuple[tuple[CalendarDay, ...], ...]  # Monday..Sunday rows
    filled: int
    days_in_month: int

    @property
    def days(self):
        return tuple(d for week in self.weeks for d in week if not d.outside)


def month_of(day: date) -> date:
    return day.replace(day=1)


def add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def calendar_month(first: date, days: dict, today: date) -> CalendarMonth:
    """The month of `first` as week rows (Monday first), each date marked MISSING (past or
    today, not filled), NO_HEADACHE, HEADACHE, or FUTURE."""
    first = month_of(first)
    count = calendar.monthrange(first.year, first.month)[1]
    start = first - timedelta(days=first.weekday())
    last = first.replace(day=count)
    end = last + timedelta(days=6 - last.weekday())
    cells = []
    day = start
    while day <= end:
        cls = days.get(day)
        if cls is not None:
            state = HEADACHE if cls.headache else NO_HEADACHE
        else:
            state = FUTURE if day > today else MISSING
        cells.append(CalendarDay(day, state, cls, outside=day.month != first.month))
        day += timedelta(days=1)
    weeks = tuple(tuple(cells[i:i + 7]) for i in range(0, len(cells), 7))
    filled = sum(1 for c in cells if not c.outside and c.cls is not None)
    return CalendarMonth(first, weeks, filled, count)


def months_between(first: date, last: date) -> list[date]:
    """The 1sts of every month from first's to last's, both included."""
    months, current = [], month_of(first)
    while current <= last:
        months.append(current)
        current = add_months(current, 1)
    return months

