"""HTML pages of a treatment course, for patients: choose a start, book, then manage the course.

    GET       /book/<id>/course                       a week of starts where the WHOLE course fits
    GET/POST  /book/<id>/course/details               the course summary and the details form
    (GET)     /manage/<token>                         the course manage page (the manage view in
                                                      views.py calls render_course_manage)
    POST      /manage/<token>/course/cancel           cancel every session not held yet
    GET/POST  /manage/<token>/course/move             move the rest of the course to a new start
    GET/POST  /manage/<token>/course/session/<day>    move one session, keeping the order

Views stay thin, as in views.py: they parse the request, call one course service
(booking.courses.services), then flash, redirect or render. The course rules (consecutive clinic
days, the review gate, who may change what and until when) live in the service.
"""
from dataclasses import dataclass
from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from ..channels import offered
from ..courses import services as courses
from ..extensions import limiter
from ..security import booking_limit, private_link_limit
from ..models import AppointmentStatus
from ..timeutil import to_local
from . import services
from . import appointment_changes, availability, booking_errors, booking_rules
from .forms import (
    CancelForm,
    DetailsForm,
    PractitionerChoiceForm,
    RescheduleForm,
    parse_practitioner,
    parse_start,
)
from .views import (
    DATETIME_PATTERN,
    _appointment_or_404,
    _chosen_practitioner_or_404,
    _days,
    _fill_choice_form,
    _practitioner_arg,
    _render_manage,
    _week,
    bp,
    private_page,
)

# Moving the first or the last session: how many days of free times to offer beyond its
# neighbour (the middle ones are bounded by the sessions either side).
MOVE_SESSION_DAYS = 14


class CourseChoiceForm(PractitionerChoiceForm):
    """The small GET form above the starts: how many sessions, and whose times."""

    sessions = SelectField(_l("Number of sessions"), coerce=str)


# --- Shaping starts for the templates. ------------------------------------------------------------

@dataclass
class StartOption:
    """One start where the whole course fits: its first instant and every session's instant."""

    start: object  # aware datetime of the first session
    practitioner_id: int
    sessions: list  # aware datetimes, one per session, in order

    @property
    def days(self):
        return [to_local(instant).date() for instant in self.sessions]


def _option(course_start):
    return StartOption(course_start.start, course_start.practitioner_id,
                       [slot.start for slot in course_start.slots])


def _options(course_starts):
    """CourseStarts as StartOptions, one per start (with "any practitioner", several may fit at
    the same time: their session days are the same, so the patient sees one choice)."""
    seen, options = set(), []
    for course_start in course_starts:
        if course_start.start not in seen:
            seen.add(course_start.start)
            options.append(_option(course_start))
    return options


def days_text(days):
    """"Wed 9, Thu 10, Fri 11, Mon 14, Tue 15 December": the month after the last day of each
    month, in the page's language."""
    parts = []
    for index, day in enumerate(days):
        last_of_month = index == len(days) - 1 or days[index + 1].month != day.month
        parts.append(format_date(day, "EEE d MMMM" if last_of_month else "EEE d"))
    return ", ".join(parts)


def does_not_fit_message(error):
    """CourseDoesNotFit in the page's language, naming the days that are not free (the
    service's own message writes them with strftime, in English)."""
    blocking = list(error.blocked.blocking) if error.blocked else []
    if not blocking:
        return error.message
    days = ", ".join(format_date(day, "EEEE, d MMMM") for day in blocking)
    return ngettext("The course does not fit at that time: %(days)s is not free.",
                    "The course does not fit at that time: %(days)s are not free.",
                    len(blocking), days=days)


@bp.app_template_filter("course_days")
def course_days_filter(days):
    return days_text(list(days))


def _default_sessions(service):
    return courses.default_sessions(service)


def _parse_sessions(value, service):
    """The number of sessions asked for, or None when it is missing or not allowed."""
    try:
        sessions = int(value)
    except (TypeError, ValueError):
        return None
    return sessions if sessions in courses.session_counts(service) else None


def _course_service_or_404(service_id):
    service = courses.get_course_service(service_id)
    if service is None:
        abort(404)
    return service


# --- Step 1: a week of course starts. -------------------------------------------------------------

