"""Clinicians: their list of appointments and the intake review."""
from flask import render_template

from ..auth.access import staff_required
from . import CLINICAL, bp


@bp.route("/clinician")
@staff_required(*CLINICAL)
def clinician_list():
    return render_template("dashboard/placeholder.html", title="My appointments")
