"""The outcomes report of completed infusion courses, for clinicians and admins.

    GET /staff/outcomes?from=YYYY-MM-DD&to=YYYY-MM-DD&service=ID   the page
    GET /staff/outcomes.csv?from=...&to=...&service=...            one row per course + summary
    GET /staff/outcomes.json?from=...&to=...&service=...           the same, for programs

Defaults: the last 90 days, every course service. The figures and their definitions are
booking/courses/outcomes.py's and cohort_outcomes.py's; booking/courses/reporting.py loads the
courses and audits every view ("outcomes.view") and export ("outcomes.export"). Nothing here
names a patient: courses are shown by their reference. Responses carry clinical data, so they
are never cached.

What was left out, and why, is part of the report (page, CSV summary, JSON "left_out"): courses
nobody attended, completed courses whose pain change is not evaluable (no pain before on course
day 1), and follow-up answers given after (or before) their window. Keys and columns only ever
get added: the JSON keeps every key it had, the CSV adds its new columns at the end.
"""
import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from flask import jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import Optional, Regexp

from ..auth.access import staff_required
from ..courses import reporting
from ..localized import localized
from ..courses.csv_cells import csv_safe
from ..courses.outcome_figures import NOT_EVALUABLE, Count, Mean, Rate, format_mean, format_percent
from ..courses.outcomes import ADVERSE_EVENT_CODES
from ..errors import json_error
from . import outcomes_diary
from .blueprint import bp

# Clinicians and admins may see the report (the choice); receptionists may not.
REPORT_ROLES = ("clinician", "admin")

ADMISSION_MISSING = {
    "no_first_session_record": _l("course day 1 not recorded"),
    "no_first_pain_before": _l("no pain rating before the session of course day 1"),
}
ADVERSE_EVENT_LABELS = {
    "nausea": _l("Nausea"), "vomiting": _l("Vomiting"), "dizziness": _l("Dizziness"),
    "blurred_vision": _l("Blurred vision"), "hallucinations": _l("Hallucinations"),
    "dissociation": _l("Dissociation"), "anxiety": _l("Anxiety"), "sedation": _l("Sedation"),
    "hypertension": _l("Hypertension"), "tachycardia": _l("Tachycardia"),
    "worse_headache": _l("Worse headache"), "other": _l("Other"),
}
NOT_A_TRIAL = _l(
    "These figures describe this clinic's own completed courses in the period chosen. They are "
    "not a clinical trial: there is no control group, patients were not randomised, and courses "
    "without a rating or a follow-up answer are counted as the definitions say. They are "
    "information for clinicians, not a treatment decision.")


# --- The filter: shape only (the service checks the period's rules). ---------------------------

DATE_MESSAGE = _l("Please enter a date as YYYY-MM-DD, for example 2026-12-07.")


class OutcomesFilterForm(FlaskForm):
    """Read from the query string (GET): dates and a service id, no health data."""

    class Meta:
        csrf = False

    first_day = DateField(_l("First day"), [Optional()], name="from", format="%Y-%m-%d",
                          invalid_value_message=DATE_MESSAGE,
                          description=_l("Courses whose last session is on or after this day. "
                                         "For example 2026-09-09."))
    last_day = DateField(_l("Last day"), [Optional()], name="to", format="%Y-%m-%d",
                         invalid_value_message=DATE_MESSAGE,
                         description=_l("Courses whose last session is on or before this day."))
    service = SelectField(_l("Service"), [Optional(), Regexp(
        r"^\d{1,9}$", message=_l("Please choose a course service from the list."))],
        choices=[], validate_choice=False)

    def service_id(self):
        return int(self.service.data) if self.service.data else None

    def add_errors(self, fields):
        by_name = {"from": self.first_day, "to": self.last_day, "service": self.service}
        for name, message in fields.items():
            by_name[name].errors = list(by_name[name].errors or []) + [message]

    def error_fields(self):
        return {field.name: " ".join(str(m) for m in field.errors)
                for field in self if field.errors}


