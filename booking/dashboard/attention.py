"""The attention queue for clinicians: urgent intakes until someone has acted on them.

    GET  /staff/attention                       open items (and those acknowledged lately)
    POST /staff/attention/<id>/acknowledge      contacted / not reachable (tried at) / other
    POST /staff/attention/<id>/reopen           put an acknowledged item back in the queue
    GET  /staff/attention.json                  open items for programs: ids, codes, times

Clinical roles only. The services (booking/attention/services.py) own the transactions and
the audit events. Pages carry clinical context, so they are never cached.
"""
from datetime import datetime

from flask import abort, flash, jsonify, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..attention import services as attention
from ..auth.access import staff_required
from ..courses.session_words import APPOINTMENT_STATUS_LABELS, COURSE_STATUS_LABELS
from ..intake.review_words import FLAG_TITLES
from ..timeutil import clinic_tz
from .blueprint import CLINICAL, bp


def _crlf_to_lf(value):
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class AcknowledgeForm(FlaskForm):
    outcome = RadioField(
        _l("What happened"), [InputRequired(_l("Please choose what happened."))],
        choices=[SelectChoice(value, label) for value, label in attention.OUTCOME_LABELS.items()])
    tried_at = DateTimeLocalField(
        _l("Tried at (when not reachable)"), [Optional()], format="%Y-%m-%dT%H:%M",
        description=_l("Kyiv time, for example 2026-12-07 18:30."))
    note = TextAreaField(
        _l("Note"), [Length(max=attention.NOTE_MAX, message=_l(
            "Please keep the note to %(n)d characters.", n=attention.NOTE_MAX))],
        filters=[_crlf_to_lf], render_kw={"rows": 3, "maxlength": attention.NOTE_MAX},
        description=_l("Needed for \"Other\". Shown to clinicians only."))


def _form_for(item_id, *, blank=False):
    # One form per item on the page: the prefix keeps every field's id unique. `blank`: an
    # empty form for the page, not read from this request.
    if blank:
        return AcknowledgeForm(prefix=f"item{item_id}", formdata=None)
    return AcknowledgeForm(prefix=f"item{item_id}")


def _private(body, status=200):
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def item_labels():
    """What the item partial (templates/dashboard/attention/_item.html) needs in words."""
    return {"reason_titles": FLAG_TITLES, "outcome_labels": attention.OUTCOME_LABELS,
            "appointment_status_labels": APPOINTMENT_STATUS_LABELS,
            "course_status_labels": COURSE_STATUS_LABELS}


def _page(forms=None, status=200):
    items = attention.open_items()
    forms = forms or {}
    return _private(render_template(
        "dashboard/attention/queue.html", items=items,
        forms={row.id: forms.get(row.id) or _form_for(row.id, blank=True) for row in items},
        reopen_form=FlaskForm(), acknowledged=attention.recently_acknowledged(),
        recent_days=attention.RECENTLY_ACKNOWLEDGED_DAYS, **item_labels()), status)


@bp.route("/attention")
@staff_required(*CLINICAL)
def attention_queue():
    return _page()


@bp.route("/attention/<int:item_id>/acknowledge", methods=["POST"])
@staff_required(*CLINICAL)
def attention_acknowledge(item_id):
    form = _form_for(item_id)
    if form.validate_on_submit():
        tried_at = form.tried_at.data
        if tried_at is not None:  # typed in Kyiv time
            tried_at = tried_at.replace(tzinfo=clinic_tz())
        try:
            attention.acknowledge(item_id, outcome=form.outcome.data, note=form.note.data,
                                  tried_at=tried_at, actor=current_user)
        except LookupError:
            abort(404)
        except attention.AttentionError as error:
            for name, message in error.fields.items():
                form[name].errors = [*form[name].errors, message]
            if not error.fields:
                flash(error.message, "error")
                return redirect(url_for(".attention_queue"), 303)
        else:
            flash(_("Acknowledged. The item has left the queue."), "success")
            return redirect(url_for(".attention_queue"), 303)
    return _page(forms={item_id: form}, status=422)


@bp.route("/attention/<int:item_id>/reopen", methods=["POST"])
@staff_required(*CLINICAL)
def attention_reopen(item_id):
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        attention.reopen(item_id, actor=current_user)
    except LookupError:
        abort(404)
    except attention.AttentionError as error:
        flash(error.message, "error")
    else:
        flash(_("Reopened. The item is back in the queue."), "success")
    return redirect(url_for(".attention_queue"), 303)


@bp.route("/attention.json")
@staff_required(*CLINICAL)
def attention_json():
    rows = attention.open_items()
    return _private(jsonify({"open": [attention.as_json(row) for row in rows],
                             "count": len(rows), "as_of": datetime.now(clinic_tz()).isoformat()}))
