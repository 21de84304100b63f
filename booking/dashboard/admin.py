"""Administration: staff accounts, services, practitioners and hours, closures, settings, audit."""
from flask import render_template

from ..auth.access import staff_required
from . import ADMIN, bp


@bp.route("/admin")
@staff_required(*ADMIN)
def admin_home():
    return render_template("dashboard/placeholder.html", title="Administration")
