"""Questionnaire scores and derived flags for the intake.

Everything here is information for a clinician, never a diagnosis or a
treatment decision. A band ("moderate"), a flag ("chronic_migraine") or a red
flag says that an answer or a published cut-off was met; what it means for the
patient is the clinician's judgement. Screens that show these values must say
so too. (The history flags are "criteria met by history", not diagnoses.)

Every item, range, score, band and flag comes from the clinical reference
(shared/clinical.md, cited below as "clinical.md"), which cites ICHD-3 for
chronic migraine and medication overuse, EHF 2020 for resistant migraine and
Schwenk et al. 2018 for pain responders.

This module is pure on purpose: standard library only, no web framework, no
database. Callers pass plain values and get frozen dataclasses back, so the
intake service, the clinician views and the outcomes report all share one
answer and the tests need no fixtures.

Conventions:
- A missing answer is None. When a scored item is missing there is no total
  and no band: clinical.md forbids proration. A flag that rests on one item
  (PHQ-9 item 9) is still raised.
- An answer of the wrong type or out of range raises InvalidAnswer naming the
  item. bool is refused where a number is expected: Python treats True as 1,
  and a tick box must never turn into a score.
- Cut-offs the clinic may change live in Thresholds. Item ranges, answer
  points and bands are part of each published instrument, so they are module
  constants: changing them would make the score stop being that instrument.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import product


class InvalidAnswer(ValueError):
    """An answer with the wrong type or outside its range. `item` names it
    ("phq9_3", "midas_q2", "hit6_total", "headache_days", ...)."""

    def __init__(self, item: str, message: str):
        super().__init__(f"{item}: {message}")
        self.item = item
        self.message = message


@dataclass(frozen=True)
class Thresholds:
    """Cut-offs the clinic may change. The defaults are clinical.md's."""

    # GAD-7 >= 10: "further evaluation" (clinical.md, Instruments), and a red flag.
    gad7_further_evaluation: int = 10

    # Pain responders per course (Schwenk et al. 2018, clinical.md Outcomes).
    # Percentages are whole numbers so every comparison stays in integers.
    # PainChange names its fields after the defaults (2 points, 30 %, 50 %).
    responder_min_points: int = 2
    responder_min_percent: int = 30
    strong_responder_min_percent: int = 50

    # Chronic migraine (ICHD-3 1.3 A-C): >= 15 headache days and >= 8 days
    # with migraine features a month, for MORE than 3 months.
    chronic_min_headache_days: int = 15
    chronic_min_migraine_days: int = 8
    chronic_more_than_months: int = 3

    # Medication overuse (ICHD-3 8.2): judged only with >= 15 headache days a
    # month for more than 3 months.
    overuse_min_headache_days: int = 15
    overuse_more_than_months: int = 3
    # Triptan, ergotamine, opioid, combination analgesic: each on >= 10 days.
    overuse_min_days_per_class: int = 10
    # Paracetamol, aspirin and other NSAIDs, as one class: >= 15 days.
    overuse_min_non_opioid_days: int = 15
    # Several classes, none overused alone: any acute medicine on >= 10 days.
    overuse_min_any_acute_days: int = 10

    # Resistant migraine (EHF 2020): >= 3 preventive classes failed and
    # >= 8 debilitating headache days a month for >= 3 months.
    resistant_min_failed_classes: int = 3
    resistant_min_debilitating_days: int = 8
    resistant_min_months: int = 3

    # clinical.md's red-flag list does not name resistant migraine, so it is
    # not a red flag unless the clinic turns this on.
    resistant_migraine_red_flag: bool = False


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class InstrumentScore:
    """One filled-in questionnaire: the answers as given, and what they add up to."""

    instrument: str  # "midas" | "phq9" | "gad7" | "hit6" | "nrs"
    version: str  # INSTRUMENTS[instrument]["version"]
    items: tuple  # the answers as given (None for missing), in item order
    total: int | None  # None when any scored item is missing (no proration)
    band: str | None
    flags: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


