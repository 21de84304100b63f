"""Reception: treatment courses. Book a course for a caller, see a course, cancel or move its rest.

    GET/POST  /staff/courses/book                      the starts of a week where the whole course
                                                       fits, then the caller (found or new), book
    GET       /staff/desk/courses/<course_id>          the course: patient, sessions, status
    POST      /staff/desk/courses/<course_id>/cancel   cancel every session not started yet
    GET/POST  /staff/desk/courses/<course_id>/move     move the rest of the course to a new start

One session moves through the appointment's own reschedule page (reception.desk_reschedule),
which routes course sessions through the course service.

Views are thin, as in reception.py: they parse the request, call one function of
booking/scheduler/desk_course_pages.py (reading) or booking/courses/services.py (changing), then
render, flash or redirect. Receptionists never receive clinical content: the course's status and the
first session's intake status are said in words; session records and review notes never reach
these pages. Names, phones and emails travel in POST bodies only.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from ..auth.access import staff_required
from ..courses import services as courses
from ..scheduler import desk_course_pages, desk_patients, services
from ..scheduler import booking_errors
from ..scheduler.course_views import does_not_fit_message
from ..scheduler.forms import ANY, RescheduleForm, parse_start
from .blueprint import RECEPTION, bp
from .reception import (
    DATETIME_PATTERN,
    CallerForm,
    PatientSearchForm,
    StaffCancelForm,
    _caller_errors,
    _caller_forms,
    _check_caller,
    _chosen_patient_id,
    _parse_day,
    _parse_id,
    _practitioner_choices,
    private,
)

MAX_SESSIONS = 7  # the schema's ceiling for any course service (models/service.py)


class CourseChoiceForm(FlaskForm):
    """GET: how many sessions, and whose times."""

    class Meta:
        csrf = False

    sessions = SelectField(_l("Number of sessions"))
    practitioner = SelectField(_l("Practitioner"), default=ANY)


# --- Small helpers -------------------------------------------------------------------------------

def _parse_sessions(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= MAX_SESSIONS else None


# Templates: the patient page lists the courses of what it shows, the booking page offers the
# course services (reception.py renders those pages; these read what they already hold).
@bp.app_template_global("desk_patient_courses")
def desk_patient_courses(overview):
    return desk_course_pages.patient_courses(overview)


@bp.app_template_global("desk_course_services")
def desk_course_services():
    return desk_course_pages.course_services()


# --- Booking a course for a caller -----------------------------------------------------------------

def _course_args():
    """The choices carried in the page's URL (no names there)."""
    return {
        "service_id": _parse_id(request.args.get("service")),
        "sessions": _parse_sessions(request.args.get("sessions")),
        "week": _parse_day(request.args.get("week"), None),
        "practitioner_id": _parse_id(request.args.get("practitioner")),
        "patient_id": _parse_id(request.args.get("patient")),
    }


def _choice_or_404(args, start):
    choice = desk_course_pages.course_booking_choice(start=start, **args)
    if choice is None:
        abort(404)
    return choice


def _render_course_book(choice, *, caller_form=None, search_form=None, search=None,
                        message=None, error=None, status=200):
    choice_form = CourseChoiceForm(formdata=None)
    choice_form.sessions.choices = [SelectChoice(str(n), str(n)) for n in choice.session_counts]
    choice_form.sessions.data = str(choice.sessions)
    choice_form.practitioner.choices = _practitioner_choices(choice.practitioners,
                                                             _("Any practitioner"))
    choice_form.practitioner.data = str(choice.practitioner.id) if choice.practitioner else ANY
    caller_form, search_form, found = _caller_forms(
        choice.start.start if choice.start is not None else None, choice.patient,
        caller_form=caller_form, search_form=search_form, search=search)
    url_args = {"service": choice.service.id, "sessions": choice.sessions,
                "practitioner": choice.practitioner.id if choice.practitioner else ANY,
                "week": choice.week.first.isoformat(),
                "patient": choice.patient.id if choice.patient else None}
    blocked = getattr(error, "blocked", None)
    alternatives = None
    if error is not None:
        alternatives = desk_course_pages.course_options(error.alternatives or []) if blocked else []
    return render_template(
        "dashboard/reception/course_book.html", choice=choice, choice_form=choice_form,
        caller_form=caller_form, search_form=search_form, search=search, found=found,
        message=message, url_args=url_args, alternatives=alternatives,
        blocked_days=list(blocked.days) if blocked else [],
        blocking=set(blocked.blocking) if blocked else set(),
        wanted_start=parse_start(caller_form.start.data) if error is not None else None,
    ), status