@bp.route("/book/<int:service_id>/course")
def course_starts(service_id):
    service = _course_service_or_404(service_id)
    practitioners = availability.practitioners_for(service)
    practitioner = parse_practitioner(request.args.get("practitioner"), practitioners)
    sessions = _parse_sessions(request.args.get("sessions"), service) \
        or _default_sessions(service)
    week = _week(request.args.get("week"))
    found, blocked = courses.week_of_starts(service, sessions, week.first, week.last,
                                            practitioner)
    if "week" not in request.args:
        # Open on the first week where the course can start, not on an empty one.
        while not found and week.next is not None:
            week = _week(week.next.isoformat())
            found, blocked = courses.week_of_starts(service, sessions, week.first, week.last,
                                                    practitioner)

    form = _fill_choice_form(CourseChoiceForm(formdata=None), practitioners, practitioner, week)
    form.sessions.choices = [(str(n), str(n)) for n in courses.session_counts(service)]
    form.sessions.data = str(sessions)
    return render_template(
        "scheduler/course_starts.html", service=service, sessions=sessions, form=form,
        practitioner=practitioner, practitioner_arg=_practitioner_arg(practitioner), week=week,
        days=_days(_options(found), week.first, week.last), has_starts=bool(found),
        why_not=_why_not(blocked), full_this_week=_full_days_text(
            sorted({day for full in blocked.values() for day in full})),
    )


def _full_days_text(days):
    """"No free time on Monday, 14 December." (None when no day is full.)"""
    if not days:
        return None
    return _("No free time on %(days)s.",
             days=", ".join(format_date(day, "EEEE, d MMMM") for day in days))


def _why_not(blocked):
    """{day: why a course cannot start on it} for the days of the week without a start."""
    return {day: (_("Cannot start on this day: no free time on %(days)s.",
                    days=", ".join(format_date(d, "EEEE, d MMMM") for d in full))
                  if full else _("Cannot start on this day: no time is free on every day of "
                                 "the course."))
            for day, full in blocked.items()}


# --- Step 2: the course, who is coming, then book. ------------------------------------------------

def _planned(service, sessions, start, practitioner):
    """The sessions of a course starting at `start`, if the whole course fits there now."""
    day = to_local(start).date()
    found = courses.find_course_starts(service, sessions, day, day, practitioner)
    return next((_option(s) for s in found if s.start == start), None)


@bp.route("/book/<int:service_id>/course/details", methods=["GET", "POST"])
@limiter.limit(booking_limit, methods=["POST"])
def course_details(service_id):
    service = _course_service_or_404(service_id)
    practitioner = _chosen_practitioner_or_404(service, request.args.get("practitioner"))
    practitioner_arg = _practitioner_arg(practitioner)
    sessions = _parse_sessions(request.args.get("sessions"), service)
    raw_start = request.args.get("start")
    if request.method == "POST":
        raw_start = request.form.get("start") or raw_start
    start = parse_start(raw_start)
    starts_url = url_for(".course_starts", service_id=service.id, practitioner=practitioner_arg,
                         sessions=sessions or _default_sessions(service),
                         **({"week": to_local(start).date().isoformat()} if start else {}))
    if start is None or sessions is None:
        flash(_("Please choose when your course starts."), "error")
        return redirect(starts_url, 303)

    form = DetailsForm() if request.method == "POST" else DetailsForm(formdata=None)
    form.offer(offered(current_app.config))
    form.start.data = start.isoformat()

    def page(status=200, message=None, error=None):
        blocked = getattr(error, "blocked", None)
        alternatives = None
        if blocked is not None:  # a race lost at the database guard names no days to offer
            alternatives = _options(error.alternatives or [])
        return render_template(
            "scheduler/course_details.html", service=service, practitioner=practitioner,
            sessions=sessions, start=start, form=form, message=message,
            plan=None if error is not None else _planned(service, sessions, start, practitioner),
            blocked_days=list(blocked.days) if blocked else [],
            blocking=set(blocked.blocking) if blocked else set(),
            alternatives=alternatives, change_url=starts_url,
            action=url_for(".course_details", service_id=service.id, start=start.isoformat(),
                           sessions=sessions, practitioner=practitioner_arg),
            consent_version=current_app.config["CONSENT_VERSION"],
        ), status

    if request.method == "GET":
        if _planned(service, sessions, start, practitioner) is None:
            flash(_("That start is no longer free for the whole course. Please choose another."),
                  "error")
            return redirect(starts_url, 303)
        return page()
    if not form.validate():
        return page(422)
    channel, channel_consent = form.choice()
    try:
        _course, token = courses.book_course(
            service_id=service.id, start=start, sessions=sessions,
            patient=form.patient_details(), consent=form.consent.data is True,
            practitioner_id=practitioner.id if practitioner else None,
            source="online", language=str(get_locale()), channel=channel,
            channel_consent=channel_consent,
        )
    except services.InvalidDetails as error:
        form.add_errors(error.fields)
        other = [str(m) for name, m in error.fields.items() if name not in form.SERVICE_FIELDS]
        return page(422, " ".join(other) or None)
    except courses.CourseDoesNotFit as error:
        return page(error.status, does_not_fit_message(error), error)
    except booking_errors.SlotNotBookable as error:
        form.add_errors(error.fields or {"start": error.message})
        return page(error.status, error.message)
    except LookupError:
        abort(404)
    return redirect(url_for(".manage", token=token, new=1), 303)


