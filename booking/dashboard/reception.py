"""Reception: the calendar, booking callers, patients."""
from flask import render_template

from ..auth.access import staff_required
from . import RECEPTION, bp


@bp.route("/calendar")
@staff_required(*RECEPTION)
def calendar_day():
    return render_template("dashboard/placeholder.html", title="Calendar")


@bp.route("/patients")
@staff_required(*RECEPTION)
def patients():
    return render_template("dashboard/placeholder.html", title="Patients")
