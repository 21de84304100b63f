"""Closures: time when the clinic, or one practitioner, takes no appointments (receptionists and
admins). Adding one takes two steps: "check" lists the booked appointments it would overlap,
"save" stores it. Saving never cancels those appointments: reception calls the patients.
"""
from datetime import time, timedelta

from babel.lists import format_list
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import Length
from wtforms.widgets import DateInput, TimeInput

from .. import clinic_admin, clinic_closures
from ..admin_fields import AdminError
from ..localized import localized
from ..auth.access import staff_required
from ..scheduler.booking_rules import local_today
from .blueprint import RECEPTION, bp
from .admin_forms import CheckboxesField, add_errors

CLOSURE_FIELDS = ("repeat", "practitioner_id", "reason", "day", "last_day", "whole_day",
                  "start_time", "end_time", "weekdays", "until")
DATE_STYLE = "EEEE, d MMMM y"


def _open_weekday_choices():
    open_weekdays, _opens, _closes = clinic_admin.opening_hours()
    return [SelectChoice(str(day), clinic_admin.WEEKDAY_NAMES[day]) for day in open_weekdays]


class ClosureForm(FlaskForm):
    practitioner_id = SelectField(_l("Who is closed"), choices=[], default="")
    reason = StringField(_l("Reason"), [Length(max=300)],
                         description=_l("Staff see it in the calendar. For example “Team "
                                        "meeting” or “Public holiday”."))
    repeat = RadioField(_l("How often"), choices=[SelectChoice("once", _l("Once")),
                                                  SelectChoice("weekly", _l("Every week"))],
                        default="once")
    day = StringField(_l("Date"), [Length(max=10)], widget=DateInput(),
                      description=_l("For a weekly closure: the first date it may apply."))
    whole_day = BooleanField(_l("Whole days"))
    last_day = StringField(_l("Last day"), [Length(max=10)], widget=DateInput(),
                           description=_l("Whole days only. Leave empty for one day."))
    start_time = StringField(_l("From"), [Length(max=8)], widget=TimeInput(),
                             description=_l("Kyiv time."))
    end_time = StringField(_l("To"), [Length(max=8)], widget=TimeInput())
    weekdays = CheckboxesField(_l("On these days"), choices=_open_weekday_choices)
    until = StringField(_l("Repeat until"), [Length(max=10)], widget=DateInput(),
                        description=_l("The last date, included. Leave empty to repeat with no "
                                       "end."))


def _closure_form(formdata=True):
    form = ClosureForm() if formdata else ClosureForm(
        formdata=None, data={"day": local_today().isoformat(), "repeat": "once"})
    form.practitioner_id.choices = [SelectChoice("", _("The whole clinic"))] + [
        SelectChoice(str(p.id), localized(p, "full_name")) for p in clinic_admin.all_practitioners()
        if p.active]
    return form


def _values(form):
    return {name: form[name].data for name in CLOSURE_FIELDS}


# --- The rule in words ----------------------------------------------------------------------------

def _clock(instant):
    return instant.strftime("%H:%M")


def _day_names(weekdays):
    return format_list([str(clinic_admin.WEEKDAY_NAMES[day]) for day in weekdays],
                       locale=get_locale())


def _short_date(day):
    return format_date(day, "d MMMM y")


def describe(row):
    """"Every Friday, 14:00-15:00, from 11 December 2026 until 1 March 2027" and the like."""
    closure, start, end = row.closure, row.first_start, row.first_end
    if row.frequency == "once":
        if row.whole_days:
            last = (end.date() - start.date()).days
            if last <= 1:
                return _("Whole day, %(day)s", day=format_date(start.date(), DATE_STYLE))
            return _("Whole days, %(first)s to %(last)s", first=_short_date(start.date()),
                     last=_short_date(end.date() - timedelta(days=1)))
        if start.date() == end.date():
            return _("%(day)s, %(start)s-%(end)s", day=format_date(start.date(), DATE_STYLE),
                     start=_clock(start), end=_clock(end))
        return _("From %(start)s to %(end)s",
                 start=f"{_short_date(start.date())} {_clock(start)}",
                 end=f"{_short_date(end.date())} {_clock(end)}")
    if row.frequency == "weekly":
        text = _("Every %(days)s, %(start)s-%(end)s", days=_day_names(row.weekdays),
                 start=_clock(start), end=_clock(end))
    elif row.frequency == "daily":
        text = _("Every day, %(start)s-%(end)s", start=_clock(start), end=_clock(end))
    else:
        text = _("Repeating (%(rule)s), %(start)s-%(end)s", rule=closure.rrule,
                 start=_clock(start), end=_clock(end))
    text += ", " + _("from %(day)s", day=_short_date(start.date()))
    if closure.repeat_until:
        text += " " + _("until %(day)s", day=_short_date(closure.repeat_until))
    else:
        text += " " + _("with no end date")
    return text


def describe_plan(check):
    """The same words for a closure not yet saved."""
    plan = check.plan
    row = clinic_closures.ClosureRow(
        closure=plan, first_start=plan.starts_at, first_end=plan.ends_at,
        frequency="once", weekdays=(), whole_days=False, next_start=None, next_end=None)
    if plan.rrule:
        row.frequency, row.weekdays = clinic_closures.rule_parts(plan.rrule, plan.starts_at)
    else:
        row.whole_days = plan.starts_at.time() == time(0) and plan.ends_at.time() == time(0)
    return describe(row)


# --- Pages ----------------------------------------------------------------------------------------

@bp.route("/closures")
@staff_required(*RECEPTION)
def closures():
    rows = clinic_closures.upcoming_closures()
    return render_template("dashboard/admin/closures.html",
                           rows=[(row, describe(row)) for row in rows],
                           horizon_end=clinic_closures.horizon_end())


@bp.route("/closures/new", methods=["GET", "POST"])
@staff_required(*RECEPTION)
def closure_new():
    """GET: the form. POST action=check: the appointments it would overlap and a confirm
    button. POST action=save: store it. POST action=edit: back to the form, values kept."""
    template = "dashboard/admin/closure_form.html"
    if request.method == "GET":
        return render_template(template, form=_closure_form(formdata=False))
    form = _closure_form()
    action = request.form.get("action", "check")
    if action == "edit":
        return render_template(template, form=form)
    if not form.validate():
        return render_template(template, form=form, messages=[
            _("Please check the fields marked below.")]), 422
    try:
        if action == "save":
            _closure, overlapping = clinic_closures.create_closure(
                _values(form), actor=current_user._get_current_object())
        else:
            check = clinic_closures.check_closure(_values(form))
    except AdminError as error:
        general = add_errors(form, error.fields)
        return render_template(template, form=form,
                               messages=general or [error.message]), error.status
    if action == "save":
        if overlapping:
            flash(ngettext(
                "The closure is saved. %(num)d booked appointment falls inside it and was NOT "
                "cancelled: please call the patient.",
                "The closure is saved. %(num)d booked appointments fall inside it and were NOT "
                "cancelled: please call the patients.", len(overlapping)), "warning")
        else:
            flash(_("The closure is saved."), "success")
        return redirect(url_for(".closures"), 303)
    return render_template("dashboard/admin/closure_check.html", form=form, check=check,
                           description=describe_plan(check))


@bp.route("/closures/<int:closure_id>/delete", methods=["POST"])
@staff_required(*RECEPTION)
def closure_delete(closure_id):
    try:
        clinic_closures.delete_closure(closure_id, actor=current_user._get_current_object())
    except LookupError:
        abort(404)
    flash(_("The closure is deleted: those times can be booked again."), "success")
    return redirect(url_for(".closures"), 303)
