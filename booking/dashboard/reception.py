"""Reception: the calendar (day and week), booking callers, appointments, patients.

Views are thin: they parse the request, call one function of the desk's read models
(booking/scheduler/desk_*.py: lookups, board, booking, patients, appointment page) or of the
booking services (services.py, appointment_changes.py, attendance.py: changing), then render,
flash or redirect. Every change goes through the same engine, lock and guard as online booking;
staff cannot override a clash.

Receptionists never receive clinical content: the desk_*.py modules load intake rows with their
status only, and the pages show that status in words. Names, phones and emails travel in POST
bodies, never in URLs (ids in paths are fine).
"""
from datetime import date, timedelta
from functools import wraps

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional
from wtforms.widgets import DateInput, EmailInput, TelInput

from ..localized import localized
from ..auth.access import safe_next, staff_required
from ..scheduler import (
    day_grid,
    desk_appointment_page,
    desk_board,
    desk_booking,
    desk_lookups,
    desk_patients,
    services,
)
from ..scheduler import appointment_changes, attendance, booking_errors, booking_rules
from ..scheduler.forms import ANY, monday_of, parse_start
from ..timeutil import to_local
from .blueprint import RECEPTION, bp

DATETIME_PATTERN = "EEEE, d MMMM y, HH:mm"
MAX_REASON = 500


# --- Forms: they check shape; the services decide what the values mean. -------------------------

class DayChoiceForm(FlaskForm):
    """GET: which day the calendar shows."""

    class Meta:
        csrf = False

    day = StringField(_l("Day"), widget=DateInput(), validators=[Optional(), Length(max=10)])


class WeekChoiceForm(FlaskForm):
    """GET: whose week the calendar shows."""

    class Meta:
        csrf = False

    practitioner = SelectField(_l("Practitioner"), default=ANY)
    week = HiddenField()


class BookingChoiceForm(FlaskForm):
    """GET: the service, the practitioner (or any) and the day whose free times are shown."""

    class Meta:
        csrf = False

    service = SelectField(_l("Service"))
    practitioner = SelectField(_l("Practitioner"), default=ANY)
    day = StringField(_l("Day"), widget=DateInput(), validators=[Optional(), Length(max=10)])


class PatientSearchForm(FlaskForm):
    """POST, so that names, phones and dates of birth never end up in a URL or a log."""

    q = StringField(
        _l("Name, phone, email or date of birth"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[DataRequired(message=_l("Please type at least two characters.")),
                    Length(min=2, max=120, message=_l("Please type 2 to 120 characters."))],
        render_kw={"autocomplete": "off", "maxlength": 120},
    )
    start = HiddenField()  # on the booking page: the time already chosen


class CallerForm(FlaskForm):
    """POST: book `start` for a patient found by the search (an id) or a new one."""

    start = HiddenField()
    patient = StringField(validators=[Optional(), Length(max=12)])  # drawn as radio buttons
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=254)],
                            render_kw={"autocomplete": "off", "maxlength": 120})
    phone = StringField(_l("Phone"), widget=TelInput(), validators=[Optional(), Length(max=40)],
                        render_kw={"autocomplete": "off", "inputmode": "tel"})
    email = StringField(_l("Email"), widget=EmailInput(),
                        validators=[Optional(), Length(max=254)], render_kw={"autocomplete": "off"})
    date_of_birth = StringField(_l("Date of birth"), widget=DateInput(),
                                validators=[Optional(), Length(max=40)])
    consent = BooleanField(_l("The caller agreed to the processing of their data"))
    # A new patient's language, for their emails (an existing patient keeps theirs).
    language = SelectField(
        _l("Language of their emails"),
        choices=[SelectChoice("uk", _l("Ukrainian")), SelectChoice("en", _l("English"))],
        default="uk", validate_choice=False,
        validators=[AnyOf(["uk", "en"], message=_l("Please choose Ukrainian or English."))])

    def patient_details(self):
        return {"full_name": self.full_name.data or "", "email": self.email.data or "",
                "phone": self.phone.data or "", "date_of_birth": self.date_of_birth.data or ""}

    def add_errors(self, fields):
        for name, message in fields.items():
            target = self._fields.get(name)
            if target is not None:
                target.errors = [*target.errors, str(message)]


class StatusForm(FlaskForm):
    status = StringField(validators=[InputRequired(message=_l("Please choose a status."))])


