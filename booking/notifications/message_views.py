"""Pages and endpoints of messages beyond email.

    POST /manage/<token>/messages        the patient chooses their channel (manage page)
    POST /manage/<token>/telegram        "Get reminders in Telegram": a one-time t.me link
    GET  /stop/<token>                   the "Stop" link of a short message: asks ...
    POST /stop/<token>                   ... and stops (a link preview cannot stop anything)
    POST /telegram/webhook               Telegram's updates, with the secret header
    GET  /staff/alerts, POST             a clinician's urgent alerts on the phone (on call)
    POST /staff/patients/<id>/channel    reception sets the channel for a caller

The manage pages (single and course) include templates/messages/_manage.html and the desk's
patient page templates/messages/_desk.html; both read `message_settings(patient)`.
"""
import hmac
import logging
from dataclasses import dataclass

from flask import (Blueprint, abort, current_app, flash, g, jsonify, make_response, redirect,
                   render_template, request, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField
from wtforms.validators import Length, Optional
from wtforms.widgets import TelInput

from .. import channels
from ..auth.access import staff_required
from ..dashboard import reception
from ..dashboard.blueprint import CLINICAL, RECEPTION
from ..extensions import db, limiter
from ..models import Patient
from ..scheduler import course_views, views
from ..scheduler import manage_links
from ..scheduler.contacts import international_phone
from ..scheduler.forms import CHANNEL_LABELS, ChannelForm
from ..security import private_link_limit
from . import bot, preferences, short_messages

log = logging.getLogger(__name__)
bp = Blueprint("messages", __name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


bp.after_request(_private)


# --- The manage page's "Messages" ------------------------------------------------------------------

@dataclass
class MessageSettings:
    channel: str            # what messages go by now
    channel_label: str      # ... in words, with the address ("SMS to +380 ...")
    preferred: str          # what the patient chose (Telegram before it is linked)
    form: ChannelForm       # the choice; offered when there is more than email
    telegram: bool          # the clinic has a bot
    telegram_linked: bool


def channel_label(channel, patient, *, for_staff=False):
    """The channel in words. A private link's page names no address in full (whoever holds
    the link sees it): only the last digits of the number; staff see the number."""
    digits = "".join(ch for ch in patient.phone or "" if ch.isdigit())
    phone = international_phone(patient.phone) if for_staff and patient.phone else None
    if channel in (channels.SMS, channels.VIBER):
        name = CHANNEL_LABELS[channel]
        if phone:
            return _("%(channel)s to %(phone)s", channel=name, phone=phone)
        return _("%(channel)s to your number ending in %(digits)s", channel=name,
                 digits=digits[-2:])
    return str(CHANNEL_LABELS[channel])


def channel_form(patient, formdata=None):
    form = ChannelForm(formdata=formdata, prefix="messages")
    form.offer(short_messages.available())
    if formdata is None:
        form.channel.data = patient.preferred_channel if patient.preferred_channel in \
            dict(form.channel.choices) else channels.EMAIL
        form.channel_consent.data = patient.channel_consent_at is not None
    return form


@bp.app_template_global()
def message_settings(patient, for_staff=False):
    """What the manage page (and the desk's patient page) shows about messages: the form is
    re-shown with its errors after a refused choice."""
    current = short_messages.current_channel(patient)
    form = g.get("channel_form") or channel_form(patient)
    return MessageSettings(
        channel=current, channel_label=channel_label(current, patient, for_staff=for_staff),
        preferred=patient.preferred_channel, form=form,
        telegram=preferences.telegram_offered(),
        telegram_linked=bool(patient.telegram_chat_id))


def _appointment_or_404(token):
    appointment = manage_links.appointment_by_token(token)
    if appointment is None:
        abort(404)
    return appointment


def _manage_page(appointment, token):
    """The manage page again (single or course), with g.channel_form's errors (422)."""
    if appointment.course_id is not None:
        return course_views.render_course_manage(appointment, token, status=422)
    return views._render_manage(appointment, token, status=422)


@bp.route("/manage/<token>/messages", methods=["POST"])
@limiter.limit(private_link_limit)
def choose(token):
    appointment = _appointment_or_404(token)
    form = channel_form(appointment.patient, request.form)
    channel, consent = form.channel.data, form.channel_consent.data is True
    try:
        if not form.validate():
            raise preferences.PreferenceError(
                {"channel": _("Please choose one of the offered ways.")})
        preferences.choose_channel(appointment.patient_id, channel, consent)
    except preferences.PreferenceError as error:
        for name, message in error.fields.items():
            form[name].errors = [*form[name].errors, message]
        g.channel_form = form
        return _manage_page(appointment, token)
    if channel == channels.TELEGRAM and not appointment.patient.telegram_chat_id:
        flash(_("Saved. Now press “Get reminders in Telegram” to link your chat; until then "
                "messages come by email."), "success")
    else:
        flash(_("Saved: reminders and changes come by %(channel)s.",
                channel=CHANNEL_LABELS[channel]), "success")
    return redirect(url_for("scheduler.manage", token=token) + "#messages-title", 303)


@bp.route("/manage/<token>/telegram", methods=["POST"])
@limiter.limit(private_link_limit)
def telegram_start(token):
    appointment = _appointment_or_404(token)
    if not preferences.telegram_offered():
        abort(404)
    if not FlaskForm().validate():  # the CSRF token of the button's form
        abort(400)
    return redirect(preferences.new_telegram_link(patient_id=appointment.patient_id), 303)


# --- The stop link -----------------------------------------------------------------------------

@bp.route("/stop/<token>", methods=["GET", "POST"])
@limiter.limit(private_link_limit)
def stop(token):
    if not preferences.stop_link_valid(token):
        abort(404)
    form = FlaskForm()
    if request.method == "POST" and form.validate():
        channel = preferences.stop_by_link(token)
        return render_template("messages/stopped.html", channel=CHANNEL_LABELS[channel])
    return render_template("messages/stop.html", form=form)


# --- Telegram's webhook --------------------------------------------------------------------------

@bp.route("/telegram/webhook", methods=["POST"])
@limiter.exempt
def telegram_webhook():
    """Updates from Telegram. Only with the secret Telegram was given in setWebhook (the
    X-Telegram-Bot-Api-Secret-Token header); 404 while no bot or no secret is set up."""
    secret = current_app.config.get("TELEGRAM_WEBHOOK_SECRET") or ""
    if not secret or not current_app.config.get("TELEGRAM_BOT_TOKEN"):
        abort(404)
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        abort(403)
    update = request.get_json(silent=True)
    outcome = bot.handle_update(update)
    bot.deliver(outcome)
    return jsonify({})


# --- Staff: on-call alerts, and a caller's channel ----------------------------------------------

class AlertsForm(FlaskForm):
    on_call = BooleanField(_l("I am on call: send urgent alerts to my phone too"))
    alert_channel = RadioField(_l("Alerts to my phone by"), validators=[Optional()])
    alert_phone = StringField(_l("My phone for SMS alerts"), widget=TelInput(),
                              validators=[Optional(), Length(max=40)],
                              render_kw={"autocomplete": "tel", "inputmode": "tel"})


def _alerts_form(user, formdata=None):
    form = AlertsForm(formdata=formdata)
    offered = short_messages.available()
    form.alert_channel.choices = [("", _("Email only"))] + [
        (channel, CHANNEL_LABELS[channel]) for channel in channels.ALERT_CHANNELS
        if channel in offered]
    if formdata is None:
        form.on_call.data = user.on_call
        form.alert_channel.data = user.alert_channel or ""
        form.alert_phone.data = international_phone(user.alert_phone) if user.alert_phone \
            else ""
    return form


@bp.route("/staff/alerts", methods=["GET", "POST"])
@staff_required(*CLINICAL)
def staff_alerts():
    user = current_user._get_current_object()
    if request.method == "GET":
        return render_template("messages/staff_alerts.html", form=_alerts_form(user),
                               telegram=preferences.telegram_offered(),
                               linked=bool(user.telegram_chat_id))
    if request.form.get("action") == "telegram":
        if not preferences.telegram_offered() or not FlaskForm().validate():
            abort(400)
        return redirect(preferences.new_telegram_link(staff_user_id=user.id), 303)
    form = _alerts_form(user, request.form)
    try:
        if not form.validate():
            raise preferences.PreferenceError({})
        preferences.set_alerts(user.id, on_call=form.on_call.data,
                               channel=form.alert_channel.data, phone=form.alert_phone.data)
    except preferences.PreferenceError as error:
        for name, message in error.fields.items():
            form[name].errors = [*form[name].errors, message]
        return render_template("messages/staff_alerts.html", form=form,
                               telegram=preferences.telegram_offered(),
                               linked=bool(user.telegram_chat_id)), 422
    flash(_("Your alert settings are saved."), "success")
    return redirect(url_for(".staff_alerts"), 303)


@bp.route("/staff/patients/<int:patient_id>/channel", methods=["POST"])
@staff_required(*RECEPTION)
def desk_channel(patient_id):
    """Reception sets how a caller gets reminders (the caller agreed on the phone)."""
    patient = db.get_or_404(Patient, patient_id)
    form = channel_form(patient, request.form)
    try:
        if not form.validate():
            raise preferences.PreferenceError(
                {"channel": _("Please choose one of the offered ways.")})
        preferences.choose_channel(patient.id, form.channel.data,
                                   form.channel_consent.data is True, by_staff=True)
    except preferences.PreferenceError as error:
        for name, message in error.fields.items():
            form[name].errors = [*form[name].errors, message]
        g.channel_form = form
        response = make_response(reception.desk_patient(patient_id))
        response.status_code = 422
        return response
    flash(_("Saved: reminders and changes go by %(channel)s.",
            channel=CHANNEL_LABELS[form.channel.data]), "success")
    return redirect(url_for("dashboard.desk_patient", patient_id=patient.id)
                    + "#messages-title", 303)
