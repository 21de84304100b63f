"""Administration: staff accounts, services, practitioners and working hours, the intake
instrument switches, and the audit log (closures have their own module: reception uses them too).

Views are thin: the forms check shape, the services (booking/clinic_admin.py,
booking/instrument_settings.py, booking/audit_search.py and booking/auth/services.py) decide
what is right, write, and audit in the same transaction.
"""
import json
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, DateInput, ListWidget, TimeInput

from .. import audit_search, clinic_admin, instrument_settings
from ..admin_fields import AdminError
from ..auth import services as accounts
from ..auth.access import staff_required
from ..localized import localized
from ..models import ROLES
from . import audit_words
from .blueprint import ADMIN, bp

ROLE_LABELS = {"admin": _l("Administrator"), "receptionist": _l("Receptionist"),
               "clinician": _l("Clinician")}
PASSWORD_HINT = _l("At least 8 characters, not a common password. A few unrelated words make a "
                   "strong, memorable password. Give it to the person privately.")


# --- Forms: shape only. -------------------------------------------------------------------------

class CheckboxesField(SelectMultipleField):
    """Tick as many as apply (rendered by the admin templates' `checkboxes` macro)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _role_field():
    return CheckboxesField(_l("Roles"),
                           choices=[SelectChoice(role, ROLE_LABELS[role]) for role in ROLES],
                           description=_l("A person may hold several roles, for example "
                                          "administrator and clinician."))


def _practitioner_field():
    return SelectField(_l("Linked practitioner"), choices=[], validate_choice=True,
                       description=_l("A clinician sees the calendar of this practitioner."))


class StaffCreateForm(FlaskForm):
    email = EmailField(_l("Email"), [Length(max=254)], render_kw={"autocomplete": "off"})
    full_name = StringField(_l("Full name"), [Length(max=120)])
    roles = _role_field()
    practitioner_id = _practitioner_field()
    password = PasswordField(_l("Initial password"), [Length(max=256)],
                             description=PASSWORD_HINT, render_kw={"autocomplete": "new-password"})


class StaffAccessForm(FlaskForm):
    roles = _role_field()
    practitioner_id = _practitioner_field()


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(_l("New password"), [Length(max=256)], description=PASSWORD_HINT,
                                 render_kw={"autocomplete": "new-password"})


def _minutes(label, hint):
    return StringField(label, [Length(max=6)], description=hint,
                       render_kw={"inputmode": "numeric", "maxlength": 6})


class ServiceForm(FlaskForm):
    name = StringField(lazy_pgettext("service", "Name"), [Length(max=200)])
    name_uk = StringField(_l("Name in Ukrainian"), [Length(max=200)],
                          description=_l("Shown on Ukrainian pages and in Ukrainian emails. "
                                         "Leave empty to show the name above."))
    description = TextAreaField(_l("Description"), [Length(max=4000)],
                                description=_l("Shown to patients when they choose a service."),
                                render_kw={"rows": 3})
    description_uk = TextAreaField(_l("Description in Ukrainian"), [Length(max=4000)],
                                   description=_l("Leave empty to show the description above."),
                                   render_kw={"rows": 3})
    duration_minutes = _minutes(_l("Duration in minutes"), _l("From 5 to 540."))
    grid_minutes = _minutes(_l("Start times every ... minutes"),
                            _l("From 5 to 540. 30 gives 10:00, 10:30, 11:00 ..."))
    buffer_minutes = _minutes(_l("Free time after each appointment, in minutes"),
                              _l("From 0 to 240: notes, cleaning."))
    online_bookable = BooleanField(_l("Patients can book it online"))
    active = BooleanField(lazy_pgettext("service", "Active"))
    needs_ketamine_prescreen = BooleanField(_l("The intake includes the ketamine pre-screen"))
    clinician_confirms_courses = BooleanField(
        _l("A clinician confirms every course"),
        description=_l("For course services. Each course waits, its times held, until a "
                       "clinician confirms it, even when the intake raises nothing. Untick to "
                       "let an intake with no flags confirm the course by itself."))
    offers_diary = BooleanField(
        _l("Invite patients to the headache diary"),
        description=_l("Booking it links the patient to their headache diary: the 28 days "
                       "before a course are its baseline, the diary after it shows whether the "
                       "relief lasts."))
    price_uah = StringField(
        _l("Price in hryvnias (optional)"), [Length(max=9)],
        description=_l("Whole hryvnias; a course: the whole course. Shown to patients on the "
                       "service list and in the confirmation. Leave empty to show no price."),
        render_kw={"inputmode": "numeric", "maxlength": 9})
    practitioner_ids = CheckboxesField(_l("Practitioners who offer it"), choices=[])


class PractitionerForm(FlaskForm):
    full_name = StringField(_l("Full name"), [Length(max=200)])
    full_name_uk = StringField(_l("Full name in Ukrainian"), [Length(max=200)],
                               description=_l("Shown on Ukrainian pages and in Ukrainian "
                                              "emails. Leave empty to show the name above."))
    title = StringField(_l("Title"), [Length(max=200)],
                        description=_l("For example “Neurologist” or “Psychotherapist”."))
    title_uk = StringField(_l("Title in Ukrainian"), [Length(max=200)],
                           description=_l("For example “Невролог”. Leave empty to show the "
                                          "title above."))
    active = BooleanField(_l("Active"))


def _weekday_choices():
    open_weekdays, _opens, _closes = clinic_admin.opening_hours()
    return [SelectChoice(str(day), clinic_admin.WEEKDAY_NAMES[day]) for day in open_weekdays]


class HoursRowForm(Form):
    weekday = SelectField(_l("Day"), choices=_weekday_choices, validate_choice=False)
    start_time = StringField(_l("From"), [Length(max=8)], widget=TimeInput())
    end_time = StringField(_l("To"), [Length(max=8)], widget=TimeInput())

    def is_blank(self):
        return not (self.start_time.data or "").strip() and not (self.end_time.data or "").strip()


class HoursForm(FlaskForm):
    hours = FieldList(FormField(HoursRowForm), max_entries=clinic_admin.MAX_HOURS_ROWS + 1)


class InstrumentsForm(FlaskForm):
    midas = BooleanField(_l("MIDAS (migraine disability)"))
    phq9 = BooleanField(_l("PHQ-9 (depression)"))
    gad7 = BooleanField(_l("GAD-7 (anxiety)"))
    hit6_items = BooleanField(_l("HIT-6 items (headache impact)"))


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    action = StringField(_l("Action"), [Length(max=48)],
                         description=_l("The start is enough: “staff” finds every staff "
                                        "change."))
    actor = StringField(_l("Actor's email"), [Length(max=254)])
    object_type = StringField(_l("Object type"), [Length(max=32)],
                              description=_l("For example appointment, staff_user, closure."))
    object_id = StringField(_l("Object id"), [Length(max=12)], render_kw={"inputmode": "numeric"})
    first_day = StringField(_l("From"), [Length(max=10)], widget=DateInput())
    last_day = StringField(_l("To"), [Length(max=10)], widget=DateInput())


# --- Helpers ------------------------------------------------------------------------------------

def _actor():
    return current_user._get_current_object()


def _field(form, key):
    if key in form._fields and key != "csrf_token":
        return form._fields[key]
    parts = key.split("-")
    if len(parts) == 3 and parts[1].isdigit() and isinstance(form._fields.get(parts[0]), FieldList):
        entries = form._fields[parts[0]].entries
        if int(parts[1]) < len(entries):
            return entries[int(parts[1])].form._fields.get(parts[2])
    return None


def add_errors(form, fields):
    """Put a service's messages next to their fields; return those that name no field."""
    general = []
    for key, message in fields.items():
        target = _field(form, key)
        if target is None:
            general.append(message)
        else:
            target.errors = [*target.errors, message]
    return general