# --- The instruments (clinical.md, Instruments) -------------------------------

NRS_MAX = 10  # 0 no pain, 10 worst imaginable
MIDAS_MAX_DAYS = 90  # the recall period is the last 3 months
MIDAS_B_MAX = 10  # B is a 0-10 pain rating, not a day count
PHQ9_ITEM_COUNT = 9
GAD7_ITEM_COUNT = 7
PHQ_ITEM_MAX = 3  # PHQ-9 and GAD-7: 0 not at all ... 3 nearly every day
HIT6_ITEM_COUNT = 6
HIT6_ANSWER_POINTS = {"never": 6, "rarely": 8, "sometimes": 10, "very_often": 11, "always": 13}

# Bands as (lowest total, band), lowest first.
MIDAS_BANDS = ((0, "I"), (6, "II"), (11, "III"), (21, "IV"))
PHQ9_BANDS = (
    (0, "minimal"),
    (5, "mild"),
    (10, "moderate"),
    (15, "moderately_severe"),
    (20, "severe"),
)
GAD7_BANDS = ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe"))
HIT6_BANDS = ((36, "little_or_none"), (50, "some"), (56, "substantial"), (60, "severe"))

INSTRUMENTS: dict[str, dict] = {
    "nrs": {
        "version": "Pain NRS 0-10",
        "items": 1,
        "scored_items": 1,
        "loinc": {"score": "72514-3"},
        "licence": "free",
        "on_by_default": True,
    },
    "midas": {
        "version": "MIDAS",
        "items": 7,  # Q1-Q5, A, B
        "scored_items": 5,  # A and B are not scored
        "loinc": {},
        "licence": "terms unconfirmed: an instrument switch, on by default",
        "on_by_default": True,
    },
    "hit6": {
        "version": "HIT-6 (QualityMetric/GSK)",
        "items": HIT6_ITEM_COUNT,
        "scored_items": HIT6_ITEM_COUNT,
        "loinc": {},
        "licence": (
            "copyrighted (QualityMetric/GSK): item text off by default; a clinician may "
            "type a total from a licensed paper form"
        ),
        "on_by_default": False,
    },
    "phq9": {
        "version": "PHQ-9 (Pfizer)",
        "items": PHQ9_ITEM_COUNT + 1,  # + the difficulty item
        "scored_items": PHQ9_ITEM_COUNT,
        "loinc": {"panel": "44249-1", "total": "44261-6"},
        "licence": "free (Pfizer)",
        "on_by_default": True,
    },
    "gad7": {
        "version": "GAD-7 (Pfizer)",
        "items": GAD7_ITEM_COUNT,
        "scored_items": GAD7_ITEM_COUNT,
        "loinc": {"panel": "69737-5", "total": "70274-6"},
        "licence": "free (Pfizer)",
        "on_by_default": True,
    },
}


def _reachable_hit6_totals() -> frozenset[int]:
    """Every total six HIT-6 answers can add up to."""
    points = HIT6_ANSWER_POINTS.values()
    return frozenset(sum(answers) for answers in product(points, repeat=HIT6_ITEM_COUNT))


HIT6_REACHABLE_TOTALS = _reachable_hit6_totals()
HIT6_MIN_TOTAL = min(HIT6_REACHABLE_TOTALS)  # 36: "never" six times
HIT6_MAX_TOTAL = max(HIT6_REACHABLE_TOTALS)  # 78: "always" six times


# --- Scoring -------------------------------------------------------------------