def _filter_form():
    return OutcomesFilterForm(formdata=request.args)


def _service_choices():
    return [SelectChoice("", _("All course services"))] + [
        SelectChoice(str(s.id), localized(s, "name") if s.active else _(
            "%(name)s (no longer offered)", name=localized(s, "name")))
        for s in reporting.course_services()]


def _open(form, export=None):
    """The report for a valid filter, or None with the errors put next to the fields."""
    if not form.validate():
        return None
    try:
        return reporting.open_report(form.first_day.data, form.last_day.data, form.service_id(),
                                     export=export)
    except reporting.ReportError as error:
        form.add_errors(error.fields)
        return None


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    return response


# --- What is shown: one list of figures for the page, the CSV and the JSON. --------------------

@dataclass(frozen=True)
class FigureRow:
    key: str
    label: str
    unit: str  # "", "%", "points", ...
    figure: Count | Mean | Rate
    over: str = ""  # what a count counts ("Counted over"); "" for completed courses
    # The definition in the page's language when the figure's own (from a pure module) is
    # English; the exports keep the figure's own wording.
    definition: str = ""

    @property
    def kind(self):
        return {Count: "count", Mean: "mean", Rate: "rate"}[type(self.figure)]


def main_figures(report):
    c, t = report.cohort, report.thresholds
    return [
        FigureRow("n", _("Completed courses (N)"), "", c.n),
        FigureRow("admission_pain", _("Pain at admission, mean (NRS 0-10)"), "", c.admission_pain),
        FigureRow("discharge_pain", _("Pain at discharge, mean (NRS 0-10)"), "", c.discharge_pain),
        FigureRow("change", _("Change in pain, mean (points)"), _("points"), c.change),
        FigureRow("responders_2_points",
                  _("Responders: at least %(n)d points less pain", n=t.responder_min_points),
                  "%", c.responders_2_points),
        FigureRow("responders_30_percent",
                  _("Responders: at least %(n)d %% less pain", n=t.responder_min_percent),
                  "%", c.responders_30_percent),
        FigureRow("responders_50_percent",
                  _("Responders: at least %(n)d %% less pain", n=t.strong_responder_min_percent),
                  "%", c.responders_50_percent),
        FigureRow("course_length_days", _("Course length, mean (infusion days)"), _("days"),
                  c.course_length_days),
        FigureRow("lowest_pain_day", _("Day of lowest pain, mean (course day)"), "",
                  c.lowest_pain_day),
        FigureRow("max_rate_mg_per_h", _("Maximum infusion rate, mean (mg/h)"), _("mg/h"),
                  c.max_rate_mg_per_h),
        FigureRow("max_rate_mg_per_kg_h", _("Maximum infusion rate, mean (mg/kg/h)"),
                  _("mg/kg/h"), c.max_rate_mg_per_kg_h),
    ]


def left_out_figures(report):
    """What the figures leave out, and why: each a count, with its definition."""
    c = report.cohort
    rows = [
        FigureRow("not_attended", _("Not attended: no session attended"), "", c.not_attended,
                  _("courses left out of N")),
        FigureRow("pain_not_evaluable",
                  _("Pain change not evaluable: no pain rating before course day 1"), "",
                  c.pain_not_evaluable, _("completed courses, out of the pain figures")),
    ]
    for label, _days in report.follow_ups:
        outcome = c.follow_up(label)
        rows.append(FigureRow(f"answered_late_{label}",
                              _("Follow-up %(label)s answered late", label=label), "",
                              outcome.answered_late, _("completed courses, answer not counted")))
        rows.append(FigureRow(f"answered_early_{label}",
                              _("Follow-up %(label)s answered before its window", label=label),
                              "", outcome.answered_early,
                              _("completed courses, answer not counted")))
    return rows


def adverse_event_figures(report):
    return [FigureRow(f"adverse_event_{code}", str(ADVERSE_EVENT_LABELS.get(code, code)), "%",
                      rate)
            for code, rate in report.cohort.adverse_events]