def _practitioner_choices(none_label):
    return [SelectChoice("", none_label)] + [
        SelectChoice(str(p.id), localized(p, "full_name") if p.active
                     else _("%(name)s (inactive)", name=localized(p, "full_name")))
        for p in clinic_admin.all_practitioners()
    ]


def _optional_id(value):
    return int(value) if value and str(value).isdigit() else None


# --- Home -----------------------------------------------------------------------------------------

@bp.route("/admin")
@staff_required(*ADMIN)
def admin_home():
    return render_template("dashboard/admin/home.html")


# --- Staff accounts -------------------------------------------------------------------------------

@bp.route("/admin/staff")
@staff_required(*ADMIN)
def staff_list():
    return render_template("dashboard/admin/staff_list.html",
                           users=clinic_admin.staff_accounts(), role_labels=ROLE_LABELS)


@bp.route("/admin/staff/new", methods=["GET", "POST"])
@staff_required(*ADMIN)
def staff_new():
    form = StaffCreateForm()
    form.practitioner_id.choices = _practitioner_choices(_("None"))
    status, messages = 200, []
    if form.validate_on_submit():
        try:
            user = accounts.create_staff(
                form.email.data, form.password.data, form.roles.data,
                full_name=form.full_name.data or "",
                practitioner_id=_optional_id(form.practitioner_id.data), actor=_actor())
        except accounts.StaffError as error:
            status = error.status
            messages = add_errors(form, error.fields) or [error.message]
        else:
            flash(_("The account for %(email)s was created.", email=user.email), "success")
            return redirect(url_for(".staff_edit", user_id=user.id), 303)
    elif request.method == "POST":
        status, messages = 422, [_("Please check the fields marked below.")]
    return render_template("dashboard/admin/staff_new.html", form=form, messages=messages), status