def score_midas(q1, q2, q3, q4, q5, a=None, b=None) -> InstrumentScore:
    """MIDAS: Q1-Q5 are days (0-90) lost to headache in the last 3 months.

    A (headache days, 0-90) and B (pain, 0-10) are stored but not scored.
    """
    days = (q1, q2, q3, q4, q5)
    for number, answer in enumerate(days, start=1):
        _optional_whole_number(answer, f"midas_q{number}", 0, MIDAS_MAX_DAYS)
    _optional_whole_number(a, "midas_a", 0, MIDAS_MAX_DAYS)
    _optional_whole_number(b, "midas_b", 0, MIDAS_B_MAX)

    total = _total(days)
    band = _band(total, MIDAS_BANDS)
    flags = ("midas_grade_iv",) if band == "IV" else ()

    # Soft warnings (clinical.md): the answers are allowed, but a clinician
    # should look at them. Q2 counts days at work at half productivity NOT
    # counting the days missed in Q1, so Q1 and Q2 are different days out of
    # 90; the same holds for Q3 and Q4 (household work).
    warnings = []
    if q1 is not None and q2 is not None and q1 + q2 > MIDAS_MAX_DAYS:
        warnings.append("midas_q1_q2_over_90")
    if q3 is not None and q4 is not None and q3 + q4 > MIDAS_MAX_DAYS:
        warnings.append("midas_q3_q4_over_90")
    # A is the number of headache days: no day is lost to a headache without one.
    if a is not None and any(answer is not None and answer > a for answer in days):
        warnings.append("midas_item_over_a")

    return InstrumentScore(
        instrument="midas",
        version=INSTRUMENTS["midas"]["version"],
        items=(*days, a, b),
        total=total,
        band=band,
        flags=flags,
        warnings=tuple(warnings),
    )


def score_phq9(items: Sequence[int | None], difficulty: int | None = None) -> InstrumentScore:
    """PHQ-9: nine items 0-3, total 0-27. The difficulty item (0-3) is stored
    as the tenth item and not scored."""
    answers = _answers(items, "phq9", PHQ9_ITEM_COUNT)
    for number, answer in enumerate(answers, start=1):
        _optional_whole_number(answer, f"phq9_{number}", 0, PHQ_ITEM_MAX)
    _optional_whole_number(difficulty, "phq9_difficulty", 0, PHQ_ITEM_MAX)

    total = _total(answers)
    # clinical.md Red flags: item 9 > 0 WHATEVER the total, so also when
    # another item is missing and there is no total at all.
    item9 = answers[8]
    flags = ("phq9_item9_positive",) if item9 is not None and item9 > 0 else ()

    return InstrumentScore(
        instrument="phq9",
        version=INSTRUMENTS["phq9"]["version"],
        items=(*answers, difficulty),
        total=total,
        band=_band(total, PHQ9_BANDS),
        flags=flags,
    )


