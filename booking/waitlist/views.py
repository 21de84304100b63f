"""The patient's waitlist pages: join (no account), leave through a private link, and take an
offered time through the link in the offer email. Thin views: parse, call one service, render.

Pages reached through a token are never cached and never send the token on as a referrer.
"""
from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from ..localized import practitioner_label
from . import offer_confirmation, services
from .emails import weekday_names
from .entries import entry_by_token
from .forms import ANY, ConfirmForm, JoinForm

bp = Blueprint("waitlist", __name__, url_prefix="/waitlist")

DEFAULT_WEEKS = 4


@bp.after_request
def private_headers(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _service_arg():
    value = request.args.get("service", "")
    return int(value) if value.isdigit() and len(value) < 10 else None


# --- Join -----------------------------------------------------------------------------------------

def _join_form(context, formdata=True):
    if formdata:
        form = JoinForm()
    else:
        last = min(context.today + timedelta(weeks=DEFAULT_WEEKS) - timedelta(days=1),
                   context.last_day)
        form = JoinForm(formdata=None, data={
            "practitioner": ANY, "first_day": context.today.isoformat(),
            "last_day": last.isoformat(), "weekdays": [str(d) for d in context.open_weekdays],
            "earliest": context.opens.strftime("%H:%M"),
            "latest": context.closes.strftime("%H:%M")})
    form.practitioner.choices = [(ANY, _("Any practitioner"))] + [
        (str(p.id), practitioner_label(p))
        for p in context.practitioners]
    form.weekdays.choices = [(str(day), name) for day, name in zip(
        context.open_weekdays, weekday_names(context.open_weekdays))]
    return form


def _join_page(context, form, *, messages=(), status=200):
    return render_template(
        "waitlist/join.html", context=context, service=context.service, form=form,
        messages=list(messages), max_days=services.MAX_DAYS,
        consent_version=current_app.config["CONSENT_VERSION"]), status


@bp.route("/join", methods=["GET", "POST"])
def join():
    service_id = _service_arg()
    context = services.join_context(service_id) if service_id else None
    if context is None:
        abort(404)
    if request.method == "GET":
        return _join_page(context, _join_form(context, formdata=False))
    form = _join_form(context)
    if not form.validate():
        return _join_page(context, form, status=422,
                          messages=[_("Please check the fields marked below.")])
    try:
        _entry, token = services.join_waitlist(context.service.id, form.values(),
                                               language=str(get_locale()))
    except LookupError:
        abort(404)
    except services.WaitlistError as error:
        general = form.add_errors(error.fields)
        return _join_page(context, form, status=error.status,
                          messages=general or [error.message])
    return redirect(url_for(".leave", token=token, new=1), 303)


# --- The private link: see the wishes, leave the list --------------------------------------------

@bp.route("/leave/<token>", methods=["GET", "POST"])
def leave(token):
    entry = entry_by_token(token)
    if entry is None:
        abort(404)
    if request.method == "POST":
        if not ConfirmForm().validate():
            abort(400)
        services.leave_waitlist(token)
        flash(_("You have left the waitlist. We will not write to you about free times."),
              "success")
        return redirect(url_for(".leave", token=token), 303)
    return render_template("waitlist/entry.html", entry=entry, form=ConfirmForm(formdata=None),
                           weekdays=weekday_names(entry.weekdays),
                           new=request.args.get("new") == "1")


# --- Offers ---------------------------------------------------------------------------------------

def _gone_page(view, reason):
    """409 "this time has just been taken" (or is past); 200 once they have left the list."""
    return render_template("waitlist/gone.html", view=view, reason=reason,
                           form=ConfirmForm(formdata=None)), 200 if reason == "left" else 409


@bp.route("/offer/<token>", methods=["GET", "POST"])
def offer(token):
    view = offer_confirmation.offer_page(token)
    if view is None:
        abort(404)
    if request.method == "GET":
        if view.closed:
            return _gone_page(view, view.closed)
        return render_template("waitlist/offer.html", view=view, form=ConfirmForm(formdata=None))
    if not ConfirmForm().validate():
        abort(400)
    try:
        _appointment, manage_token = offer_confirmation.confirm_offer(token)
    except LookupError:
        abort(404)
    except offer_confirmation.OfferGone as error:
        return _gone_page(offer_confirmation.offer_page(token), error.reason)
    flash(_("The time is yours: your appointment is booked."), "success")
    return redirect(url_for("scheduler.manage", token=manage_token, new=1), 303)


@bp.route("/offer/<token>/leave", methods=["POST"])
def leave_from_offer(token):
    if not ConfirmForm().validate():
        abort(400)
    try:
        services.leave_by_offer(token)
    except LookupError:
        abort(404)
    flash(_("You have left the waitlist. We will not write to you about free times."),
          "success")
    return redirect(url_for(".offer", token=token), 303)
