"""Clinicians: a patient's pain over time.

    GET /staff/patients/<patient_id>/pain   every pain rating of the last 24 months (intake,
                                            before and after each infusion session, follow-ups)
                                            as a chart (inline SVG) and a table of the same
                                            numbers; the view is audited ("pain_chart.view")

Clinical role only: a receptionist, or an admin who is not also a clinician, gets 403. The data
and the chart come from booking/courses/follow_ups.py (pain_chart); no JavaScript.
"""
from flask import abort, make_response, render_template

from ..auth.access import staff_required
from ..courses import follow_ups
from .blueprint import CLINICAL, bp


@bp.route("/patients/<int:patient_id>/pain")
@staff_required(*CLINICAL)
def patient_pain(patient_id):
    try:
        data = follow_ups.pain_chart(patient_id)
    except LookupError:
        abort(404)
    response = make_response(render_template("dashboard/pain/chart.html", pain=data))
    response.headers["Cache-Control"] = "no-store"  # clinical data
    return response