# --- Step 3: the private manage page of a course. -------------------------------------------------

def _course_or_404(token):
    """The course behind a manage link, and its first session (which carries the intake)."""
    appointment = _appointment_or_404(token)
    if appointment.course is None:
        abort(404)
    return appointment.course, appointment


def _first_remaining(course):
    rest = courses.remaining_sessions(course)
    return rest[0] if rest else None


def _changes_open(course):
    """Online changes are open until the cut-off before the next session still to come."""
    return courses.open_for_changes(course)


def _too_late_message():
    return _("It is too late to change this course online. Please call the clinic.")


@bp.route("/manage/<token>")
@private_page
@limiter.limit(private_link_limit)
def manage(token):
    """The private manage page: a course's (render_course_manage) or a single appointment's
    (views._render_manage). Here, not in views.py, because it needs both."""
    appointment = _appointment_or_404(token)
    if appointment.course_id is not None:
        return render_course_manage(appointment, token, new=request.args.get("new") == "1")
    return _render_manage(appointment, token, new=request.args.get("new") == "1")


def render_course_manage(appointment, token, *, new=False, message=None, cancel_form=None,
                         status=200):
    """The manage page of the course `appointment` belongs to (manage below calls this)."""
    course = appointment.course
    first = _first_remaining(course)
    can_change = _changes_open(course)
    service = course.service
    return render_template(
        "scheduler/course_manage.html", course=course, appointment=appointment, token=token,
        new=new, message=message, can_change=can_change, remaining=courses.remaining_sessions(
            course), change_until=appointment_changes.change_deadline(first) if first else None,
        cutoff_hours=current_app.config["MANAGE_CUTOFF_HOURS"],
        cancel_form=cancel_form or CancelForm(formdata=None),
        manage_url=url_for("scheduler.manage", token=token, _external=True),
        book_again_url=(url_for("scheduler.course_starts", service_id=service.id)
                        if courses.get_course_service(service.id)
                        else url_for("scheduler.index")),
    ), status


@bp.route("/manage/<token>/course/cancel", methods=["POST"])
@private_page
def course_cancel(token):
    course, appointment = _course_or_404(token)
    form = CancelForm()
    if not form.validate():
        return render_course_manage(appointment, token, cancel_form=form, status=422)
    try:
        courses.cancel_rest(course.id, reason=form.reason.data or "", cancelled_by="patient")
    except booking_errors.BookingError as error:  # ManageWindowClosed, NotActive
        return render_course_manage(appointment, token, message=error.message,
                                    status=error.status)
    except LookupError:
        abort(404)
    flash(_("The remaining sessions of your course have been cancelled."), "success")
    return redirect(url_for(".manage", token=token), 303)


# --- Moving the rest of the course. ---------------------------------------------------------------

def _move_starts(course, sessions, first_day, last_day):
    """Starts where the remaining sessions fit (courses.move_starts)."""
    return courses.move_starts(course, first_day, last_day)


def _render_move(course, token, form, week, *, message=None, alternatives=None, status=200):
    rest = courses.remaining_sessions(course)
    can_change = _changes_open(course)
    days, has_starts = [], False
    if can_change and rest:
        found = _move_starts(course, len(rest), week.first, week.last)
        days = _days(_options(found), week.first, week.last)
        has_starts = bool(found)
    form.week.data = week.first.isoformat()
    return render_template(
        "scheduler/course_move.html", course=course, token=token, form=form, week=week,
        days=days, has_starts=has_starts, rest=rest, can_change=can_change, message=message,
        alternatives=_options(alternatives) if alternatives else None,
        selected=form.start.data,
    ), status