def _staff_page(user, *, access_form=None, password_form=None, messages=(), status=200):
    if access_form is None:
        access_form = StaffAccessForm(formdata=None, data={
            "roles": sorted(user.roles),
            "practitioner_id": str(user.practitioner_id or "")})
    access_form.practitioner_id.choices = _practitioner_choices(_("None"))
    return render_template(
        "dashboard/admin/staff_edit.html", user=user, access_form=access_form,
        password_form=password_form or ResetPasswordForm(formdata=None),
        messages=list(messages), role_labels=ROLE_LABELS,
        is_self=user.id == current_user.id), status


def _user_or_404(user_id):
    user = clinic_admin.staff_account(user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/admin/staff/<int:user_id>", methods=["GET", "POST"])
@staff_required(*ADMIN)
def staff_edit(user_id):
    user = _user_or_404(user_id)
    if request.method == "GET":
        return _staff_page(user)
    form = StaffAccessForm()
    form.practitioner_id.choices = _practitioner_choices(_("None"))
    if not form.validate():
        return _staff_page(user, access_form=form, status=422,
                           messages=[_("Please check the fields marked below.")])
    try:
        accounts.change_access(user_id, form.roles.data,
                               practitioner_id=_optional_id(form.practitioner_id.data),
                               actor=_actor())
    except LookupError:
        abort(404)
    except accounts.StaffError as error:
        general = add_errors(form, error.fields)
        return _staff_page(_user_or_404(user_id), access_form=form, status=error.status,
                           messages=general or [error.message])
    flash(_("Roles saved."), "success")
    return redirect(url_for(".staff_edit", user_id=user_id), 303)


@bp.route("/admin/staff/<int:user_id>/active", methods=["POST"])
@staff_required(*ADMIN)
def staff_set_active(user_id):
    _user_or_404(user_id)
    wanted = request.form.get("active")
    if wanted not in ("0", "1"):
        abort(400)
    try:
        user = accounts.update_staff(user_id, active=wanted == "1", actor=_actor())
    except LookupError:
        abort(404)
    except accounts.StaffError as error:
        return _staff_page(_user_or_404(user_id), status=error.status, messages=[error.message])
    if user.active:
        flash(_("The account is enabled again."), "success")
    else:
        flash(_("The account is disabled: its sessions have ended and it cannot sign in."),
              "success")
    return redirect(url_for(".staff_edit", user_id=user_id), 303)


@bp.route("/admin/staff/<int:user_id>/password", methods=["POST"])
@staff_required(*ADMIN)
def staff_reset_password(user_id):
    _user_or_404(user_id)
    form = ResetPasswordForm()
    if not form.validate():
        return _staff_page(_user_or_404(user_id), password_form=form, status=422)
    try:
        accounts.reset_password(user_id, form.new_password.data, _actor())
    except LookupError:
        abort(404)
    except accounts.StaffError as error:
        general = add_errors(form, error.fields)
        return _staff_page(_user_or_404(user_id), password_form=form, status=error.status,
                           messages=general)
    flash(_("The new password is set and the person's sessions have ended."), "success")
    return redirect(url_for(".staff_edit", user_id=user_id), 303)


# --- Services -------------------------------------------------------------------------------------

SERVICE_FIELDS = ("name", "name_uk", "description", "description_uk", "duration_minutes",
                  "grid_minutes", "buffer_minutes",
                  "online_bookable", "active", "needs_ketamine_prescreen",
                  "clinician_confirms_courses", "offers_diary", "price_uah",
                  "practitioner_ids")  # practitioner_ids last (service_edit)


def _service_form(data=None):
    form = ServiceForm(formdata=None, data=data) if data is not None else ServiceForm()
    form.practitioner_ids.choices = _practitioner_choices("")[1:]
    return form


def _service_values(form):
    return {name: form[name].data for name in SERVICE_FIELDS}


@bp.route("/admin/services")
@staff_required(*ADMIN)
def services_list():
    return render_template("dashboard/admin/services.html", services=clinic_admin.all_services())


def _save_service(form, template, save, **context):
    if not form.validate():
        return render_template(template, form=form, messages=[
            _("Please check the fields marked below.")], **context), 422
    try:
        service = save(**_service_values(form))
    except LookupError:
        abort(404)
    except AdminError as error:
        general = add_errors(form, error.fields)
        return render_template(template, form=form, messages=general or [error.message],
                               **context), error.status
    flash(_("The service “%(name)s” is saved.", name=service.name), "success")
    return redirect(url_for(".services_list"), 303)


@bp.route("/admin/services/new", methods=["GET", "POST"])
@staff_required(*ADMIN)
def service_new():
    if request.method == "GET":
        form = _service_form({"duration_minutes": 60, "grid_minutes": 30, "buffer_minutes": 0,
                              "online_bookable": True, "active": True})
        return render_template("dashboard/admin/service_form.html", form=form, service=None)
    return _save_service(_service_form(), "dashboard/admin/service_form.html",
                         lambda **fields: clinic_admin.create_service(actor=_actor(), **fields),
                         service=None)


@bp.route("/admin/services/<int:service_id>", methods=["GET", "POST"])
@staff_required(*ADMIN)
def service_edit(service_id):
    service = clinic_admin.get_service(service_id)
    if service is None:
        abort(404)
    if request.method == "GET":
        data = {name: getattr(service, name) for name in SERVICE_FIELDS[:-1]}
        data["practitioner_ids"] = [str(p.id) for p in service.practitioners]
        return render_template("dashboard/admin/service_form.html", form=_service_form(data),
                               service=service)
    return _save_service(
        _service_form(), "dashboard/admin/service_form.html",
        lambda **fields: clinic_admin.update_service(service_id, actor=_actor(), **fields),
        service=service)


# --- Practitioners and their working hours --------------------------------------------------------

@bp.route("/admin/practitioners")
@staff_required(*ADMIN)
def practitioners_list():
    return render_template("dashboard/admin/practitioners.html",
                           practitioners=clinic_admin.all_practitioners(),
                           weekday_names=clinic_admin.WEEKDAY_NAMES)


PRACTITIONER_FIELDS = ("full_name", "full_name_uk", "title", "title_uk", "active")


def _save_practitioner(form, save, practitioner):
    template = "dashboard/admin/practitioner_form.html"
    if not form.validate():
        return render_template(template, form=form, practitioner=practitioner, messages=[
            _("Please check the fields marked below.")]), 422
    try:
        saved = save(**{name: form[name].data for name in PRACTITIONER_FIELDS})
    except LookupError:
        abort(404)
    except AdminError as error:
        general = add_errors(form, error.fields)
        return render_template(template, form=form, practitioner=practitioner,
                               messages=general or [error.message]), error.status
    flash(_("“%(name)s” is saved.", name=saved.full_name), "success")
    if practitioner is None:
        return redirect(url_for(".practitioner_hours", practitioner_id=saved.id), 303)
    return redirect(url_for(".practitioners_list"), 303)


@bp.route("/admin/practitioners/new", methods=["GET", "POST"])
@staff_required(*ADMIN)
def practitioner_new():
    if request.method == "GET":
        form = PractitionerForm(formdata=None, data={"active": True})
        return render_template("dashboard/admin/practitioner_form.html", form=form,
                               practitioner=None)
    return _save_practitioner(
        PractitionerForm(),
        lambda **fields: clinic_admin.create_practitioner(actor=_actor(), **fields), None)


def _practitioner_or_404(practitioner_id):
    practitioner = clinic_admin.get_practitioner(practitioner_id)
    if practitioner is None:
        abort(404)
    return practitioner


@bp.route("/admin/practitioners/<int:practitioner_id>", methods=["GET", "POST"])
@staff_required(*ADMIN)
def practitioner_edit(practitioner_id):
    practitioner = _practitioner_or_404(practitioner_id)
    if request.method == "GET":
        form = PractitionerForm(formdata=None, obj=practitioner)
        return render_template("dashboard/admin/practitioner_form.html", form=form,
                               practitioner=practitioner)
    return _save_practitioner(
        PractitionerForm(),
        lambda **fields: clinic_admin.update_practitioner(practitioner_id, actor=_actor(),
                                                          **fields),
        practitioner)


def _hours_page(practitioner, form, *, messages=(), status=200):
    open_weekdays, opens, closes = clinic_admin.opening_hours()
    return render_template(
        "dashboard/admin/hours.html", practitioner=practitioner, form=form,
        messages=list(messages), opens=opens.strftime("%H:%M"), closes=closes.strftime("%H:%M"),
        open_days=[clinic_admin.WEEKDAY_NAMES[day] for day in open_weekdays],
        weekday_names=clinic_admin.WEEKDAY_NAMES,
        can_add=len(form.hours.entries) < clinic_admin.MAX_HOURS_ROWS), status


@bp.route("/admin/practitioners/<int:practitioner_id>/hours", methods=["GET", "POST"])
@staff_required(*ADMIN)
def practitioner_hours(practitioner_id):
    """Weekly working hours: rows of day, from, to. Rows are added and removed with submit
    buttons (no JavaScript needed); an empty row is ignored."""
    practitioner = _practitioner_or_404(practitioner_id)
    if request.method == "GET":
        rows = [{"weekday": str(h.weekday), "start_time": h.start_time.strftime("%H:%M"),
                 "end_time": h.end_time.strftime("%H:%M")} for h in practitioner.working_hours]
        form = HoursForm(formdata=None, data={"hours": rows})
        form.hours.append_entry()
        return _hours_page(practitioner, form)

    form = HoursForm()
    if "add_row" in request.form:
        if len(form.hours.entries) < clinic_admin.MAX_HOURS_ROWS:
            form.hours.append_entry()
        return _hours_page(practitioner, form)  # nothing saved yet
    removed = request.form.get("remove_row")
    if removed is not None:
        if removed.isdigit() and int(removed) < len(form.hours.entries):
            del form.hours.entries[int(removed)]
        return _hours_page(practitioner, form)
    form.hours.entries = [entry for entry in form.hours.entries if not entry.form.is_blank()]
    if not form.validate():
        return _hours_page(practitioner, form, status=422,
                           messages=[_("Please check the periods marked below.")])
    try:
        clinic_admin.set_working_hours(
            practitioner_id, [entry.form.data for entry in form.hours.entries], actor=_actor())
    except LookupError:
        abort(404)
    except AdminError as error:
        general = add_errors(form, error.fields)
        return _hours_page(practitioner, form, status=error.status,
                           messages=[error.message, *general])
    flash(_("Working hours of %(name)s are saved.", name=localized(practitioner, "full_name")),
          "success")
    return redirect(url_for(".practitioner_hours", practitioner_id=practitioner_id), 303)


# --- Intake instrument switches -------------------------------------------------------------------

@bp.route("/admin/settings", methods=["GET", "POST"])
@staff_required(*ADMIN)
def admin_settings():
    current = instrument_settings.instrument_switches()
    if request.method == "GET":
        form = InstrumentsForm(formdata=None, obj=current)
    else:
        form = InstrumentsForm()
        if form.validate():
            changed = instrument_settings.set_instrument_switches(
                actor=_actor(),
                **{key: form[key].data for key in instrument_settings.INSTRUMENT_KEYS})
            flash(_("The questionnaires are saved.") if changed else _("Nothing was changed."),
                  "success")
            return redirect(url_for(".admin_settings"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("dashboard/admin/settings.html", form=form,
                           hit6_text_configured=current.hit6_text_configured), status


# --- The audit log (read-only) --------------------------------------------------------------------

def _date_or_error(field):
    text = (field.data or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        field.errors = [*field.errors, _("Please enter a date like 2026-12-31.")]
        return None


@bp.route("/admin/audit")
@staff_required(*ADMIN)
def audit_log():
    form = AuditFilterForm(formdata=request.args)
    valid = form.validate()
    first_day, last_day = _date_or_error(form.first_day), _date_or_error(form.last_day)
    object_id = None
    if (form.object_id.data or "").strip():
        if form.object_id.data.strip().isdigit():
            object_id = int(form.object_id.data.strip())
        else:
            form.object_id.errors = [*form.object_id.errors, _("Please enter a number.")]
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 100000 else 1
    result, status = None, 200
    if valid and not any(field.errors for field in form):
        try:
            result = audit_search.audit_log(
                first_day=first_day, last_day=last_day, action=form.action.data or "",
                actor=form.actor.data or "", object_type=form.object_type.data or "",
                object_id=object_id, page=page)
        except AdminError as error:
            add_errors(form, error.fields)
    if result is None:
        status = 422
    else:
        form.first_day.data = result.first_day.isoformat()
        form.last_day.data = result.last_day.isoformat()
    filters = {name: form[name].data for name in form._fields if form[name].data}
    rows = [(event, json.dumps(event.details, ensure_ascii=False, sort_keys=True, indent=1)
             if event.details else "", audit_words.sentence(event))
            for event in (result.events if result else [])]
    return render_template("dashboard/admin/audit.html", form=form, result=result, rows=rows,
                           filters=filters), status
