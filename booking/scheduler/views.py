"""HTML pages of the patient's booking path: service -> time -> details -> booked (manage link).

Views stay thin: they parse the request, ask the booking service, then render, flash or
redirect. Every rule (opening hours, notice, who is free) lives in services.py and the slot
engine; every HTTP status follows design.md (404 unknown, 409 taken, 422 rule broken).
"""
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import quote

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _

from ..channels import offered
from ..courses import services as courses
from ..extensions import limiter
from ..localized import practitioner_label
from ..security import booking_limit
from ..templating import chosen_theme
from ..timeutil import to_local
from . import reference, services
from . import appointment_changes, availability, booking_errors, booking_rules, manage_links
from .forms import (
    ANY,
    CancelForm,
    DetailsForm,
    PractitionerChoiceForm,
    RescheduleForm,
    monday_of,
    parse_practitioner,
    parse_start,
    parse_week,
    practitioner_choice,
)

bp = Blueprint("scheduler", __name__)

# The same pattern as the `local_datetime` template filter, for flash messages.
DATETIME_PATTERN = "EEEE, d MMMM y, HH:mm"


# --- Private pages: the manage token lives in their URL. ----------------------------------------

PRIVATE_ENDPOINTS = set()


def private_page(view):
    """Pages reached through the private manage link: never cached, never leaked as a referrer.

    The headers are set in after_request below, so they also cover the 404/422 pages these
    views produce.
    """
    PRIVATE_ENDPOINTS.add(f"{bp.name}.{view.__name__}")
    return view


@bp.after_request
def private_headers(response):
    if request.endpoint in PRIVATE_ENDPOINTS:
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- Weeks and days of slots, shaped for the templates. -----------------------------------------

@dataclass
class Week:
    first: date  # Monday
    last: date  # Sunday
    previous: date | None
    next: date | None


@dataclass
class Day:
    day: date
    slots: list = field(default_factory=list)
    # The patient's times page (_with_links) writes each day's words and every time's link once
    # here, not per button in the template: (time text, link) per slot.
    label: str = ""
    weekday: str = ""
    number: str = ""
    url: str = ""
    links: list = field(default_factory=list)


def _week(value):
    """The week asked for in `?week=`, clamped between this week and the booking horizon."""
    today = booking_rules.local_today()
    last_bookable = booking_rules.last_bookable_day()
    monday = parse_week(value, today, last_bookable)
    following = monday + timedelta(days=7)
    return Week(
        first=monday,
        last=monday + timedelta(days=6),
        previous=monday - timedelta(days=7) if monday > monday_of(today) else None,
        next=following if following <= last_bookable else None,
    )


def _days(slots, first, last, *, skip_start=None):
    """Slots grouped by their local day, one entry per start (several practitioners free at the
    same time make one choice). Open days from today on are listed even when empty, so the
    page can say "no free times" for them; closed days appear only if they hold slots."""
    today = booking_rules.local_today()
    open_weekdays = current_app.config["CLINIC_OPEN_WEEKDAYS"]
    by_day = {}
    seen = set()
    for slot in slots:
        if slot.start in seen or slot.start == skip_start:
            continue
        seen.add(slot.start)
        by_day.setdefault(to_local(slot.start).date(), []).append(slot)
    days = []
    day = first
    while day <= last:
        if day in by_day or (day >= today and day.weekday() in open_weekdays):
            days.append(Day(day, by_day.get(day, [])))
        day += timedelta(days=1)
    return days


def _chosen_day(days, value):
    """The day shown on a phone: `?day=` when it is a day of the week shown that has free
    times, else the first day with a free time (None when the week has none)."""
    with_times = [day for day in days if day.slots]
    wanted = next((day for day in with_times if day.day.isoformat() == value), None)
    return wanted or (with_times[0] if with_times else None)


