"""The outcomes report's headache-diary and durability parts (booking/diary/figures.py's
DiaryCohort, as report.diary): figure rows for the page and the CSV summary (each with its
definition and denominator), the JSON objects "diary" and "durability", the per-course CSV
columns and JSON, and the durability step chart.

Rows are plain tuples (key, label, unit, figure, over) that booking/dashboard/outcomes.py turns
into its FigureRow, so this module needs nothing from it (no import cycle).
"""
from flask_babel import gettext as _
from markupsafe import Markup

from ..courses.outcome_figures import NOT_EVALUABLE
from ..diary import figures
from ..diary.survival_chart import survival_svg
from ..templating import local_number

STATUS_KEYS = {figures.TOO_FEW_DAYS: "too_few_days", figures.NOT_OVER: "not_over",
               figures.AFTER_NEW_TREATMENT: "after_new_treatment"}


def window_title(key):
    if key == figures.BASELINE:
        return _("Baseline (the 28 days before the first session)")
    k = int(key[1:])
    return _("%(block)s (days %(first)d-%(last)d after the last session)", block=key,
             first=figures.DAYS_PER_WINDOW * (k - 1) + 1, last=figures.DAYS_PER_WINDOW * k)


def _status_label(status, minimum):
    if status == figures.TOO_FEW_DAYS:
        return _("not evaluable: fewer than %(min)d of 28 days filled", min=minimum)
    if status == figures.NOT_OVER:
        return _("not over yet")
    return _("a new course or preventive began before its end")


def _reason_label(reason, figure, settings):
    words = _figure_words(figure)
    return {
        "baseline_not_evaluable": _("no evaluable baseline (fewer than %(min)d of 28 days "
                                    "filled)", min=settings.min_filled),
        "baseline_below_minimum": _("baseline below %(n)d %(figure)s a month",
                                    n=settings.min_baseline, figure=words),
        "block_too_few_days": _("fewer than %(min)d of the block's 28 days filled",
                                min=settings.min_filled),
        "block_not_over": _("the block has not ended yet"),
        "block_after_new_treatment": _("a new course or preventive began before the block's "
                                       "end"),
    }[reason]


def _figure_words(figure):
    return _("headache days") if figure == figures.HEADACHE_DAYS else _("migraine days")


def summary_rows(diary):
    """The diary's counts: courses with and without a baseline."""
    return [
        ("diary_with_baseline", _("Courses with a baseline diary"), "", diary.with_baseline,
         _("completed courses")),
        ("diary_without_baseline", _("Courses started without a baseline diary"), "",
         diary.without_baseline, _("completed courses, out of the diary responders and the "
                                   "durability")),
    ]


def window_rows(diary, window):
    """Means of one window (and, for a block, the mean reduction from baseline)."""
    title, key = window_title(window.key), window.key
    rows = [
        (f"diary_{key}_headache_days", _("%(window)s: headache days a month, mean",
                                         window=title), _("days"), window.headache_days, ""),
        (f"diary_{key}_migraine_days", _("%(window)s: migraine days a month, mean",
                                         window=title), _("days"), window.migraine_days, ""),
        (f"diary_{key}_acute_medication_days",
         _("%(window)s: acute-medication days a month, mean", window=title), _("days"),
         window.acute_medication_days, ""),
    ]
    if window.headache_days_reduction is not None:
        rows += [
            (f"diary_{key}_headache_days_reduction",
             _("%(window)s: reduction in headache days from baseline, mean", window=title),
             _("days"), window.headache_days_reduction, ""),
            (f"diary_{key}_migraine_days_reduction",
             _("%(window)s: reduction in migraine days from baseline, mean", window=title),
             _("days"), window.migraine_days_reduction, ""),
        ]
    return rows


def window_left_out_rows(diary, window):
    title, minimum = window_title(window.key), diary.settings.min_filled
    return [(f"diary_{window.key}_{STATUS_KEYS[status]}",
             _("%(window)s: %(reason)s", window=title, reason=_status_label(status, minimum)),
             "", count, _("completed courses, no figure for this window"))
            for status, count in window.not_evaluable]


def responder_rows(diary, responders):
    title = window_title(responders.key)
    words = _figure_words(responders.figure)
    prefix = f"diary_{responders.key}_{responders.figure}"
    return [
        (f"{prefix}_responders_50", _("%(window)s: at least 50 %% fewer %(figure)s",
                                      window=title, figure=words), "%", responders.at_least_50,
         ""),
        (f"{prefix}_responders_30", _("%(window)s: at least 30 %% fewer %(figure)s",
                                      window=title, figure=words), "%", responders.at_least_30,
         ""),
        (f"{prefix}_responders_75", _("%(window)s: at least 75 %% fewer %(figure)s",
                                      window=title, figure=words), "%", responders.at_least_75,
         ""),
    ]


