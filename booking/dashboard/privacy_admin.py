"""Administration: patient data rights (admins only).

- /admin/privacy: find a patient (POST, so nothing typed lands in a URL) and the retention
  periods `flask --app wsgi purge` applies.
- /admin/patients/<id>/privacy: what is held about one patient (counts only), the export and
  the erasure (the admin types ERASE to confirm).
- /admin/patients/<id>/export.json: everything held, as a JSON download (never cached).
- /admin/patients/<id>/erase (POST): erase in one transaction (booking/privacy.py).

Views are thin: the services in booking/privacy.py read, write and audit.
"""
import json

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from .. import patient_export, privacy, retention
from ..auth.access import staff_required
from ..scheduler import desk_patients
from .blueprint import ADMIN, bp
from .reception import private


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class PatientFindForm(FlaskForm):
    """POST, so that names, phones and dates of birth never end up in a URL or a log."""

    q = StringField(
        _l("Name, phone, email or date of birth"), filters=[_strip],
        validators=[DataRequired(message=_l("Please type at least two characters.")),
                    Length(min=2, max=120, message=_l("Please type 2 to 120 characters."))],
        render_kw={"autocomplete": "off", "maxlength": 120})


class EraseForm(FlaskForm):
    confirm = StringField(_l("Type ERASE to confirm"), filters=[_strip],
                          validators=[Length(max=20)],
                          render_kw={"autocomplete": "off", "maxlength": 20,
                                     "autocapitalize": "characters", "spellcheck": "false"})


def _actor():
    return current_user._get_current_object()



@bp.route("/admin/privacy", methods=["GET", "POST"])
@staff_required(*ADMIN)
@private
def privacy_home():
    periods = retention.retention()
    if request.method == "POST":
        form = PatientFindForm()
        if not form.validate():
            return render_template("dashboard/privacy/index.html", form=form, search=None,
                                   periods=periods), 422
        return render_template("dashboard/privacy/index.html", form=form, periods=periods,
                               search=desk_patients.search_patients(form.q.data))
    return render_template("dashboard/privacy/index.html", form=PatientFindForm(formdata=None),
                           search=None, periods=periods)


def _patient_page(patient_id, form=None, status=200, messages=()):
    holdings = privacy.patient_holdings(patient_id)
    if holdings is None:
        abort(404)
    return render_template("dashboard/privacy/patient.html", holdings=holdings,
                           patient=holdings.patient, labels=privacy.COUNT_LABELS,
                           form=form or EraseForm(formdata=None), messages=list(messages),
                           confirm_word=privacy.CONFIRM_WORD), status


@bp.route("/admin/patients/<int:patient_id>/privacy")
@staff_required(*ADMIN)
@private
def privacy_patient(patient_id):
    return _patient_page(patient_id)


@bp.route("/admin/patients/<int:patient_id>/export.json")
@staff_required(*ADMIN)
def privacy_export(patient_id):
    try:
        data = patient_export.export_patient(patient_id, actor=_actor())
    except LookupError:
        abort(404)
    response = make_response(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False))
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="patient-{patient_id}-data.json"')
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.route("/admin/patients/<int:patient_id>/erase", methods=["POST"])
@staff_required(*ADMIN)
@private
def privacy_erase(patient_id):
    form = EraseForm()
    if not form.validate():
        return _patient_page(patient_id, form, 422, [_("Nothing was erased.")])
    try:
        privacy.erase_patient(patient_id, form.confirm.data, actor=_actor())
    except LookupError:
        abort(404)
    except privacy.PrivacyError as error:
        for key, message in error.fields.items():
            if key in form:
                form[key].errors = [*form[key].errors, message]
        return _patient_page(patient_id, form, error.status, [error.message])
    flash(_("The patient's personal and clinical data are erased. Their appointments stay in "
            "the calendar without a name."), "success")
    return redirect(url_for(".privacy_patient", patient_id=patient_id), 303)