@bp.route("/manage/<token>/course/move", methods=["GET", "POST"])
@private_page
def course_move(token):
    course, _appointment = _course_or_404(token)
    if request.method == "GET":
        if not _changes_open(course):
            return redirect(url_for(".manage", token=token), 303)
        week = _week(request.args.get("week"))
        rest = courses.remaining_sessions(course)
        if "week" not in request.args:
            while not _move_starts(course, len(rest), week.first, week.last) \
                    and week.next is not None:
                week = _week(week.next.isoformat())
        return _render_move(course, token, RescheduleForm(formdata=None), week)

    form = RescheduleForm()
    week = _week(form.week.data)
    new_start = parse_start(form.start.data) if form.validate() else None
    if new_start is None:
        form.start.errors = [_("Please pick a new start.")]
        return _render_move(course, token, form, week, status=422)
    try:
        moved = courses.move_rest(course.id, new_start)
    except courses.CourseDoesNotFit as error:
        return _render_move(course, token, form, week, message=does_not_fit_message(error),
                            alternatives=error.alternatives, status=error.status)
    except booking_errors.BookingError as error:  # SlotNotBookable, ManageWindowClosed, NotActive
        return _render_move(course, token, form, week, message=error.message,
                            status=error.status)
    except LookupError:
        abort(404)
    first = courses.remaining_sessions(moved)
    flash(_("The rest of your course now starts on %(when)s.",
            when=format_datetime(first[0].starts_at if first else new_start,
                                 DATETIME_PATTERN)), "success")
    return redirect(url_for(".manage", token=token), 303)


# --- Moving one session. --------------------------------------------------------------------------

def _session_or_404(course, day):
    session = next((a for a in course.appointments if a.course_day == day), None)
    if session is None:
        abort(404)
    return session


def _session_window(course, session):
    """The local days a session may move to: after the session before it, before the one after
    it (and from today, for at most MOVE_SESSION_DAYS past its neighbour)."""
    others = [a for a in course.appointments
              if a.id != session.id and a.status != AppointmentStatus.CANCELLED.value]
    before = [to_local(a.starts_at).date() for a in others if a.course_day < session.course_day]
    after = [to_local(a.starts_at).date() for a in others if a.course_day > session.course_day]
    previous_day = max(before) if before else None
    next_day = min(after) if after else None
    first = booking_rules.local_today()
    if previous_day is not None:
        first = max(first, previous_day + timedelta(days=1))
    if next_day is not None:
        last = next_day - timedelta(days=1)
    else:
        last = max(previous_day or first, to_local(session.starts_at).date()) \
            + timedelta(days=MOVE_SESSION_DAYS)
    last = min(last, booking_rules.last_bookable_day())
    return first, last, (previous_day, next_day)


def _render_session(course, token, session, form, *, message=None, status=200):
    can_change = _changes_open(course) and appointment_changes.manage_window_open(session)
    first, last, (previous_day, next_day) = _session_window(course, session)
    days, has_slots = [], False
    if can_change and first <= last:
        found = availability.find_slots(course.service, first, last, course.practitioner,
                                        exclude_appointment_id=session.id)
        days = [d for d in _days(found, first, last, skip_start=session.starts_at) if d.slots]
        has_slots = bool(days)
    return render_template(
        "scheduler/course_session.html", course=course, token=token, session=session,
        form=form, days=days, has_slots=has_slots, can_change=can_change, message=message,
        previous_day=previous_day, next_day=next_day, selected=form.start.data,
    ), status


@bp.route("/manage/<token>/course/session/<int:day>", methods=["GET", "POST"])
@private_page
def course_move_session(token, day):
    course, _appointment = _course_or_404(token)
    session = _session_or_404(course, day)
    if request.method == "GET":
        if not (_changes_open(course) and appointment_changes.manage_window_open(session)):
            return redirect(url_for(".manage", token=token), 303)
        return _render_session(course, token, session, RescheduleForm(formdata=None))

    form = RescheduleForm()
    if not _changes_open(course):
        # The page offers no changes once the next session's cut-off has passed; neither does
        # a post sent from an old page.
        return _render_session(course, token, session, form, message=_too_late_message(),
                               status=booking_errors.ManageWindowClosed.status)
    new_start = parse_start(form.start.data) if form.validate() else None
    if new_start is None:
        form.start.errors = [_("Please pick a new time.")]
        return _render_session(course, token, session, form, status=422)
    try:
        moved = courses.move_session(session.id, new_start)
    except booking_errors.BookingError as error:  # SlotTaken 409, SlotNotBookable (order) 422, ...
        return _render_session(course, token, session, form, message=error.message,
                               status=error.status)
    except LookupError:
        abort(404)
    flash(_("Day %(day)d of your course was moved to %(when)s.", day=moved.course_day,
            when=format_datetime(moved.starts_at, DATETIME_PATTERN)), "success")
    return redirect(url_for(".manage", token=token), 303)