def _with_links(days, service, practitioner_arg, week):
    """Fill each day's words and each free time's link to the details page. Babel and url_for
    run once per day and once per page, not once per button (a week holds about 60 times):
    a time is HH:mm in both languages, and the link is the details URL with its start."""
    details = url_for(".details", service_id=service.id)
    strip = url_for(".slots", service_id=service.id, practitioner=practitioner_arg,
                    week=week.first.isoformat())
    practitioner_query = "&practitioner=" + quote(practitioner_arg, safe="")
    for day in days:
        day.label = format_date(day.day, "EEEE, d MMMM y")
        day.weekday = format_date(day.day, "EEE")
        day.number = str(day.day.day)
        day.url = f"{strip}&day={day.day.isoformat()}"
        day.links = [(to_local(slot.start).strftime("%H:%M"),
                      f"{details}?start={quote(slot.start.isoformat(), safe=':')}"
                      f"{practitioner_query}") for slot in day.slots]
    return days


def _practitioner_arg(practitioner):
    return str(practitioner.id) if practitioner else ANY


def _fill_choice_form(form, practitioners, practitioner, week):
    """The small GET form above a week of times: whose times (or any), and the week shown."""
    form.practitioner.choices = [(ANY, _("Any practitioner"))] + [
        (str(p.id), practitioner_label(p)) for p in practitioners
    ]
    form.practitioner.data = _practitioner_arg(practitioner)
    form.week.data = week.first.isoformat()
    return form


def _chosen_practitioner_or_404(service, value):
    """The details step's practitioner: None for "any", the practitioner, or 404 for anything
    else (one the service does not offer)."""
    chosen = practitioner_choice(value)
    if chosen is False:
        abort(404)
    if chosen is None:
        return None
    practitioner = next((p for p in availability.practitioners_for(service) if p.id == chosen),
                        None)
    if practitioner is None:
        abort(404)
    return practitioner


# --- Step 1: the clinic and what can be booked. ---------------------------------------------------

@bp.route("/")
def index():
    """The services, each with its earliest free time (a course: its earliest start), one tap
    from its details form."""
    offered = availability.bookable_services()
    for _attempt in range(3):  # the reference data changed while we read: read it again
        try:
            earliest = _earliest_times(offered, reference.current())
            break
        except reference.Stale:
            continue
    else:
        raise reference.Stale()
    return render_template("scheduler/index.html", services=offered, earliest=earliest)


def _earliest_times(offered, known):
    """{service id: (earliest start, link to its details form)}, from the free times as the
    times page reads them: the per-worker reference data and the engine's remembered answers
    (reference.py), the same times the booking service offers."""
    rows = {row.id: row for row in known.bookable()}
    earliest = {}
    for service in offered:
        row = rows.get(service.id)
        if row is None:
            continue
        if row.is_course:
            sessions = courses.default_sessions(row)
            found = courses.earliest_start(
                row, sessions, practitioners=known.practitioners_for(row),
                find=lambda service_row, first, last, practitioner: reference.find_slots(
                    known, service_row, first, last, practitioner))
            if found:
                earliest[row.id] = (found.start, url_for(
                    ".course_details", service_id=row.id, start=found.start.isoformat(),
                    sessions=sessions, practitioner=ANY))
        else:
            found = availability.earliest(lambda first, last, row=row: reference.find_slots(
                known, row, first, last))
            if found:
                earliest[row.id] = (found.start, url_for(
                    ".details", service_id=row.id, start=found.start.isoformat(),
                    practitioner=ANY))
    return earliest


# --- Step 2: a week of free times. ----------------------------------------------------------------

# The times page is what most patients load most: it reads the clinic's reference data and the
# free times as the JSON API does (reference.py: one query, the engine's answer remembered),
# and the page written for the same question is remembered too, per worker, keyed by all it
# shows (bench/bench_pages.py).
TIMES_PAGES = "expio.times_pages"
TIMES_PAGES_SIZE = 256


@bp.route("/book/<int:service_id>")
def slots(service_id):
    known, checked = reference.cached()
    for _attempt in range(3):  # the reference data changed three times while we read: give up
        try:
            return _times_page(known, checked, service_id)
        except reference.Stale:
            known, checked = reference.current(), True
    raise reference.Stale()