@bp.route("/courses/book", methods=["GET", "POST"])
@staff_required(*RECEPTION)
@private
def desk_course_book():
    args = _course_args()
    raw_start = request.form.get("start") if request.method == "POST" else None
    start = parse_start(raw_start or request.args.get("start"))
    if request.method == "GET":
        if args["service_id"] is None:
            flash(_("Please choose a treatment course."), "error")
            return redirect(url_for(".book_caller", patient=args["patient_id"]), 303)
        return _render_course_book(_choice_or_404(args, start))

    if request.form.get("action") == "search":
        search_form = PatientSearchForm()
        choice = _choice_or_404(args, start)
        if not search_form.validate():
            return _render_course_book(choice, search_form=search_form, status=422)
        return _render_course_book(choice, search_form=search_form,
                                   search=desk_patients.search_patients(search_form.q.data))

    form = CallerForm()
    patient_id = _chosen_patient_id(form)
    choice_args = {**args, "patient_id": patient_id or args["patient_id"]}
    try:
        choice = _choice_or_404(choice_args, start)
        _check_caller(form, start, patient_id, _("Please pick a start."))
        course, token = courses.book_course(
            service_id=choice.service.id, start=start, sessions=choice.sessions,
            practitioner_id=choice.practitioner.id if choice.practitioner else None,
            patient_id=patient_id, patient=form.patient_details() if patient_id is None else None,
            consent=form.consent.data is True, source="staff", language=form.language.data)
    except courses.CourseDoesNotFit as error:
        return _render_course_book(choice, caller_form=form, message=does_not_fit_message(error),
                                   error=error, status=error.status)
    except (booking_errors.SlotNotBookable, services.InvalidDetails) as error:
        fields = _caller_errors(form, error)
        other = [str(m) for name, m in fields.items() if name not in form._fields]
        message = getattr(error, "message", None) or " ".join(other) \
            or _("Please check the highlighted fields.")
        return _render_course_book(choice, caller_form=form, message=message, status=422)
    except LookupError:
        abort(404)
    # The manage link is the patient's: shown here once so it can be read out or sent, never
    # stored (only its hash is) and never put in a redirect or a flash.
    return _render_course(_course_or_404(course.id), just_booked=True,
                          manage_url=url_for("scheduler.manage", token=token, _external=True))


# --- One course ------------------------------------------------------------------------------------

def _course_or_404(course_id):
    view = desk_course_pages.desk_course(course_id)
    if view is None:
        abort(404)
    return view


def _render_course(view, *, status=200, message=None, cancel_form=None, just_booked=False,
                   manage_url=None):
    return render_template(
        "dashboard/reception/course_detail.html", view=view, course=view.course,
        message=message, cancel_form=cancel_form or StaffCancelForm(formdata=None),
        just_booked=just_booked, manage_url=manage_url,
    ), status


@bp.route("/desk/courses/<int:course_id>")
@staff_required(*RECEPTION)
@private
def desk_course(course_id):
    return _render_course(_course_or_404(course_id))


@bp.route("/desk/courses/<int:course_id>/cancel", methods=["POST"])
@staff_required(*RECEPTION)
@private
def desk_course_cancel(course_id):
    form = StaffCancelForm()
    if not form.validate():
        return _render_course(_course_or_404(course_id), cancel_form=form, status=422)
    try:
        cancelled = courses.cancel_rest(course_id, reason=form.reason.data,
                                        cancelled_by=form.cancelled_by.data, by_staff=True)
    except LookupError:
        abort(404)
    except booking_errors.BookingError as error:  # NotActive: nothing left, or no longer active
        return _render_course(_course_or_404(course_id), message=error.message,
                              cancel_form=form, status=error.status)
    flash(_("The remaining sessions of course %(reference)s were cancelled; their times are "
            "free again.", reference=cancelled.reference), "success")
    return redirect(url_for(".desk_course", course_id=course_id), 303)


def _render_move(options, form, *, message=None, alternatives=None, status=200):
    form.week.data = options.week.first.isoformat()
    return render_template(
        "dashboard/reception/course_move.html", options=options, course=options.course,
        form=form, message=message, selected=form.start.data,
        alternatives=desk_course_pages.course_options(alternatives) if alternatives else None,
    ), status


def _move_options_or_404(course_id, week):
    options = desk_course_pages.course_move_options(course_id, week=week)
    if options is None:
        abort(404)
    return options


@bp.route("/desk/courses/<int:course_id>/move", methods=["GET", "POST"])
@staff_required(*RECEPTION)
@private
def desk_course_move(course_id):
    if request.method == "GET":
        options = _move_options_or_404(course_id, _parse_day(request.args.get("week"), None))
        return _render_move(options, RescheduleForm(formdata=None))

    form = RescheduleForm()
    new_start = parse_start(form.start.data) if form.validate() else None
    week = _parse_day(form.week.data, None)
    if new_start is None:
        form.start.errors = [_("Please pick a new start.")]
        return _render_move(_move_options_or_404(course_id, week), form, status=422)
    try:
        moved = courses.move_rest(course_id, new_start, by_staff=True)
    except LookupError:
        abort(404)
    except courses.CourseDoesNotFit as error:
        return _render_move(_move_options_or_404(course_id, week), form,
                            message=does_not_fit_message(error),
                            alternatives=error.alternatives, status=error.status)
    except booking_errors.BookingError as error:  # SlotNotBookable, NotActive: 422
        return _render_move(_move_options_or_404(course_id, week), form, message=error.message,
                            status=error.status)
    rest = courses.remaining_sessions(moved)
    flash(_("The rest of course %(reference)s now starts on %(when)s.",
            reference=moved.reference,
            when=format_datetime(rest[0].starts_at if rest else new_start, DATETIME_PATTERN)),
          "success")
    return redirect(url_for(".desk_course", course_id=course_id), 303)