def follow_up_title(label, days, window=None):
    if window is None:
        return _("Follow-up %(label)s (about %(days)d days after the last session)",
                 label=label, days=days)
    return _("Follow-up %(label)s (about %(days)d days after the last session; answers count "
             "from day %(first)d to day %(last)d)", label=label, days=days, first=window[0],
             last=window[1])


def follow_up_figures(report, label):
    outcome = report.cohort.follow_up(label)
    return [
        FigureRow("sustained_all", _("Sustained response, of all courses"), "%",
                  outcome.sustained_all),
        FigureRow("sustained_answered", _("Sustained response, of the courses that answered"),
                  "%", outcome.sustained_answered),
        FigureRow("sustained_immediate_responders",
                  _("Sustained response, of the immediate responders"), "%",
                  outcome.sustained_immediate_responders),
        FigureRow("days_to_answer", _("Days from the last session to the answer, mean"),
                  _("days"), outcome.days_to_answer),
    ]


def _one_decimal(fraction):
    """A per-course exact value (a percent change) with one decimal, by the module's rounding."""
    return None if fraction is None else format_mean(Mean(fraction, 1))


def _exact(fraction):
    """A recorded rate (a Decimal turned Fraction) written exactly: 60, 0.75."""
    if fraction is None:
        return None
    value = Decimal(fraction.numerator) / Decimal(fraction.denominator)
    return format(value.normalize(), "f")


def _flag(value):
    if value is None:
        return _("not evaluable")
    return _("yes") if value else _("no")


def _sustained(outcome, label):
    if outcome.answered_late(label):
        return _("answered late")
    if outcome.answered_early(label):
        return _("answered before its window")
    if not outcome.answered(label):
        return _("not answered")
    return _flag(outcome.sustained_at(label))


def _admission_missing(outcome):
    reason = ADMISSION_MISSING.get(outcome.admission_missing)
    return None if reason is None else str(reason)


# --- The page ----------------------------------------------------------------------------------

def _page(form, report=None, status=200):
    # The select's options: a read for the form (the exports never need it).
    form.service.choices = _service_choices()
    if report is not None:
        form.first_day.data, form.last_day.data = report.first_day, report.last_day
        form.service.data = str(report.service.id) if report.service else ""
    params = None
    if report is not None:
        params = {"from": report.first_day.isoformat(), "to": report.last_day.isoformat()}
        if report.service:
            params["service"] = report.service.id
    return _private(make_response(render_template(
        "dashboard/outcomes/report.html", form=form, report=report, params=params,
        figures=main_figures(report) if report else [],
        adverse_events=adverse_event_figures(report) if report else [],
        left_out=[row for row in left_out_figures(report)
                  if not row.key.startswith("answered_early_") or row.figure.value]
        if report else [],
        follow_ups=[(follow_up_title(label, days, (report.windows or {}).get(label)),
                     follow_up_figures(report, label))
                    for label, days in report.follow_ups] if report else [],
        one_decimal=_one_decimal, not_evaluable=NOT_EVALUABLE, not_a_trial=NOT_A_TRIAL,
        admission_missing=_admission_missing,
        diary=outcomes_diary.page_sections(report.diary, FigureRow)
        if report is not None and report.diary is not None else None,
        durability_svg=(outcomes_diary.durability_svg(report.diary)
                        if report is not None and report.diary is not None else None),
    ), status))


@bp.route("/outcomes")
@staff_required(*REPORT_ROLES)
def outcomes_report():
    form = _filter_form()
    report = _open(form)
    if report is None:
        return _page(form, status=422)
    return _page(form, report)


# --- CSV -----------------------------------------------------------------------------------

