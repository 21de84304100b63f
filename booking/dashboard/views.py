"""Staff pages: the reception calendar, patients, the clinician's list and intake review, admin.

Every view is behind `staff_required(...)`: sign-in and a role check on the server.
"""
from flask import Blueprint, render_template

from ..auth.access import staff_required

bp = Blueprint("dashboard", __name__, url_prefix="/staff")

RECEPTION = ("receptionist", "admin")
CLINICAL = ("clinician",)
ADMIN = ("admin",)


@bp.route("/calendar")
@staff_required(*RECEPTION)
def calendar_day():
    return render_template("dashboard/placeholder.html", title="Calendar")


@bp.route("/patients")
@staff_required(*RECEPTION)
def patients():
    return render_template("dashboard/placeholder.html", title="Patients")


@bp.route("/clinician")
@staff_required(*CLINICAL)
def clinician_list():
    return render_template("dashboard/placeholder.html", title="My appointments")


@bp.route("/admin")
@staff_required(*ADMIN)
def admin_home():
    return render_template("dashboard/placeholder.html", title="Administration")