def _times_page(known, checked, service_id):
    service = next((s for s in known.bookable() if s.id == service_id), None)
    if service is None:
        if not checked:  # a 404 only from reference data just checked
            raise reference.Stale()
        abort(404)
    if service.is_course:  # a course is chosen by its start
        return redirect(url_for(".course_starts", service_id=service_id, **{
            name: request.args[name] for name in ("practitioner", "week") if name in request.args}))
    practitioners = known.practitioners_for(service)
    practitioner = parse_practitioner(request.args.get("practitioner"), practitioners)
    week = _week(request.args.get("week"))
    found = reference.find_slots(known, service, week.first, week.last, practitioner)
    if "week" not in request.args:
        # Someone booking on a Sunday, or late on a Friday, should see the first week that has
        # room rather than an empty one.
        while not found and week.next is not None:
            week = _week(week.next.isoformat())
            found = reference.find_slots(known, service, week.first, week.last, practitioner)

    def page():
        form = _fill_choice_form(PractitionerChoiceForm(formdata=None), practitioners,
                                 practitioner, week)
        practitioner_arg = _practitioner_arg(practitioner)
        days = _with_links(_days(found, week.first, week.last), service, practitioner_arg,
                           week)
        return render_template(
            "scheduler/slots.html", service=service, practitioner=practitioner,
            practitioner_arg=practitioner_arg, form=form, week=week, days=days,
            chosen=_chosen_day(days, request.args.get("day")), has_slots=bool(found))

    if session.get("_flashes"):  # a message for this person: not a page to remember
        return page()
    key = (request.full_path, str(get_locale()), chosen_theme(), known.version,
           booking_rules.local_today(), week.first,
           tuple((slot.start, slot.practitioner_id) for slot in found))
    remembered = current_app.extensions.setdefault(TIMES_PAGES, OrderedDict())
    body = remembered.get(key)
    if body is None:
        body = remembered[key] = page()
        while len(remembered) > TIMES_PAGES_SIZE:
            remembered.popitem(last=False)
    else:
        remembered.move_to_end(key)
    return body


# --- Step 3: who is coming, then book. ------------------------------------------------------------

def _alternatives(service, start, practitioner):
    """Fresh free times after a clash: that day's, else the rest of that week's."""
    day = to_local(start).date()
    found = availability.find_slots(service, day, day, practitioner)
    last = monday_of(day) + timedelta(days=6)
    if not found and day < last:
        found = availability.find_slots(service, day, last, practitioner)
        return _days(found, day, last)
    return _days(found, day, day)


@bp.route("/book/<int:service_id>/details", methods=["GET", "POST"])
@limiter.limit(booking_limit, methods=["POST"])
def details(service_id):
    service = availability.get_bookable_service(service_id)
    if service is None:
        abort(404)
    practitioner = _chosen_practitioner_or_404(service, request.args.get("practitioner"))
    practitioner_arg = _practitioner_arg(practitioner)

    raw_start = request.args.get("start")
    if request.method == "POST":
        raw_start = request.form.get("start") or raw_start
    start = parse_start(raw_start)
    if start is None:
        flash(_("Please choose a time for your appointment."), "error")
        return redirect(url_for(".slots", service_id=service.id, practitioner=practitioner_arg),
                        303)

    form = DetailsForm() if request.method == "POST" else DetailsForm(formdata=None)
    form.offer(offered(current_app.config))
    form.start.data = start.isoformat()

    def page(status=200, message=None, alternatives=None, refused=False):
        return render_template(
            "scheduler/details.html", service=service, practitioner=practitioner,
            practitioner_arg=practitioner_arg, start=start, form=form, message=message,
            alternatives=alternatives, refused=refused,
            action=url_for(".details", service_id=service.id, start=start.isoformat(),
                           practitioner=practitioner_arg),
            change_url=url_for(".slots", service_id=service.id, practitioner=practitioner_arg,
                               week=to_local(start).date().isoformat()),
            consent_version=current_app.config["CONSENT_VERSION"],
        ), status

    if request.method == "GET":
        # A time typed or kept in the URL (a Saturday, the past, a time taken since) is
        # refused now, before anyone types their details.
        try:
            services.check_free(service, start, practitioner)
        except booking_errors.SlotTaken as error:
            return page(error.status, error.message, _alternatives(service, start, practitioner))
        except booking_errors.SlotNotBookable as error:
            return page(error.status, error.message, refused=True)
        return page()
    if not form.validate():
        return page(422)
    channel, channel_consent = form.choice()
    try:
        _appointment, token = services.book(
            service_id=service.id, start=start,
            practitioner_id=practitioner.id if practitioner else None,
            patient=form.patient_details(), consent=form.consent.data is True,
            source="online", language=str(get_locale()), channel=channel,
            channel_consent=channel_consent,
        )
    except services.InvalidDetails as error:
        form.add_errors(error.fields)
        return page(422)
    except booking_errors.SlotTaken as error:
        return page(error.status, error.message, _alternatives(service, start, practitioner))
    except booking_errors.SlotNotBookable as error:
        form.add_errors(error.fields or {"start": error.message})
        return page(error.status, error.message)
    except LookupError:
        abort(404)
    return redirect(url_for(".manage", token=token, new=1), 303)


