"""Administration: the home page, services, practitioners and their working hours, and the
intake instrument switches. Staff accounts are admin_staff.py's, the audit log admin_audit.py's,
closures closures.py's (reception uses them too).

Views are thin: the forms check shape, the services (booking/clinic_admin.py and
booking/instrument_settings.py) decide what is right, write, and audit in the same transaction.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length
from wtforms.widgets import TimeInput

from .. import clinic_admin, instrument_settings
from ..admin_fields import AdminError
from ..auth.access import staff_required
from ..localized import localized
from .admin_forms import CheckboxesField, add_errors, current_actor, practitioner_choices
from .blueprint import ADMIN, bp


# --- Forms: shape only. -------------------------------------------------------------------------

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


# --- Home -----------------------------------------------------------------------------------------

@bp.route("/admin")
@staff_required(*ADMIN)
def admin_home():
    return render_template("dashboard/admin/home.html")


# --- Services -------------------------------------------------------------------------------------

SERVICE_FIELDS = ("name", "name_uk", "description", "description_uk", "duration_minutes",
                  "grid_minutes", "buffer_minutes",
                  "online_bookable", "active", "needs_ketamine_prescreen",
                  "clinician_confirms_courses", "offers_diary", "price_uah",
                  "practitioner_ids")  # practitioner_ids last (service_edit)


def _service_form(data=None):
    form = ServiceForm(formdata=None, data=data) if data is not None else ServiceForm()
    form.practitioner_ids.choices = practitioner_choices("")[1:]
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
    return _save_service(
        _service_form(), "dashboard/admin/service_form.html",
        lambda **fields: clinic_admin.create_service(actor=current_actor(), **fields),
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
        lambda **fields: clinic_admin.update_service(service_id, actor=current_actor(), **fields),
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
        lambda **fields: clinic_admin.create_practitioner(actor=current_actor(), **fields), None)


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
        lambda **fields: clinic_admin.update_practitioner(practitioner_id, actor=current_actor(),
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
            practitioner_id, [entry.form.data for entry in form.hours.entries],
            actor=current_actor())
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
                actor=current_actor(),
                **{key: form[key].data for key in instrument_settings.INSTRUMENT_KEYS})
            flash(_("The questionnaires are saved.") if changed else _("Nothing was changed."),
                  "success")
            return redirect(url_for(".admin_settings"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("dashboard/admin/settings.html", form=form,
                           hit6_text_configured=current.hit6_text_configured), status