class StaffCancelForm(FlaskForm):
    cancelled_by = RadioField(
        _l("Who asked to cancel?"),
        choices=[SelectChoice("patient", _l("The patient")),
                 SelectChoice("clinic", _l("The clinic"))],
        validate_choice=False,
        validators=[InputRequired(message=_l("Please say who asked to cancel.")),
                    AnyOf(["patient", "clinic"], message=_l("Please say who asked to cancel."))],
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[InputRequired(message=_l("Please give a reason.")),
                    Length(max=MAX_REASON, message=_l("Please keep it under 500 characters."))],
        render_kw={"rows": 3, "maxlength": MAX_REASON},
    )


class MoveForm(FlaskForm):
    """POST: the new time (radio buttons named `start`) and practitioner of an appointment.
    The calendar's drag and drop (static/calendar.js) submits this same form."""

    start = StringField(validators=[Optional(), Length(max=40)])
    practitioner = StringField(validators=[Optional(), Length(max=12)])
    week = HiddenField()
    next = HiddenField()


# --- Small parsers: a bad value never becomes a 500. -------------------------------------------

def _parse_day(value, default):
    if not value:
        return default
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        return default
    return day if 2000 <= day.year <= 2100 else default


def _parse_id(value):
    if value is None or value == "" or value == ANY:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2 ** 31 else None


def _open_day(day, step):
    """The next (step=1) or previous (step=-1) day the clinic is open."""
    open_weekdays = _open_weekdays()
    for _n in range(7):
        day += timedelta(days=step)
        if day.weekday() in open_weekdays:
            return day
    return day


def _open_weekdays():
    return current_app.config["CLINIC_OPEN_WEEKDAYS"]


