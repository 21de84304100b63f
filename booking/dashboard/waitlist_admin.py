"""The waitlist per service, for reception and admins: who waits, for which days and times, in
the order they joined, and the offers made to them. (Wishes and contact details only: the
waitlist holds no health data.)"""
from flask import abort, render_template, request

from ..auth.access import staff_required
from ..waitlist import staff_list
from ..waitlist.emails import weekday_names
from .blueprint import RECEPTION, bp


@bp.route("/waitlist")
@staff_required(*RECEPTION)
def waitlist_list():
    raw = request.args.get("service", "")
    service_id = int(raw) if raw.isdigit() and len(raw) < 10 else None
    if raw and service_id is None:
        abort(404)
    try:
        page = staff_list.staff_waitlist(service_id)
    except LookupError:
        abort(404)
    return render_template("dashboard/waitlist/list.html", page=page,
                           weekday_names=weekday_names)
