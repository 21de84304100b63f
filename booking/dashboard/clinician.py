"""Clinicians: their list of appointments and the intake review.

    GET  /staff/clinician                          the list (?from=YYYY-MM-DD&days=N&who=mine|all)
    GET  /staff/intakes/<appointment_id>           the intake review page (every view audited);
                                                   a course's session also shows the course, why
                                                   it waits, and Confirm / Decline forms that
                                                   post to dashboard.course_decide (sessions.py)
    POST /staff/intakes/<appointment_id>/review    mark the intake reviewed, with an optional note
    POST /staff/intakes/<appointment_id>/hit6      a HIT-6 total typed from a licensed paper form
    GET  /staff/intakes/<appointment_id>/pain      -> the pain chart of the appointment's patient
    GET  /staff/courses/<course_id>/intake         -> the intake review of the course's day 1
                                                   (the two redirects let the session and course
                                                   pages link there knowing only their own ids)

Clinical roles only: a receptionist, or an admin who is not also a clinician, gets 403. The
services (booking/intake/review_*.py) own the reading, the transactions and the audit events.
Pages carry clinical data, so they are never cached.
"""
from datetime import timedelta

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (DateField, IntegerField, SelectChoice, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from ..attention import services as attention
from ..auth.access import staff_required
from ..courses.session_checks import DECISION_NOTE_MAX
from ..intake import review_changes, review_courses, review_list, review_page
from .blueprint import CLINICAL, bp
from . import attention as attention_views

WHO_CHOICES = [SelectChoice("mine", _l("Mine")), SelectChoice("all", _l("Everyone's"))]


def _crlf_to_lf(value):
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class ListFilterForm(FlaskForm):
    """The list's filter: read from the query string (a GET form, no personal data in it)."""

    class Meta:
        csrf = False

    first_day = DateField(_l("From"), [Optional()], name="from", format="%Y-%m-%d",
                          description=_l("For example 2026-12-07."))
    days = IntegerField(_l("Number of days"), [Optional(), NumberRange(
        1, review_list.MAX_DAYS,
        message=_l("Please choose from 1 to %(n)d days.", n=review_list.MAX_DAYS))])
    who = SelectField(_l("Whose appointments"), [Optional()], choices=WHO_CHOICES)


class ReviewForm(FlaskForm):
    note = TextAreaField(
        _l("Review note (optional)"),
        [Length(max=review_changes.NOTE_MAX,
                message=_l("Please keep the note to %(n)d characters.",
                           n=review_changes.NOTE_MAX))],
        filters=[_crlf_to_lf], render_kw={"rows": 4, "maxlength": review_changes.NOTE_MAX},
        description=_l("Up to %(n)d characters. Shown to clinicians only.",
                       n=review_changes.NOTE_MAX))


class Hit6Form(FlaskForm):
    hit6_total = StringField(
        _l("HIT-6 total"),
        [InputRequired(_l("Please enter the HIT-6 total.")),
         Regexp(r"^\s*\d{1,3}\s*$", message=_l("Please enter the total as a whole number, "
                                                "for example 58."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 3},
        description=_l("From the licensed paper form: 36 to 78."))


def _decision_note(field_id):
    return TextAreaField(
        _l("Note (optional)"),
        [Length(max=DECISION_NOTE_MAX, message=_l("Please keep the note to %(n)d characters.",
                                                  n=DECISION_NOTE_MAX))],
        id=field_id, filters=[_crlf_to_lf],
        render_kw={"rows": 3, "maxlength": DECISION_NOTE_MAX},
        description=_l("Up to %(n)d characters. Shown to clinicians only.", n=DECISION_NOTE_MAX))


class ConfirmCourseForm(FlaskForm):
    """Shown on the review page; posted to dashboard.course_decide (sessions.py), which reads
    "note" and the button's "decision" and checks them."""
    note = _decision_note("course-confirm-note")


class DeclineCourseForm(FlaskForm):
    note = _decision_note("course-decline-note")


def _private(body, status=200):
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/clinician")
@staff_required(*CLINICAL)
def clinician_list():
    form = ListFilterForm(formdata=request.args)
    linked = current_user.practitioner_id is not None
    if not form.validate():
        return _private(render_template("dashboard/clinician/list.html", form=form, listing=None,
                                        who=form.who.data or "mine", linked=linked,
                                        attention_items=attention.open_items(),
                                        **attention_views.item_labels()), 422)
    who = form.who.data or ("mine" if linked else "all")
    days = form.days.data or review_list.DEFAULT_DAYS
    listing = None
    if who == "all" or linked:
        page = request.args.get("page", "")
        listing = review_list.clinician_list(
            None if who == "all" else current_user.practitioner_id, form.first_day.data, days,
            int(page) if page.isdigit() and len(page) < 6 else 1)
    step = timedelta(days=days)
    pages = None
    form.who.data, form.days.data = who, days  # show what the list is of
    if listing is not None:
        form.first_day.data = listing.first_day
        pages = {
            "earlier": url_for(".clinician_list", who=who, days=days,
                               **{"from": (listing.first_day - step).isoformat()}),
            "later": url_for(".clinician_list", who=who, days=days,
                             **{"from": (listing.first_day + step).isoformat()}),
            "today": url_for(".clinician_list", who=who, days=days),
            # The pages of a long list (review_list.LIST_PAGE_SIZE appointments each).
            "previous": url_for(".clinician_list", who=who, days=days, page=listing.page - 1,
                                **{"from": listing.first_day.isoformat()})
            if listing.page > 1 else None,
            "next": url_for(".clinician_list", who=who, days=days, page=listing.page + 1,
                            **{"from": listing.first_day.isoformat()})
            if listing.page < listing.pages else None,
        }
    return _private(render_template("dashboard/clinician/list.html", form=form, listing=listing,
                                    who=who, linked=linked, pages=pages,
                                    attention_items=attention.open_items(),
                                    **attention_views.item_labels()))


def _review_page(appointment_id, *, review_form=None, hit6_form=None, status=200):
    try:
        data = review_page.open_review(appointment_id)
    except LookupError:
        abort(404)
    return _private(render_template(
        "dashboard/clinician/review.html", intake=data,
        attention_item=attention.item_of_appointment(appointment_id),
        review_form=review_form or ReviewForm(formdata=None),
        hit6_form=hit6_form or Hit6Form(formdata=None),
        confirm_form=ConfirmCourseForm(formdata=None),
        decline_form=DeclineCourseForm(formdata=None)), status)


@bp.route("/intakes/<int:appointment_id>")
@staff_required(*CLINICAL)
def intake_review(appointment_id):
    return _review_page(appointment_id)


@bp.route("/intakes/<int:appointment_id>/review", methods=["POST"])
@staff_required(*CLINICAL)
def intake_mark_reviewed(appointment_id):
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            review_changes.mark_reviewed(appointment_id, form.note.data, current_user)
        except LookupError:
            abort(404)
        except review_changes.ReviewError as error:
            for name, message in error.fields.items():
                form[name].errors = [*form[name].errors, message]
        else:
            flash(_("The intake is marked as reviewed."), "success")
            return redirect(url_for(".intake_review", appointment_id=appointment_id), 303)
    return _review_page(appointment_id, review_form=form, status=422)


@bp.route("/intakes/<int:appointment_id>/hit6", methods=["POST"])
@staff_required(*CLINICAL)
def intake_hit6_total(appointment_id):
    form = Hit6Form()
    if form.validate_on_submit():
        try:
            review_changes.record_hit6_total(appointment_id, int(form.hit6_total.data),
                                             current_user)
        except LookupError:
            abort(404)
        except review_changes.ReviewError as error:
            for name, message in error.fields.items():
                form[name].errors = [*form[name].errors, message]
        else:
            flash(_("The HIT-6 total is saved."), "success")
            return redirect(url_for(".intake_review", appointment_id=appointment_id) + "#scores",
                            303)
    return _review_page(appointment_id, hit6_form=form, status=422)


@bp.route("/intakes/<int:appointment_id>/pain")
@staff_required(*CLINICAL)
def appointment_pain(appointment_id):
    try:
        patient_id = review_page.appointment_patient(appointment_id)
    except LookupError:
        abort(404)
    return redirect(url_for(".patient_pain", patient_id=patient_id))


@bp.route("/courses/<int:course_id>/intake")
@staff_required(*CLINICAL)
def course_intake(course_id):
    try:
        appointment_id = review_courses.course_first_session(course_id)
    except LookupError:
        abort(404)
    return redirect(url_for(".intake_review", appointment_id=appointment_id))
