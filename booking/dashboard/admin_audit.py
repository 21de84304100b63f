"""Administration: the audit log, read-only: events filtered by days, action, actor and object,
a page at a time (booking/audit_search.py), each as a sentence (audit_words.py) with its details.
"""
import json
from datetime import date

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length
from wtforms.widgets import DateInput

from .. import audit_search
from ..admin_fields import AdminError
from ..auth.access import staff_required
from . import audit_words
from .admin_forms import add_errors
from .blueprint import ADMIN, bp


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