def private(view):
    """Desk and privacy pages carry names and contacts: never cached, never sent as a referrer
    (privacy_admin.py uses it too)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "same-origin"
        return response
    return wrapped


def _practitioner_choices(practitioners, any_label):
    return [SelectChoice(ANY, any_label)] + [SelectChoice(str(p.id), localized(p, "full_name"))
                                            for p in practitioners]


# --- Booking a caller: shared by a single appointment (here) and a course (desk_courses.py) -----

def _caller_forms(start, patient, *, caller_form=None, search_form=None, search=None):
    """The caller and search forms of a booking page, carrying `start` (an instant or None),
    and the patients to choose from: those found, with `patient` (the one the page was opened
    for) first. One patient to choose is chosen already; none means a new patient."""
    caller_form = caller_form or CallerForm(formdata=None)
    search_form = search_form or PatientSearchForm(formdata=None)
    if start is not None:
        caller_form.start.data = caller_form.start.data or start.isoformat()
        search_form.start.data = start.isoformat()
    found = list(search.patients) if search else []
    if patient is not None and patient not in found:
        found.insert(0, patient)
    if not caller_form.patient.data:
        caller_form.patient.data = str(found[0].id) if len(found) == 1 else ("new" if not found
                                                                               else "")
    return caller_form, search_form, found


def _chosen_patient_id(form):
    """The id of the patient picked from the search; None for a new patient (or no choice)."""
    chosen = form.patient.data or ""
    return _parse_id(chosen) if chosen != "new" else None


def _check_caller(form, start, patient_id, no_start_message):
    """Raise InvalidDetails unless the form is valid, a start is picked and the patient is
    either one from the search or a new one."""
    if not form.validate():
        raise services.InvalidDetails({})
    if start is None:
        raise services.InvalidDetails({"start": no_start_message})
    if (form.patient.data or "") != "new" and patient_id is None:
        raise services.InvalidDetails(
            {"patient": _("Please choose a patient from the search, or a new patient.")})


def _caller_errors(form, error):
    """Put a refused booking's field messages next to the caller form's fields (consent in
    the desk's words) and return them."""
    fields = dict(getattr(error, "fields", {}) or {})
    if "consent" in fields:
        fields["consent"] = _("Please ask the caller whether they agree to the processing "
                              "of their data, and tick the box if they do.")
    form.add_errors(fields)
    return fields


# --- Calendar -----------------------------------------------------------------------------------

@bp.route("/calendar")
@staff_required(*RECEPTION)
@private
def calendar_day():
    today = booking_rules.local_today()
    day = _parse_day(request.args.get("day"), today)
    grid = day_grid.day_grid(day, request.args.get("by") or "practitioner",
                             page=_parse_page(request.args.get("page")))
    form = DayChoiceForm(formdata=None, day=day.isoformat())
    return render_template(
        "dashboard/reception/day.html", grid=grid, day=day, today=today, form=form,
        previous_day=_open_day(day, -1), next_day=_open_day(day, 1),
        clinic_open=day.weekday() in _open_weekdays(),
    )


@bp.route("/calendar/print")
@staff_required(*RECEPTION)
@private
def calendar_print():
    """The day list to print, per practitioner: time, patient, phone, service, status."""
    day = _parse_day(request.args.get("day"), booking_rules.local_today())
    practitioner = desk_lookups.active_practitioner(_parse_id(request.args.get("practitioner")))
    lists, people = day_grid.day_list(day, practitioner.id if practitioner else None,
                                      page=_parse_page(request.args.get("page")))
    return render_template("dashboard/reception/day_list.html", day=day,
                           practitioner=practitioner, lists=lists, people=people)


def _parse_page(value):
    """?page=N of an "everyone" page (1 when missing or not a number)."""
    return int(value) if value and value.isdigit() and len(value) < 6 else 1


# The week of everyone, this many practitioners a page: each day lists all their appointments.
WEEK_PAGE_SIZE = 8


@bp.route("/calendar/week")
@staff_required(*RECEPTION)
@private
def calendar_week():
    today = booking_rules.local_today()
    monday = monday_of(_parse_day(request.args.get("week"), today))
    practitioner = desk_lookups.active_practitioner(_parse_id(request.args.get("practitioner")))
    people = None
    if practitioner is None:
        people = desk_board.practitioner_page(monday, monday + timedelta(days=6),
                                              _parse_page(request.args.get("page")),
                                              WEEK_PAGE_SIZE)
    board = desk_board.week_board(monday, practitioner,
                                  practitioners=people.practitioners if people else None)
    form = WeekChoiceForm(formdata=None)
    form.practitioner.choices = _practitioner_choices(desk_lookups.active_practitioners(),
                                                      _("Everyone"))
    form.practitioner.data = str(practitioner.id) if practitioner else ANY
    form.week.data = monday.isoformat()
    return render_template(
        "dashboard/reception/week.html", board=board, monday=monday, today=today,
        practitioner=practitioner, form=form, people=people,
        practitioner_arg=str(practitioner.id) if practitioner else None,
        previous_week=monday - timedelta(days=7), next_week=monday + timedelta(days=7),
    )


# --- Booking a caller -----------------------------------------------------------------------------

def _booking_args():
    """The choices carried in the page's URL (no names there: service, practitioner, day)."""
    return {
        "service_id": _parse_id(request.args.get("service")),
        "practitioner_id": _parse_id(request.args.get("practitioner")),
        "day": _parse_day(request.args.get("day"), None),
        "patient_id": _parse_id(request.args.get("patient")),
    }


def _render_book(choice, *, caller_form=None, search_form=None, search=None, message=None,
                 alternatives=None, same_day=None, status=200):
    choice_form = BookingChoiceForm(formdata=None)
    choice_form.service.choices = [SelectChoice("", _("Choose a service"))] + [
        SelectChoice(str(s.id), localized(s, "name")) for s in choice.services]
    choice_form.service.data = str(choice.service.id) if choice.service else ""
    choice_form.practitioner.choices = _practitioner_choices(choice.practitioners,
                                                             _("Any practitioner"))
    choice_form.practitioner.data = str(choice.practitioner.id) if choice.practitioner else ANY
    choice_form.day.data = choice.day.isoformat()
    caller_form, search_form, found = _caller_forms(
        choice.start, choice.patient, caller_form=caller_form, search_form=search_form,
        search=search)
    url_args = {"service": choice.service.id if choice.service else None,
                "practitioner": choice.practitioner.id if choice.practitioner else ANY,
                "day": choice.day.isoformat()}
    return render_template(
        "dashboard/reception/book.html", choice=choice, choice_form=choice_form,
        caller_form=caller_form, search_form=search_form, search=search, found=found,
        message=message, alternatives=alternatives, url_args=url_args, same_day=same_day,
        previous_day=_open_day(choice.day, -1), next_day=_open_day(choice.day, 1),
    ), status


@bp.route("/book", methods=["GET", "POST"])
@staff_required(*RECEPTION)
@private
def book_caller():
    args = _booking_args()
    raw_start = request.form.get("start") if request.method == "POST" else None
    start = parse_start(raw_start or request.args.get("start"))
    if request.method == "GET":
        return _render_book(desk_booking.booking_choice(start=start, **args))

    if request.form.get("action") == "search":
        search_form = PatientSearchForm()
        choice = desk_booking.booking_choice(start=start, **args)
        if not search_form.validate():
            return _render_book(choice, search_form=search_form, status=422)
        return _render_book(choice, search_form=search_form,
                            search=desk_patients.search_patients(search_form.q.data))

    form = CallerForm()
    patient_id = _chosen_patient_id(form)
    try:
        _check_caller(form, start, patient_id, _("Please pick a time."))
        if args["service_id"] is None:
            raise booking_errors.SlotNotBookable(_("Please choose a service."))
        # A patient who already has an appointment that day: asked first, booked on "Book
        # anyway" (the form then carries confirm=same_day).
        if patient_id is not None and request.form.get("confirm") != "same_day":
            choice = desk_booking.booking_choice(**{**args, "patient_id": patient_id}, start=start,
                                                 keep_start=True)
            same_day = desk_booking.same_day_appointments(patient_id, start, choice.service) \
                if choice.service else []
            if same_day:
                return _render_book(choice, caller_form=form, same_day=same_day)
        appointment, token = services.book_by_staff(
            service_id=args["service_id"], start=start, practitioner_id=args["practitioner_id"],
            patient_id=patient_id, patient=form.patient_details() if patient_id is None else None,
            consent=form.consent.data is True, language=form.language.data, actor=current_user)
    except booking_errors.SlotTaken as error:
        choice = desk_booking.booking_choice(**{**args, "day": to_local(start).date(),
                                                "patient_id": patient_id}, start=None)
        alternatives = desk_booking.days_of(choice.slots, choice.day, choice.day)
        form.start.data = ""
        return _render_book(choice, caller_form=form, message=error.message,
                            alternatives=alternatives, status=error.status)
    except (booking_errors.SlotNotBookable, services.InvalidDetails) as error:
        _caller_errors(form, error)
        choice = desk_booking.booking_choice(**{**args, "patient_id": patient_id}, start=start,
                                             keep_start=True)
        message = getattr(error, "message", None) or _("Please check the highlighted fields.")
        return _render_book(choice, caller_form=form, message=message, status=422)
    except LookupError:
        abort(404)
    # The manage link is the patient's: shown here once so it can be read out or sent,
    # never stored (only its hash is) and never put in a redirect or a flash.
    view = desk_appointment_page.appointment_view(appointment.id)
    return _render_appointment(
        view, just_booked=True,
        manage_url=url_for("scheduler.manage", token=token, _external=True))


# --- One appointment -----------------------------------------------------------------------------

def _render_appointment(view, *, status=200, message=None, cancel_form=None,
                        status_form_error=None, just_booked=False, manage_url=None):
    return render_template(
        "dashboard/reception/appointment.html", view=view, appointment=view.appointment,
        message=message, cancel_form=cancel_form or StaffCancelForm(formdata=None),
        status_form_error=status_form_error, just_booked=just_booked, manage_url=manage_url,
    ), status


def _appointment_view_or_404(appointment_id):
    view = desk_appointment_page.appointment_view(appointment_id)
    if view is None:
        abort(404)
    return view


@bp.route("/appointments/<int:appointment_id>")
@staff_required(*RECEPTION)
@private
def desk_appointment(appointment_id):
    return _render_appointment(_appointment_view_or_404(appointment_id))


STATUS_DONE = {
    "arrived": _l("Marked as arrived."),
    "completed": _l("Marked as completed."),
    "no_show": _l("Marked as a no-show."),
    "booked": _l("Set back to booked."),
}


@bp.route("/appointments/<int:appointment_id>/status", methods=["POST"])
@staff_required(*RECEPTION)
@private
def desk_set_status(appointment_id):
    form = StatusForm()
    if not form.validate():
        return _render_appointment(_appointment_view_or_404(appointment_id), status=422,
                                   status_form_error=" ".join(map(str, form.status.errors)))
    try:
        attendance.set_status(appointment_id, form.status.data)
    except LookupError:
        abort(404)
    except booking_errors.BookingError as error:
        return _render_appointment(_appointment_view_or_404(appointment_id), status=error.status,
                                   status_form_error=error.message)
    flash(str(STATUS_DONE.get(form.status.data, _("Saved."))), "success")
    return redirect(url_for(".desk_appointment", appointment_id=appointment_id), 303)


@bp.route("/appointments/<int:appointment_id>/cancel", methods=["POST"])
@staff_required(*RECEPTION)
@private
def desk_cancel(appointment_id):
    form = StaffCancelForm()
    if not form.validate():
        return _render_appointment(_appointment_view_or_404(appointment_id), status=422,
                                   cancel_form=form)
    try:
        appointment_changes.cancel_by_staff(appointment_id, form.reason.data,
                                            cancelled_by=form.cancelled_by.data)
    except LookupError:
        abort(404)
    except booking_errors.BookingError as error:
        return _render_appointment(_appointment_view_or_404(appointment_id), status=error.status,
                                   message=error.message, cancel_form=form)
    flash(_("The appointment was cancelled; its time is free again."), "success")
    return redirect(url_for(".desk_appointment", appointment_id=appointment_id), 303)


def _render_move(options, form, *, message=None, status=200):
    chooser = WeekChoiceForm(formdata=None)
    chooser.practitioner.choices = [SelectChoice(str(p.id), localized(p, "full_name"))
                                    for p in options.practitioners]
    chooser.practitioner.data = str(options.practitioner.id) if options.practitioner else ""
    chooser.week.data = options.monday.isoformat()
    form.week.data = options.monday.isoformat()
    form.practitioner.data = str(options.practitioner.id) if options.practitioner else ""
    return render_template(
        "dashboard/reception/reschedule.html", options=options, appointment=options.appointment,
        form=form, chooser=chooser, message=message,
        previous_week=options.monday - timedelta(days=7),
        next_week=options.monday + timedelta(days=7),
        last_day=options.monday + timedelta(days=6),
    ), status


@bp.route("/appointments/<int:appointment_id>/reschedule", methods=["GET", "POST"])
@staff_required(*RECEPTION)
@private
def desk_reschedule(appointment_id):
    if request.method == "GET":
        options = desk_booking.move_options(
            appointment_id, week=_parse_day(request.args.get("week"), None),
            practitioner_id=_parse_id(request.args.get("practitioner")))
        if options is None:
            abort(404)
        return _render_move(options, MoveForm(formdata=None))

    form = MoveForm()
    new_start = parse_start(form.start.data) if form.validate() else None
    practitioner_id = _parse_id(form.practitioner.data)
    week = _parse_day(form.week.data, to_local(new_start).date() if new_start else None)
    try:
        if new_start is None:
            raise booking_errors.SlotNotBookable(_("Please pick a new time."),
                                                 fields={"start": _("Please pick a new time.")})
        moved = desk_booking.reschedule(appointment_id, new_start, practitioner_id=practitioner_id)
    except LookupError:
        abort(404)
    except booking_errors.BookingError as error:  # SlotTaken 409; SlotNotBookable, NotActive 422
        options = desk_booking.move_options(appointment_id, week=week,
                                            practitioner_id=practitioner_id)
        if options is None:
            abort(404)
        return _render_move(options, form, message=error.message, status=error.status)
    flash(_("Moved to %(when)s with %(who)s.",
            when=format_datetime(moved.starts_at, DATETIME_PATTERN),
            who=localized(moved.practitioner, "full_name")), "success")
    return redirect(safe_next(form.next.data)
                    or url_for(".desk_appointment", appointment_id=appointment_id), 303)


# --- Patients ------------------------------------------------------------------------------------

@bp.route("/patients", methods=["GET", "POST"])
@staff_required(*RECEPTION)
@private
def patients():
    if request.method == "GET":
        return render_template("dashboard/reception/patients.html",
                               form=PatientSearchForm(formdata=None), search=None)
    form = PatientSearchForm()
    if not form.validate():
        return render_template("dashboard/reception/patients.html", form=form,
                               search=None), 422
    return render_template("dashboard/reception/patients.html", form=form,
                           search=desk_patients.search_patients(form.q.data))


@bp.route("/patients/<int:patient_id>")
@staff_required(*RECEPTION)
@private
def desk_patient(patient_id):
    overview = desk_patients.patient_overview(patient_id)
    if overview is None:
        abort(404)
    return render_template("dashboard/reception/patient.html", overview=overview,
                           patient=overview.patient,
                           cutoff_hours=current_app.config["MANAGE_CUTOFF_HOURS"])