def _course_header(report):
    header = [_("Course reference"), _("Service"), _("First session"), _("Last session"),
              _("Sessions"), _("Pain at admission"), _("Pain at discharge"),
              _("Change (points)"), _("Change (%)"),
              _("Responder: at least %(n)d points", n=report.thresholds.responder_min_points),
              _("Responder: at least %(n)d %%", n=report.thresholds.responder_min_percent),
              _("Responder: at least %(n)d %%",
                n=report.thresholds.strong_responder_min_percent),
              _("Day of lowest pain"), _("Maximum rate (mg/h)"), _("Maximum rate (mg/kg/h)"),
              _("Adverse events")]
    for label in report.follow_up_labels:
        header += [_("Pain at follow-up %(label)s", label=label),
                   _("Sustained at %(label)s", label=label)]
    # Added later, so at the end: columns already in use keep their places.
    header.append(_("Pain change not evaluable because"))
    for label in report.follow_up_labels:
        header.append(_("Days to answer %(label)s", label=label))
    if report.diary is not None:
        header += outcomes_diary.course_header(report.diary)
    return header


def _course_cells(report, row):
    o = row.outcome
    cells = [row.reference, row.service_name, row.first_day.isoformat(),
             row.last_day.isoformat(), o.length_days, o.admission, o.discharge,
             o.change if o.change is not None else _("not evaluable"),
             _one_decimal(o.percent_change) if o.percent_change is not None
             else _("not evaluable"),
             _flag(o.responder_2_points), _flag(o.responder_30_percent),
             _flag(o.responder_50_percent), o.lowest_pain_day,
             _exact(o.max_rate_mg_per_h), _exact(o.max_rate_mg_per_kg_h),
             "; ".join(code for code in ADVERSE_EVENT_CODES if code in o.adverse_events)]
    for label in report.follow_up_labels:
        follow_up = o.follow_up(label)
        counted = follow_up is not None and follow_up.counted
        cells += [follow_up.pain if counted else None, _sustained(o, label)]
    cells.append(_admission_missing(o))
    for label in report.follow_up_labels:
        follow_up = o.follow_up(label)
        cells.append(follow_up.days_after_course if follow_up else None)
    if report.diary is not None:
        cells += outcomes_diary.course_cells(report.diary, row.course_id)
    return cells


def _summary_cells(row):
    f = row.figure
    if row.kind == "count":
        return [row.label, f.formatted(), "", "", "", f.definition]
    if row.kind == "mean":
        return [row.label, f.formatted(), row.unit, "", f.n, f.definition]
    return [row.label, f.formatted(), "%", f.numerator, f.denominator, f.definition]


def csv_text(report):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def write(cells):
        writer.writerow([csv_safe(cell) for cell in cells])

    write(_course_header(report))
    for row in report.courses:
        write(_course_cells(report, row))
    write([])
    write([_("Summary")])
    write([_("Period"), report.first_day.isoformat(), report.last_day.isoformat()])
    write([_("Service"), report.service.name if report.service else _("All course services")])
    write([_("Note"), str(NOT_A_TRIAL)])
    write([_("Figure"), _("Value"), _("Unit"), _("Numerator"), _("Denominator"),
           _("Definition")])
    for row in main_figures(report) + adverse_event_figures(report):
        write(_summary_cells(row))
    for row in left_out_figures(report):
        write(_summary_cells(row))
    for label, days in report.follow_ups:
        for row in follow_up_figures(report, label):
            write(_summary_cells(FigureRow(row.key, f"{label}: {row.label}", row.unit,
                                           row.figure)))
    if report.diary is not None:
        for row in outcomes_diary.all_rows(report.diary):
            write(_summary_cells(FigureRow(*row)))
        for cells in outcomes_diary.durability_csv_rows(report.diary):
            write(cells)
    # A byte order mark, so spreadsheet programs read the UTF-8 (Cyrillic names) correctly.
    return "\ufeff" + out.getvalue()


@bp.route("/outcomes.csv")
@staff_required(*REPORT_ROLES)
def outcomes_csv():
    form = _filter_form()
    report = _open(form, export="csv")
    if report is None:
        return _page(form, status=422)
    response = make_response(csv_text(report))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    filename = f"outcomes_{report.first_day.isoformat()}_{report.last_day.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _private(response)


# --- JSON ----------------------------------------------------------------------------------

