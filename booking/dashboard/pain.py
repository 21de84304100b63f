"""Clinicians: a patient's pain over time.

    GET /staff/patients/<patient_id>/pain   every pain rating of the last 24 months (intake,
                                            before and after each infusion session, follow-ups)
                                            as a chart (inline SVG) and a table of the same
                                            numbers; the view is audited ("pain_chart.view")

Clinical role only: a receptionist, or an admin who is not also a clinician, gets 403. The data
and the chart come from booking/courses/pain_over_time.py (pain_chart); no JavaScript.
"""
from dateutil.relativedelta import relativedelta
from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.access import staff_required
from ..courses import pain_over_time
from ..diary import clinician as diary_clinician
from ..diary import services as diary_services
from ..diary.forms import PreventiveForm
from .blueprint import CLINICAL, bp


def _page(patient_id, preventive_form=None, status=200):
    since = diary_services.today() - relativedelta(months=pain_over_time.CHART_MONTHS)
    try:
        diary = diary_clinician.patient_diary(patient_id, since)
        data = pain_over_time.pain_chart(patient_id, diary_days=diary.diary_days,
                                         courses=diary_clinician.course_marks(diary))
    except LookupError:
        abort(404)
    response = make_response(render_template(
        "dashboard/pain/chart.html", pain=data, diary=diary,
        preventive_form=preventive_form or PreventiveForm(formdata=None)), status)
    response.headers["Cache-Control"] = "no-store"  # clinical data
    return response


@bp.route("/patients/<int:patient_id>/pain")
@staff_required(*CLINICAL)
def patient_pain(patient_id):
    return _page(patient_id)


@bp.route("/patients/<int:patient_id>/pain/preventive", methods=["POST"])
@staff_required(*CLINICAL)
def note_preventive(patient_id):
    """A new preventive began: the diary's follow-up of earlier courses ends the day before."""
    form = PreventiveForm()
    if form.validate():
        try:
            diary_clinician.note_preventive(patient_id, form.started_on.data,
                                            actor=current_user)
        except diary_clinician.PreventiveError as error:
            form.started_on.errors = list(form.started_on.errors) + [str(error.message)]
        except LookupError:
            abort(404)
        else:
            flash(_("Noted: a new preventive treatment began on %(day)s.",
                    day=form.started_on.data.isoformat()), "success")
            return redirect(url_for(".patient_pain", patient_id=patient_id,
                                    _anchor="diary-title"), 303)
    return _page(patient_id, form, 422)