# --- Step 4: the private manage page (also the confirmation). -------------------------------------

def _appointment_or_404(token):
    appointment = manage_links.appointment_by_token(token)
    if appointment is None:
        abort(404)
    return appointment


def _render_manage(appointment, token, *, new=False, message=None, cancel_form=None, status=200):
    can_change = appointment_changes.manage_window_open(appointment)
    cutoff_hours = current_app.config["MANAGE_CUTOFF_HOURS"]
    service = appointment.service
    return render_template(
        "scheduler/manage.html", appointment=appointment, token=token, new=new,
        message=message, can_change=can_change, cutoff_hours=cutoff_hours,
        change_until=appointment_changes.change_deadline(appointment),
        cancel_form=cancel_form or CancelForm(formdata=None),
        manage_url=url_for("scheduler.manage", token=token, _external=True),
        book_again_url=(url_for("scheduler.slots", service_id=service.id)
                        if service.active and service.online_bookable
                        else url_for("scheduler.index")),
    ), status


@bp.route("/manage/<token>/cancel", methods=["POST"])
@private_page
def cancel(token):
    appointment = _appointment_or_404(token)
    form = CancelForm()
    if not form.validate():
        return _render_manage(appointment, token, cancel_form=form, status=422)
    try:
        appointment_changes.cancel_by_patient(appointment.id, form.reason.data or "")
    except booking_errors.BookingError as error:  # ManageWindowClosed, NotActive
        return _render_manage(appointment, token, message=error.message, status=error.status)
    flash(_("Your appointment has been cancelled."), "success")
    return redirect(url_for(".manage", token=token), 303)


@bp.route("/manage/<token>/reschedule", methods=["GET", "POST"])
@private_page
def reschedule(token):
    appointment = _appointment_or_404(token)
    if request.method == "GET":
        if not appointment_changes.manage_window_open(appointment):
            return redirect(url_for(".manage", token=token), 303)
        form = RescheduleForm(formdata=None)
        return _render_reschedule(appointment, token, form, _week(request.args.get("week")))

    form = RescheduleForm()
    week = _week(form.week.data)
    new_start = parse_start(form.start.data) if form.validate() else None
    if new_start is None:
        form.start.errors = [_("Please pick a new time.")]
        return _render_reschedule(appointment, token, form, week, status=422)
    try:
        moved = appointment_changes.reschedule_by_patient(appointment.id, new_start)
    except booking_errors.BookingError as error:  # SlotTaken, SlotNotBookable, too late...
        return _render_reschedule(appointment, token, form, week, message=error.message,
                                  status=error.status)
    flash(_("Your appointment was moved to %(when)s.",
            when=format_datetime(moved.starts_at, DATETIME_PATTERN)), "success")
    return redirect(url_for(".manage", token=token), 303)


def _render_reschedule(appointment, token, form, week, *, message=None, status=200):
    can_change = appointment_changes.manage_window_open(appointment)
    days, has_slots = [], False
    if can_change:
        found = availability.find_slots(appointment.service, week.first, week.last,
                                        appointment.practitioner,
                                        exclude_appointment_id=appointment.id)
        days = _days(found, week.first, week.last, skip_start=appointment.starts_at)
        has_slots = any(day.slots for day in days)
    form.week.data = week.first.isoformat()
    return render_template(
        "scheduler/reschedule.html", appointment=appointment, token=token, form=form,
        week=week, days=days, has_slots=has_slots, can_change=can_change, message=message,
        selected=form.start.data,
    ), status

