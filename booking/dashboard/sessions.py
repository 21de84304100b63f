"""Clinicians: infusion session records and the course page.

    GET  /staff/sessions/<appointment_id>     the record of one session (a form; every view audited)
    POST /staff/sessions/<appointment_id>     save it, or add / remove a row (no JavaScript needed)
    GET  /staff/courses/<course_id>           the course: each session, what was recorded, alerts
    POST /staff/courses/<course_id>/decide    confirm or decline a course awaiting review

Clinical roles only: a receptionist, or an admin who is not also a clinician, gets 403. The forms
here check SHAPE (a whole number, a number, a time, a known choice); what the values MEAN (ranges,
end after start, a reason for a stop...) is decided by booking/courses/session_checks.py;
booking/courses/session_records.py and course_records_page.py own the transactions and the audit
events. Pages carry clinical data: never cached.
"""
import re
from datetime import time
from decimal import Decimal, InvalidOperation

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (BooleanField, Field, FieldList, Form, FormField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import StopValidation

from ..auth.access import staff_required
from ..courses import reporting
from ..courses import course_records_page as course_page
from ..courses import session_checks as checks
from ..courses import session_records as records
from ..courses import session_words as words
from ..form_rows import RowTables
from ..models import ADVERSE_EVENT_CODES, SEVERITIES
from ..scheduler.booking_errors import BookingError
from .blueprint import CLINICAL, bp


def _private(body, status=200):
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _crlf_to_lf(value):
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


# --- Fields: the typed text is kept, so a 422 shows exactly what was typed ------------------

class NumberText(StringField):
    """A number typed in a text box (a phone shows the number pad). `value()` gives an int
    (whole) or a Decimal (a decimal point or comma allowed), None when left empty."""

    WHOLE = re.compile(r"[+-]?[0-9]{1,6}")
    DECIMAL = re.compile(r"[+-]?[0-9]{1,6}(?:[.,][0-9]{1,6})?")

    def __init__(self, label=None, validators=None, decimal=False, **kwargs):
        self.decimal = decimal
        render_kw = {"inputmode": "decimal" if decimal else "numeric", "autocomplete": "off",
                     "maxlength": 12, **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def process_data(self, value):
        self.data = words.number_text(value) if value is not None else None

    def pre_validate(self, form):
        if _blank(self.data):
            return
        pattern = self.DECIMAL if self.decimal else self.WHOLE
        if not pattern.fullmatch(self.data.strip()):
            raise StopValidation(_("Please enter a number, for example 72.5.") if self.decimal
                                 else _("Please enter a whole number, for example 4."))

    def value(self):
        if _blank(self.data):
            return None
        text = self.data.strip().replace(",", ".")
        try:
            return Decimal(text) if self.decimal else int(text)
        except (InvalidOperation, ValueError):
            return None


class TimeText(StringField):
    """A local time of day (HH:MM). Browsers with a time picker send HH:MM; typed "9.05" works."""

    PATTERN = re.compile(r"([01]?[0-9]|2[0-3])[:.]([0-5][0-9])")

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"type": "time", "autocomplete": "off", **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def process_data(self, value):
        self.data = value.strftime("%H:%M") if isinstance(value, time) else value

    def pre_validate(self, form):
        if not _blank(self.data) and not self.PATTERN.fullmatch(self.data.strip()):
            raise StopValidation(_("Please enter a time such as 10:30."))

    def value(self):
        if _blank(self.data):
            return None
        match = self.PATTERN.fullmatch(self.data.strip())
        return time(int(match[1]), int(match[2])) if match else None


class YesNoNotYet(Field):
    """A yes/no that may not be known yet (radio buttons: yes, no, not recorded yet)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.choices = [("yes", _l("Yes")), ("no", _l("No")), ("", _l("Not recorded yet"))]

    def process_data(self, value):
        self.data = {True: "yes", False: "no"}.get(value, "")

    def process_formdata(self, valuelist):
        self.data = valuelist[0] if valuelist else ""

    def selected(self, value):
        return (self.data or "") == value

    def pre_validate(self, form):
        if (self.data or "") not in ("yes", "no", ""):
            raise StopValidation(_("Please choose yes or no."))

    def value(self):
        return {"yes": True, "no": False}.get(self.data)


def _event_choices():
    return [("", _l("Choose the event"))] + [
        (code, words.ADVERSE_EVENT_LABELS[code]) for code in ADVERSE_EVENT_CODES]


def _severity_choices():
    return [("", _l("Choose"))] + [(code, words.SEVERITY_LABELS[code])
                                   for code in SEVERITIES]


# --- Rows ----------------------------------------------------------------------------------

class RowForm(Form):
    """One row of a repeatable table (the page's form carries the CSRF token)."""

    def is_blank(self):
        return all(_blank(field.data) for field in self)

    def values(self):
        return {name: (field.value() if hasattr(field, "value") else
                       (field.data or "").strip() if isinstance(field.data, str) else field.data)
                for name, field in self._fields.items()}


class RateRow(RowForm):
    from_minute = NumberText(_l("From minute"), description=_l("Minutes from the start; 0 is "
                                                               "the start."))
    mg_per_kg_h = NumberText(_l("Rate, mg/kg/h"), decimal=True,
                             description=_l("0 to 10, up to 3 decimals."))
    mg_per_h = NumberText(_l("Rate, mg/h"), decimal=True,
                          description=_l("0 to 1000, up to 2 decimals."))


class VitalRow(RowForm):
    minute = NumberText(_l("Minute"), description=_l("Minutes from the start, 0 to 720."))
    systolic = NumberText(_l("Systolic, mmHg"), description=_l("60 to 260."))
    diastolic = NumberText(_l("Diastolic, mmHg"), description=_l("30 to 160, below systolic."))
    heart_rate = NumberText(_l("Heart rate, /min"), description=_l("30 to 220."))
    spo2 = NumberText(_l("SpO2, %"), description=_l("50 to 100."))


class EventRow(RowForm):
    code = SelectField(_l("Event"), choices=_event_choices, validate_choice=False)
    severity = SelectField(_l("Severity"), choices=_severity_choices, validate_choice=False)
    note = TextAreaField(_l("Note (optional)"), filters=[_crlf_to_lf],
                         render_kw={"rows": 2, "maxlength": checks.NOTE_MAX},
                         description=_l("Up to %(n)d characters.", n=checks.NOTE_MAX))


ROW_NAMES = ("rates", "vitals", "adverse_events")


class SessionForm(RowTables, FlaskForm):
    """The record of one session. Rows are added and removed with submit buttons ("add_<list>",
    "remove_<list>" = the row's position); a row left completely empty is ignored."""

    started_at = TimeText(_l("Start time"))
    ended_at = TimeText(_l("End time"))
    dosing_weight_kg = NumberText(_l("Dosing weight, kg"), decimal=True,
                                  description=_l("30 to 250, one decimal at most."))
    pain_before = NumberText(_l("Pain before the infusion"),
                             description=_l("0 (no pain) to 10 (worst imaginable)."))
    pain_after = NumberText(_l("Pain after the infusion"),
                            description=_l("0 (no pain) to 10 (worst imaginable)."))
    # One more row than allowed is read, so that too many rows gets a message.
    rates = FieldList(FormField(RateRow), max_entries=checks.MAX_ROWS["rates"] + 1)
    total_dose_mg = NumberText(_l("Total dose, mg"), decimal=True,
                               description=_l("0 to 2000, up to 2 decimals."))
    vitals = FieldList(FormField(VitalRow), max_entries=checks.MAX_ROWS["vitals"] + 1)
    adverse_events = FieldList(FormField(EventRow),
                               max_entries=checks.MAX_ROWS["adverse_events"] + 1)
    stopped = BooleanField(_l("The infusion was stopped early"))
    paused = BooleanField(_l("The infusion was paused"))
    stop_reason = TextAreaField(_l("Why it was stopped or paused"), filters=[_crlf_to_lf],
                                render_kw={"rows": 3, "maxlength": checks.REASON_MAX},
                                description=_l("Needed when “stopped” or “paused” is ticked. "
                                               "Up to %(n)d characters.",
                                               n=checks.REASON_MAX))
    discharge_criteria_met = YesNoNotYet(_l("Discharge criteria met"))
    escort_present = YesNoNotYet(_l("Escort present"))

    LIMITS = checks.MAX_ROWS
    ADD_LABELS = {"rates": _l("Add a rate"), "vitals": _l("Add a reading"),
                  "adverse_events": _l("Add an adverse event")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.list_errors = {}    # messages about a whole list of rows
        self.general_errors = []  # messages for keys that name no field

    def row_lists(self):
        return [self._fields[name] for name in ROW_NAMES]

    def limit_message(self, name):
        return _("Please enter at most %(n)d rows here.", n=checks.MAX_ROWS[name])

    def row_removed(self, rows):
        """Rows named 0, 1, 2... again after one was removed, keeping what was typed."""
        typed = [entry.form.data for entry in rows.entries]
        rows.entries, rows.last_index = [], -1
        for data in typed:
            rows.append_entry(data)

    def to_record(self):
        data = {}
        for name, field in self._fields.items():
            if name == "csrf_token":
                continue
            if isinstance(field, FieldList):
                data[name] = [entry.form.values() for entry in field.entries]
            elif hasattr(field, "value"):
                data[name] = field.value()
            elif isinstance(field, BooleanField):
                data[name] = bool(field.data)
            else:
                data[name] = (field.data or "").strip()
        return data

    def add_errors(self, fields):
        """The service's messages next to their fields ("vitals-1-diastolic": that row)."""
        for key, message in fields.items():
            if key in ROW_NAMES:
                self.list_errors.setdefault(key, []).append(str(message))
                continue
            target = self._fields.get(key) if key != "csrf_token" else None
            match = re.fullmatch(r"([a-z_]+)-([0-9]+)-([a-z_0-9]+)", key)
            if target is None and match and match[1] in ROW_NAMES:
                rows = self._fields[match[1]]
                if int(match[2]) < len(rows.entries):
                    target = rows.entries[int(match[2])].form._fields.get(match[3])
            if target is None:
                self.general_errors.append(str(message))
            else:
                target.errors = [*target.errors, str(message)]


class DecideForm(FlaskForm):
    """Confirm or decline a course awaiting review (two buttons named "decision")."""

    decision = StringField(_l("Decision"))
    note = TextAreaField(
        _l("Note (optional)"), filters=[_crlf_to_lf],
        render_kw={"rows": 3, "maxlength": checks.DECISION_NOTE_MAX},
        description=_l("Up to %(n)d characters. Shown to clinicians only.",
                       n=checks.DECISION_NOTE_MAX))

    def validate_decision(self, field):
        if field.data not in ("confirm", "decline"):
            raise StopValidation(_("Please choose “Confirm” or “Decline”."))

    def validate_note(self, field):
        if field.data and len(field.data) > checks.DECISION_NOTE_MAX:
            raise StopValidation(_("Please keep the note to %(n)d characters.",
                                   n=checks.DECISION_NOTE_MAX))


# --- The record of one session ---------------------------------------------------------------

def _session_page(appointment_id, form, *, status=200, message=None):
    try:
        page = records.open_session_page(appointment_id)
    except LookupError:
        abort(404)
    if not page.can_record:  # a post for a session not to be recorded: say why, nothing else
        status, message = 422, None
    form.add_blank_rows()
    return _private(render_template("dashboard/sessions/record.html", page=page, form=form,
                                    message=message), status)


@bp.route("/sessions/<int:appointment_id>", methods=["GET", "POST"])
@staff_required(*CLINICAL)
def session_record(appointment_id):
    if request.method == "GET":
        try:
            page = records.open_session_page(appointment_id)
        except LookupError:
            abort(404)
        form = SessionForm(formdata=None, data=page.values or {})
        form.add_blank_rows()
        return _private(render_template("dashboard/sessions/record.html", page=page, form=form,
                                        message=None))

    form = SessionForm()
    if form.apply_row_buttons(request.form):
        return _session_page(appointment_id, form)  # nothing saved
    if not form.validate():
        return _session_page(appointment_id, form, status=422, message=checks.CHECK_VALUES)
    try:
        _record_id, changed = records.save_session_record(appointment_id, form.to_record(),
                                                          actor=current_user)
    except LookupError:
        abort(404)
    except records.RecordError as error:
        form.add_errors(error.fields)
        return _session_page(appointment_id, form, status=error.status, message=error.message)
    flash(_("The session record is saved.") if changed else _("Nothing had changed."),
          "success")
    return redirect(url_for(".session_record", appointment_id=appointment_id), 303)


# --- The course -------------------------------------------------------------------------------

def _course_page(course_id, form, *, status=200, message=None):
    try:
        course = course_page.open_course(course_id)
        outcome = reporting.open_course_summary(course_id)
    except LookupError:
        abort(404)
    return _private(render_template("dashboard/sessions/course.html", course=course, form=form,
                                    message=message, outcome=outcome), status)


@bp.route("/courses/<int:course_id>")
@staff_required(*CLINICAL)
def course_view(course_id):
    return _course_page(course_id, DecideForm(formdata=None))


@bp.route("/courses/<int:course_id>/decide", methods=["POST"])
@staff_required(*CLINICAL)
def course_decide(course_id):
    form = DecideForm()
    if not form.validate_on_submit():
        return _course_page(course_id, form, status=422)
    confirm = form.decision.data == "confirm"
    try:
        course_page.review_course(course_id, confirm=confirm, actor=current_user,
                                  note=form.note.data)
    except LookupError:
        abort(404)
    except (records.RecordError, BookingError) as error:
        # A note too long, a reason needed (the note), or the course no longer waiting.
        for name, text in error.fields.items():
            form[name].errors = [*form[name].errors, str(text)]
        return _course_page(course_id, form, status=error.status,
                            message=None if error.fields else error.message)
    flash(_("The course is confirmed.") if confirm else
          _("The course is declined: its sessions are cancelled and their times are free."),
          "success")
    return redirect(url_for(".course_view", course_id=course_id), 303)