def responder_left_out_rows(diary, responders):
    title = window_title(responders.key)
    words = _figure_words(responders.figure)
    return [(f"diary_{responders.key}_{responders.figure}_not_evaluable_{reason}",
             _("%(window)s, %(figure)s responders not evaluable: %(reason)s", window=title,
               figure=words, reason=_reason_label(reason, responders.figure, diary.settings)),
             "", count, _("completed courses"))
            for reason, count in responders.not_evaluable]


def all_rows(diary):
    """Every diary figure row, in the page's order (for the CSV summary)."""
    rows = summary_rows(diary)
    for window in diary.windows:
        rows += window_rows(diary, window) + window_left_out_rows(diary, window)
    for responders in diary.responders:
        rows += responder_rows(diary, responders) + responder_left_out_rows(diary, responders)
    return rows


def page_sections(diary, row_type):
    """What the page shows, rows as `row_type` (outcomes.FigureRow)."""
    minimum = diary.settings.min_filled
    means = _("Days meeting the definition × 28 ÷ days filled in the window, averaged over the "
              "courses with at least %(min)d of its 28 days filled.", min=minimum)
    counts = _("Completed courses counted apart, with no figure (never 0).")
    baseline = _("Baseline diary: at least %(min)d of the 28 days before the first session "
                 "filled.", min=minimum)
    responders = _("Courses whose monthly figure in the block is at least that share below the "
                   "baseline, over the courses with a baseline of at least %(b)d days a month "
                   "and at least %(min)d days filled in both windows.",
                   b=diary.settings.min_baseline, min=minimum)

    def rows(items, definition):
        return [row_type(*item, definition=definition) for item in items]

    return {
        "summary": rows(summary_rows(diary), baseline),
        "windows": rows([row for w in diary.windows for row in window_rows(diary, w)], means),
        "windows_left_out": rows([row for w in diary.windows
                                  for row in window_left_out_rows(diary, w)], counts),
        "responders": [(window_title(item.key), _figure_words(item.figure),
                        rows(responder_rows(diary, item), responders),
                        rows(responder_left_out_rows(diary, item), counts))
                       for item in diary.responders],
        "populations": populations(diary),
        "rule": rule_words(diary.settings.rule),
    }


# --- Durability ---------------------------------------------------------------------------------

def populations(diary):
    """[(key, title, Durability)]: the immediate responders first (the figure shown first)."""
    return [
        ("immediate_responders", _("Immediate responders (pain at least %(n)d points lower at "
                                   "discharge)", n=diary.settings.min_points),
         diary.durability_immediate),
        ("all_with_baseline", _("All courses with a baseline diary"), diary.durability_all),
    ]


def rule_words(rule):
    return {
        "R1": _("Relapse: the first 28-day block after the course with monthly headache days "
                "above half the baseline (exactly half stays relieved)."),
        "R2": _("Relapse: the first 28-day block after the course with monthly headache days "
                "back to the baseline or above."),
        "R3": _("Relapse: the first follow-up answer whose pain is no longer at least 2 points "
                "below the pain at admission."),
    }[rule]


def percent_text(point):
    shown = point.shown()
    return NOT_EVALUABLE if shown is None else _("%(percent)s %%", percent=shown)


def median_text(durability):
    if durability.median is None:
        return _("not reached")
    return _("%(days)d days", days=durability.median)


def durability_svg(diary):
    """The step chart of both populations (decimals in the page's language)."""
    def text(point):
        shown = point.shown()
        return NOT_EVALUABLE if shown is None else _("%(percent)s %%",
                                                     percent=local_number(shown))

    return Markup(survival_svg(
        [(title, durability) for _key, title, durability in populations(diary)], diary.times,
        title=_("Still relieved after the course"),
        description=_("Product-limit (Kaplan-Meier) estimate of the share of courses still "
                      "relieved at each day after the course, one step line per population; "
                      "short vertical ticks mark courses no longer followed (censored). The "
                      "same numbers are in the table."),
        x_axis_label=_("Days after the last session"), y_axis_label=_("Still relieved (%)"),
        percent_text=text, empty_text=_("No courses with a baseline diary in this period")))


def durability_csv_rows(diary):
    """[label, value, unit, numerator, denominator, definition] rows for the CSV summary."""
    rows = []
    for _key, title, durability in populations(diary):
        rows.append([_("Durability, %(population)s: courses", population=title),
                     durability.population.value, "", "", "", durability.definition])
        for point in durability.points:
            rows.append([_("Durability, %(population)s: still relieved at day %(day)d",
                           population=title, day=point.time),
                         point.shown() or "", "%", "", "",
                         _("Product-limit estimate. At risk: %(at_risk)d; relapses at this "
                           "time: %(events)d; censored at this time: %(censored)d.",
                           at_risk=point.at_risk, events=point.events,
                           censored=point.censored)])
        rows.append([_("Durability, %(population)s: relapses", population=title),
                     durability.events, "", "", "", ""])
        rows.append([_("Durability, %(population)s: censored", population=title),
                     durability.censored, "", "", "", ""])
        rows.append([_("Durability, %(population)s: median days still relieved",
                       population=title),
                     durability.median if durability.median is not None else _("not reached"),
                     _("days"), "", "", ""])
    return rows