def score_gad7(
    items: Sequence[int | None], thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> InstrumentScore:
    """GAD-7: seven items 0-3, total 0-21."""
    answers = _answers(items, "gad7", GAD7_ITEM_COUNT)
    for number, answer in enumerate(answers, start=1):
        _optional_whole_number(answer, f"gad7_{number}", 0, PHQ_ITEM_MAX)

    total = _total(answers)
    # clinical.md: GAD-7 >= 10 calls for further evaluation.
    further_evaluation = total is not None and total >= thresholds.gad7_further_evaluation
    flags = ("gad7_further_evaluation",) if further_evaluation else ()

    return InstrumentScore(
        instrument="gad7",
        version=INSTRUMENTS["gad7"]["version"],
        items=answers,
        total=total,
        band=_band(total, GAD7_BANDS),
        flags=flags,
    )


def score_hit6(answers: Sequence[str | None]) -> InstrumentScore:
    """HIT-6: six answers, each one of the keys of HIT6_ANSWER_POINTS."""
    given = _answers(answers, "hit6", HIT6_ITEM_COUNT)
    for number, answer in enumerate(given, start=1):
        if answer is not None and (not isinstance(answer, str) or answer not in HIT6_ANSWER_POINTS):
            choices = ", ".join(HIT6_ANSWER_POINTS)
            raise InvalidAnswer(f"hit6_{number}", f"must be one of {choices}, got {answer!r}")

    if any(answer is None for answer in given):
        return InstrumentScore("hit6", INSTRUMENTS["hit6"]["version"], given, None, None)
    return _hit6_score(given, sum(HIT6_ANSWER_POINTS[answer] for answer in given))


def hit6_band(total: int) -> str:
    """The HIT-6 band of a total between 36 and 78."""
    _whole_number(total, "hit6_total", HIT6_MIN_TOTAL, HIT6_MAX_TOTAL)
    return _band(total, HIT6_BANDS)


def validate_hit6_total(total: int) -> int:
    """A total a clinician typed from a licensed paper form: it must be one
    that six answers can add up to (clinical.md: 37, 39 and 77 cannot)."""
    _whole_number(total, "hit6_total", HIT6_MIN_TOTAL, HIT6_MAX_TOTAL)
    if total not in HIT6_REACHABLE_TOTALS:
        raise InvalidAnswer("hit6_total", f"no six HIT-6 answers add up to {total}")
    return total


def score_hit6_total(total: int) -> InstrumentScore:
    """A typed HIT-6 total: there are no item answers to store."""
    return _hit6_score((), validate_hit6_total(total))


def _hit6_score(items: tuple, total: int) -> InstrumentScore:
    band = hit6_band(total)
    return InstrumentScore(
        instrument="hit6",
        version=INSTRUMENTS["hit6"]["version"],
        items=items,
        total=total,
        band=band,
        flags=("hit6_severe",) if band == "severe" else (),
    )


# --- Pain ----------------------------------------------------------------------


def validate_nrs(value, item: str = "nrs") -> int:
    """A pain rating: a whole number 0-10."""
    return _whole_number(value, item, 0, NRS_MAX)


@dataclass(frozen=True)
class PainChange:
    """How pain changed over one course (clinical.md Outcomes)."""

    admission: int  # before the first session of the course
    discharge: int  # the last rating within the course
    change: int  # admission - discharge; negative when the pain got worse
    percent_change: float | None  # None ("not evaluable") when admission is 0
    responder_2_points: bool
    responder_30_percent: bool
    responder_50_percent: bool


def pain_change(
    admission: int, discharge: int, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> PainChange:
    """Change in pain from admission to discharge, with the three responder flags
    kept separately (Schwenk et al. 2018)."""
    validate_nrs(admission, "admission")
    validate_nrs(discharge, "discharge")
    change = admission - discharge

    if admission == 0:
        # clinical.md: not evaluable, never shown as 0 % or 100 %; and no
        # percent responder (100 * change >= 30 * 0 would be "true").
        percent_change = None
        responder_30 = responder_50 = False
    else:
        percent_change = 100 * change / admission
        # clinical.md: compare in integers, 10*(b-a) >= 3*b and 2*(b-a) >= b,
        # written here as 100 * change >= percent * admission.
        responder_30 = 100 * change >= thresholds.responder_min_percent * admission
        responder_50 = 100 * change >= thresholds.strong_responder_min_percent * admission

    return PainChange(
        admission=admission,
        discharge=discharge,
        change=change,
        percent_change=percent_change,
        responder_2_points=change >= thresholds.responder_min_points,
        responder_30_percent=responder_30,
        responder_50_percent=responder_50,
    )


# --- Headache history ------------------------------------------------------------

MAX_DAYS_PER_MONTH = 31
ACUTE_MEDICATION_CLASSES = (
    "triptan",
    "ergotamine",
    "opioid",
    "combination_analgesic",
    "paracetamol",
    "aspirin",
    "nsaid",
    "other",
)
# clinical.md: paracetamol, aspirin and other NSAIDs count as ONE class.
NON_OPIOID_ANALGESICS = frozenset({"paracetamol", "aspirin", "nsaid"})
# Classes judged one at a time at >= 10 days/month (ICHD-3 8.2).
SINGLE_OVERUSE_CLASSES = ("triptan", "ergotamine", "opioid", "combination_analgesic")


@dataclass(frozen=True)
class AcuteMedication:
    """One row of the acute-medicine table."""

    class_: str  # one of ACUTE_MEDICATION_CLASSES
    days_per_month: int


@dataclass(frozen=True)
class ClassDays:
    """Days a month with one class of acute medicine, as far as the answers
    tell: exactly (at_least == at_most) or within a range (clinical.md, "Days
    of a class")."""

    class_: str  # one of SINGLE_OVERUSE_CLASSES, or "non_opioid_analgesics"
    at_least: int
    at_most: int


@dataclass(frozen=True)
class HistoryFlags:
    """Criteria met by history (clinical.md): information, not diagnoses."""

    chronic_migraine: bool
    # Overused classes, in the order of SINGLE_OVERUSE_CLASSES then
    # "non_opioid_analgesics"; or ("multiple_classes",) alone.
    medication_overuse: tuple[str, ...]
    # An overuse threshold is reached, but headache days are below 15 or not
    # for more than 3 months: a note for the clinician, not an overuse flag.
    high_acute_medication_use: bool
    resistant_migraine: bool
    # Classes whose days may reach the overuse threshold, but only when their
    # rows are added up (two drugs of one class may share a day): a note, in
    # the order of SINGLE_OVERUSE_CLASSES. Judged like overuse (>= 15
    # headache days for more than 3 months), and never for a flagged class.
    possible_medication_overuse: tuple[str, ...] = ()


def history_flags(
    *,
    headache_days: int,
    migraine_days: int,
    months_at_frequency: int,
    prior_migraine_attacks_at_least_5: bool,
    acute_medications: Sequence[AcuteMedication],
    any_acute_days: int,
    any_non_opioid_days: int,
    failed_preventive_classes: int,
    debilitating_days: int,
    months_debilitating: int | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> HistoryFlags:
    """Chronic migraine, medication overuse and resistant migraine criteria,
    using the answers of the headache-history and medicine steps.

    Day counts are per month (0-31). Raises InvalidAnswer naming the field
    for a value out of range or a combination that cannot be true.
    """
    # clinical.md intake step 2: each day count is 0-31, none above headache days.
    for name, value in (
        ("headache_days", headache_days),
        ("migraine_days", migraine_days),
        ("debilitating_days", debilitating_days),
        ("any_acute_days", any_acute_days),
        ("any_non_opioid_days", any_non_opioid_days),
    ):
        _whole_number(value, name, 0, MAX_DAYS_PER_MONTH)
    if migraine_days > headache_days:
        raise InvalidAnswer("migraine_days", "cannot be more than the headache days")
    if debilitating_days > headache_days:
        raise InvalidAnswer("debilitating_days", "cannot be more than the headache days")
    _whole_number(months_at_frequency, "months_at_frequency", 0)
    if months_debilitating is None:
        # Usually asked once: the current frequency has lasted this long.
        months_debilitating = months_at_frequency
    _whole_number(months_debilitating, "months_debilitating", 0)
    _whole_number(failed_preventive_classes, "failed_preventive_classes", 0)
    if not isinstance(prior_migraine_attacks_at_least_5, bool):
        raise InvalidAnswer("prior_migraine_attacks_at_least_5", "must be True or False")
    rows = _acute_rows(acute_medications)

    # The "any" counts cover every drug, so none can be below one drug's days.
    if any_non_opioid_days > any_acute_days:
        raise InvalidAnswer(
            "any_non_opioid_days", "cannot be more than the days with any acute medicine"
        )
    for index, row in enumerate(rows):
        if row.days_per_month > any_acute_days:
            raise InvalidAnswer(
                "any_acute_days",
                f"cannot be fewer than the {row.days_per_month} days of acute_medications[{index}]",
            )
        if row.class_ in NON_OPIOID_ANALGESICS and row.days_per_month > any_non_opioid_days:
            raise InvalidAnswer(
                "any_non_opioid_days",
                f"cannot be fewer than the {row.days_per_month} days of acute_medications[{index}]",
            )

    t = thresholds
    # ICHD-3 1.3 A-C: >= 15 headache days and >= 8 migraine days a month, for
    # MORE than 3 months (3 is not enough, 4 is), after >= 5 migraine attacks.
    chronic_migraine = (
        headache_days >= t.chronic_min_headache_days
        and migraine_days >= t.chronic_min_migraine_days
        and months_at_frequency > t.chronic_more_than_months
        and prior_migraine_attacks_at_least_5
    )

    days = acute_class_days(rows, any_acute_days, any_non_opioid_days)
    reached = _overuse_thresholds_reached(days, any_acute_days, t)
    # ICHD-3 8.2 (clinical.md): overuse is judged only with >= 15 headache days
    # a month for more than 3 months. Below that, the same use is only a note.
    frequent_headache = (
        headache_days >= t.overuse_min_headache_days
        and months_at_frequency > t.overuse_more_than_months
    )

    # EHF 2020: >= 3 preventive classes failed AND >= 8 debilitating days a
    # month for >= 3 months (here "at least", unlike ICHD-3's "more than").
    resistant_migraine = (
        failed_preventive_classes >= t.resistant_min_failed_classes
        and debilitating_days >= t.resistant_min_debilitating_days
        and months_debilitating >= t.resistant_min_months
    )

    # Only the sum of a class's rows reaches its threshold: possibly overused.
    possible = tuple(
        d.class_ for d in days
        if d.class_ not in reached and d.at_most >= _overuse_threshold(d.class_, t)
    )

    return HistoryFlags(
        chronic_migraine=chronic_migraine,
        medication_overuse=reached if frequent_headache else (),
        high_acute_medication_use=bool(reached) and not frequent_headache,
        resistant_migraine=resistant_migraine,
        possible_medication_overuse=possible if frequent_headache else (),
    )


def _acute_rows(acute_medications: Sequence[AcuteMedication]) -> tuple[AcuteMedication, ...]:
    if isinstance(acute_medications, (str, bytes)):
        raise InvalidAnswer("acute_medications", "must be a list of AcuteMedication rows")
    rows = tuple(acute_medications)
    for index, row in enumerate(rows):
        name = f"acute_medications[{index}]"
        if not isinstance(row, AcuteMedication):
            raise InvalidAnswer(name, f"must be an AcuteMedication, got {row!r}")
        if row.class_ not in ACUTE_MEDICATION_CLASSES:
            raise InvalidAnswer(f"{name}.class_", f"unknown class {row.class_!r}")
        _whole_number(row.days_per_month, f"{name}.days_per_month", 0, MAX_DAYS_PER_MONTH)
    return rows


def acute_class_days(
    rows: Sequence[AcuteMedication], any_acute_days: int, any_non_opioid_days: int
) -> tuple[ClassDays, ...]:
    """The days a month of each class used (clinical.md, "Days of a class"),
    from rows already checked by history_flags.

    Per-drug days cannot be added up: two drugs of one class can be taken on
    the same day, so two triptans on 6 days each may be 6 days of triptan or
    12. When every row taken is of that one class, the class's days are the
    days with ANY acute medicine (two triptans at 6 days each with 12 "any"
    days = 12 triptan days); otherwise at least its largest row and at most
    the sum of its rows (never more than the "any" days). A combination
    analgesic counts in its own class only. Non-opioid analgesics are ONE
    class, and the form asks their days directly: exact. A row with 0 days
    is not a medicine taken; days with a non-opioid analgesic are another
    class taken, listed or not.
    """
    taken = [row for row in rows if row.days_per_month > 0]
    found = []
    for class_ in SINGLE_OVERUSE_CLASSES:
        days = [row.days_per_month for row in taken if row.class_ == class_]
        if not days:
            continue
        if len(days) == len(taken) and any_non_opioid_days == 0:
            found.append(ClassDays(class_, any_acute_days, any_acute_days))
        else:
            found.append(ClassDays(class_, max(days), min(sum(days), any_acute_days)))
    if any_non_opioid_days > 0:
        found.append(ClassDays("non_opioid_analgesics", any_non_opioid_days,
                               any_non_opioid_days))
    return tuple(found)


def _overuse_threshold(class_: str, t: Thresholds) -> int:
    """ICHD-3 8.2: >= 15 days for the non-opioid analgesics together, >= 10
    for each other class."""
    if class_ == "non_opioid_analgesics":
        return t.overuse_min_non_opioid_days
    return t.overuse_min_days_per_class


def _overuse_thresholds_reached(
    days: tuple[ClassDays, ...],
    any_acute_days: int,
    t: Thresholds,
) -> tuple[str, ...]:
    """The overuse thresholds of ICHD-3 8.2 that the medicine use reaches,
    whatever the headache frequency. A class reaches its threshold when its
    days surely do (ClassDays.at_least)."""
    reached = [d.class_ for d in days if d.at_least >= _overuse_threshold(d.class_, t)]
    if reached:
        return tuple(reached)

    # Several classes, none overused alone, but some acute medicine on >= 10
    # days: "multiple classes". Only the classes ICHD-3 8.2 names count; a
    # drug of class "other" is not one of them.
    if len(days) >= 2 and any_acute_days >= t.overuse_min_any_acute_days:
        return ("multiple_classes",)
    return ()


# --- Red flags ---------------------------------------------------------------------

# Headache red flags (clinical.md): sudden "worst ever" headache, fever with
# stiff neck, new neurological deficit, headache after head injury.
HEADACHE_RED_FLAGS = ("thunderclap", "fever_stiff_neck", "neuro_deficit", "after_head_injury")
# clinical.md: shown to the patient at once when PHQ-9 item 9 > 0 (Ukraine).
CRISIS_CONTACTS = (("emergency", "112"), ("ambulance", "103"), ("lifeline_ukraine", "7333"))


@dataclass(frozen=True)
class RedFlag:
    """Something a clinician should see first."""

    code: str
    urgent: bool  # PHQ-9 item 9 and the four headache red flags
    action: str  # "crisis_contacts" | "emergency_care" | "clinician_review"
    details: tuple[str, ...] = ()  # e.g. the positive pre-screen items, the overused classes


def red_flags(
    *,
    phq9: InstrumentScore | None = None,
    gad7: InstrumentScore | None = None,
    midas: InstrumentScore | None = None,
    hit6: InstrumentScore | None = None,
    headache_red_flags: Iterable[str] = (),
    ketamine_prescreen_positive: Iterable[str] = (),
    history: HistoryFlags | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> list[RedFlag]:
    """The red flags of one intake, urgent ones first, then in a fixed order.

    headache_red_flags: names from HEADACHE_RED_FLAGS (a "headache_" prefix is
    allowed). ketamine_prescreen_positive: the pre-screen items answered yes.
    Pass the thresholds the scores were made with.
    """
    for score, instrument in ((phq9, "phq9"), (gad7, "gad7"), (midas, "midas"), (hit6, "hit6")):
        # A score passed in the wrong slot would silently hide its red flag.
        if score is not None and score.instrument != instrument:
            raise ValueError(f"{instrument}= got a {score.instrument!r} score")
    headache = _names(headache_red_flags, "headache_red_flags")
    for name in headache:
        if name.removeprefix("headache_") not in HEADACHE_RED_FLAGS:
            raise InvalidAnswer("headache_red_flags", f"unknown red flag {name!r}")
    headache = {name.removeprefix("headache_") for name in headache}
    prescreen = _names(ketamine_prescreen_positive, "ketamine_prescreen_positive")

    found = []
    # clinical.md: PHQ-9 item 9 > 0, whatever the total: urgent, same-day
    # follow-up; the patient sees crisis contacts immediately.
    if phq9 is not None and "phq9_item9_positive" in phq9.flags:
        found.append(RedFlag("phq9_item9", urgent=True, action="crisis_contacts"))
    # clinical.md: the patient is told to seek emergency care now.
    for name in HEADACHE_RED_FLAGS:
        if name in headache:
            found.append(RedFlag(f"headache_{name}", urgent=True, action="emergency_care"))

    def review(code, details=()):
        found.append(RedFlag(code, urgent=False, action="clinician_review", details=details))

    if prescreen:
        review("ketamine_prescreen_positive", details=prescreen)
    # clinical.md: GAD-7 >= 10 (no total, no flag: there is no proration).
    if gad7 is not None and gad7.total is not None:
        if gad7.total >= thresholds.gad7_further_evaluation:
            review("gad7_high")
    if midas is not None and midas.band == "IV":
        review("midas_grade_iv")
    # clinical.md: HIT-6 >= 60, which is exactly the "severe" band.
    if hit6 is not None and hit6.band == "severe":
        review("hit6_severe")
    if history is not None:
        if history.medication_overuse:
            review("medication_overuse", details=history.medication_overuse)
        if history.possible_medication_overuse:
            review("possible_medication_overuse", details=history.possible_medication_overuse)
        if history.chronic_migraine:
            review("chronic_migraine")
        if history.resistant_migraine and thresholds.resistant_migraine_red_flag:
            review("resistant_migraine")

    # Already in this order; the sort (stable) keeps "urgent first" true if
    # someone adds a flag above in the wrong place.
    return sorted(found, key=lambda flag: not flag.urgent)


# --- Helpers -------------------------------------------------------------------------


def _whole_number(value, item: str, low: int, high: int | None = None) -> int:
    # bool is a subclass of int: True must not pass as 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAnswer(item, f"must be a whole number, got {value!r}")
    if high is None and value < low:
        raise InvalidAnswer(item, f"must be at least {low}, got {value}")
    if high is not None and not low <= value <= high:
        raise InvalidAnswer(item, f"must be between {low} and {high}, got {value}")
    return value


def _optional_whole_number(value, item: str, low: int, high: int) -> None:
    if value is not None:
        _whole_number(value, item, low, high)


def _answers(items, instrument: str, count: int) -> tuple:
    """The answers as a tuple of exactly `count`, or InvalidAnswer naming the instrument."""
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise InvalidAnswer(instrument, f"expected a list of {count} answers, got {items!r}")
    if len(items) != count:
        raise InvalidAnswer(instrument, f"expected {count} answers, got {len(items)}")
    return tuple(items)


def _total(answers: tuple) -> int | None:
    # clinical.md: a missing item means the total is not scored (no proration).
    if any(answer is None for answer in answers):
        return None
    return sum(answers)


def _band(total: int | None, bands: tuple[tuple[int, str], ...]) -> str | None:
    """The band with the highest lowest-total not above `total`."""
    if total is None:
        return None
    found = None
    for lowest, band in bands:
        if total >= lowest:
            found = band
    return found


def _names(values: Iterable[str], field: str) -> tuple[str, ...]:
    """Distinct non-empty strings, in the order given."""
    # A bare string is iterable too, and would turn into single letters.
    if isinstance(values, (str, bytes)):
        raise InvalidAnswer(field, "expected a list of names, not one string")
    names = []
    for value in values:
        if not isinstance(value, str) or not value:
            raise InvalidAnswer(field, f"expected names, got {value!r}")
        if value not in names:
            names.append(value)
    return tuple(names)