def _number(text):
    """A one-decimal display value as a JSON number, or null when there is none."""
    return None if text == NOT_EVALUABLE else float(text)


def _figure_json(figure):
    if isinstance(figure, Count):
        return {"value": figure.value, "definition": figure.definition}
    if isinstance(figure, Mean):
        return {"value": _number(format_mean(figure)), "n": figure.n,
                "definition": figure.definition}
    return {"numerator": figure.numerator, "denominator": figure.denominator,
            "percent": _number(format_percent(figure)), "definition": figure.definition}


def _course_json(report, row):
    o = row.outcome
    exact = _exact(o.max_rate_mg_per_h), _exact(o.max_rate_mg_per_kg_h)
    return {
        "reference": row.reference,
        "service": row.service_name,
        "first_session_on": row.first_day.isoformat(),
        "last_session_on": row.last_day.isoformat(),
        "sessions": o.length_days,
        "admission": o.admission,
        "discharge": o.discharge,
        "change": o.change,
        # null: not evaluable (admission 0 or not recorded), never 0 or 100.
        "percent_change": _number(_one_decimal(o.percent_change))
        if o.percent_change is not None else None,
        "responder_2_points": o.responder_2_points,
        "responder_30_percent": o.responder_30_percent,
        "responder_50_percent": o.responder_50_percent,
        "lowest_pain_day": o.lowest_pain_day,
        "max_rate_mg_per_h": float(exact[0]) if exact[0] is not None else None,
        "max_rate_mg_per_kg_h": float(exact[1]) if exact[1] is not None else None,
        "adverse_events": [code for code in ADVERSE_EVENT_CODES if code in o.adverse_events],
        "pain_not_evaluable_because": o.admission_missing,
        "follow_ups": {label: _course_follow_up_json(o, label)
                       for label in report.follow_up_labels},
        "diary": outcomes_diary.course_json(report.diary, row.course_id)
        if report.diary is not None else None,
    }


def _course_follow_up_json(outcome, label):
    """One follow-up of a course. "answered", "pain" and "headache_days" are the answer the
    report counts (null for a late one); "timing" and "days_after_course" say when it came."""
    follow_up = outcome.follow_up(label)
    counted = follow_up is not None and follow_up.counted
    return {"answered": outcome.answered(label),
            "pain": follow_up.pain if counted else None,
            "headache_days": follow_up.headache_days if counted else None,
            "sustained": outcome.sustained_at(label),
            "timing": follow_up.timing if follow_up else None,
            "days_after_course": follow_up.days_after_course if follow_up else None}


def report_json(report):
    figures = {row.key: _figure_json(row.figure)
               for row in main_figures(report) + adverse_event_figures(report)}
    return {
        "from": report.first_day.isoformat(),
        "to": report.last_day.isoformat(),
        "service": ({"id": report.service.id, "name": report.service.name}
                    if report.service else None),
        "n": report.cohort.n.value,
        "note": str(NOT_A_TRIAL),
        "figures": figures,
        "follow_ups": {
            label: {"days_after_last_session": days,
                    "answer_window_days": list((report.windows or {}).get(label) or ()) or None,
                    **{row.key: _figure_json(row.figure)
                       for row in follow_up_figures(report, label)}}
            for label, days in report.follow_ups},
        "left_out": {row.key: _figure_json(row.figure) for row in left_out_figures(report)},
        "courses": [_course_json(report, row) for row in report.courses],
        "diary": outcomes_diary.diary_json(report.diary, _figure_json)
        if report.diary is not None else None,
        "durability": outcomes_diary.durability_json(report.diary)
        if report.diary is not None else None,
    }


@bp.route("/outcomes.json")
@staff_required(*REPORT_ROLES)
def outcomes_json():
    form = _filter_form()
    report = _open(form, export="json")
    if report is None:
        fields = form.error_fields()
        response, status = json_error(422, "invalid", _("Please check the period and the "
                                                          "service."), fields)
        return _private(make_response(response, status))
    return _private(make_response(jsonify(report_json(report))))