def _number(text):
    return None if text is None else float(text)


def durability_json(diary):
    def one(durability):
        return {
            "population": durability.population.value,
            "definition": durability.definition,
            "events": durability.events,
            "censored": durability.censored,
            "median_days": durability.median,
            "points": [{"days": p.time, "still_relieved_percent": _number(p.shown()),
                        "at_risk": p.at_risk, "events": p.events, "censored": p.censored}
                       for p in durability.points],
        }

    return {
        "relapse_rule": diary.settings.rule,
        "relapse_definition": figures.RELAPSE_DEFINITIONS[diary.settings.rule],
        "estimator": "product-limit (Kaplan-Meier); events before censorings at the same time",
        **{key: one(durability) for key, _title, durability in populations(diary)},
    }


def diary_json(diary, figure_json):
    """`figure_json` is outcomes.py's writer of a Count / Mean / Rate."""
    windows = {}
    for window in diary.windows:
        entry = {"headache_days": figure_json(window.headache_days),
                 "migraine_days": figure_json(window.migraine_days),
                 "acute_medication_days": figure_json(window.acute_medication_days),
                 "not_evaluable": {STATUS_KEYS[s]: figure_json(c)
                                   for s, c in window.not_evaluable}}
        if window.headache_days_reduction is not None:
            entry["headache_days_reduction"] = figure_json(window.headache_days_reduction)
            entry["migraine_days_reduction"] = figure_json(window.migraine_days_reduction)
        windows[window.key] = entry
    responders = {}
    for item in diary.responders:
        responders.setdefault(item.key, {})[item.figure] = {
            "at_least_50_percent": figure_json(item.at_least_50),
            "at_least_30_percent": figure_json(item.at_least_30),
            "at_least_75_percent": figure_json(item.at_least_75),
            "not_evaluable": {reason: figure_json(count)
                              for reason, count in item.not_evaluable},
        }
    return {
        "settings": {"blocks": diary.settings.blocks,
                     "min_filled_days": diary.settings.min_filled,
                     "min_baseline_days": diary.settings.min_baseline,
                     "days_per_window": figures.DAYS_PER_WINDOW},
        "definition": "Monthly figure = days meeting the definition x 28 / days filled in the "
                      "window; a window with fewer filled days than min_filled_days is not "
                      "evaluable (no number, never 0). Baseline: the 28 days before the first "
                      "session; B1, B2, ...: 28-day blocks after the last session.",
        "with_baseline": figure_json(diary.with_baseline),
        "without_baseline": figure_json(diary.without_baseline),
        "windows": windows,
        "responders": responders,
    }


# --- Per course ---------------------------------------------------------------------------------

def course_header(diary):
    header = []
    for window in diary.windows:
        key = window.key
        header += [_("Diary %(window)s: days filled", window=key),
                   _("Diary %(window)s: headache days a month", window=key),
                   _("Diary %(window)s: migraine days a month", window=key)]
    header += [_("Diary durability: relapse (yes/no)"),
               _("Diary durability: days followed")]
    return header


def course_outcome(diary, course_id):
    for outcome in diary.courses:
        if outcome.course_id == course_id:
            return outcome
    return None


def _monthly(window, figure):
    shown = window.shown(figure)
    return shown if shown is not None else _("not evaluable")


def course_cells(diary, course_id):
    outcome = course_outcome(diary, course_id)
    if outcome is None:
        return [None] * len(course_header(diary))
    cells = []
    for window in outcome.windows:
        cells += [window.filled, _monthly(window, figures.HEADACHE_DAYS),
                  _monthly(window, figures.MIGRAINE_DAYS)]
    observation = outcome.observation
    if observation is None:
        cells += [_("not evaluable"), None]
    else:
        cells += [_("yes") if observation.event else _("no"), observation.time]
    return cells


def course_json(diary, course_id):
    outcome = course_outcome(diary, course_id)
    if outcome is None:
        return None
    return {
        "windows": {w.window.key: {
            "first_day": w.window.first.isoformat(), "last_day": w.window.last.isoformat(),
            "days_filled": w.filled, "status": w.status,
            "headache_days": _number(w.shown(figures.HEADACHE_DAYS)),
            "migraine_days": _number(w.shown(figures.MIGRAINE_DAYS)),
            "acute_medication_days": _number(w.shown(figures.ACUTE_MEDICATION_DAYS)),
        } for w in outcome.windows},
        "durability": None if outcome.observation is None else {
            "relapse": outcome.observation.event, "days": outcome.observation.time,
            "why": outcome.observation.why},
    }

