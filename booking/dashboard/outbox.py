"""The outbox for staff (receptionists and admins): messages (email, SMS, Viber, Telegram) that
failed or are still waiting, with their channel, kind, recipient, attempts and last error, the
failures counted per channel, and "retry now".

Never shows a subject or a body: the bodies are the patient's, the page only says what to do.
"""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth.access import staff_required
from ..notifications import outbox
from ..scheduler.forms import CHANNEL_LABELS
from .blueprint import RECEPTION, bp

KIND_LABELS = {
    "confirmation": _l("Booking confirmation"),
    "reschedule": _l("New time"),
    "cancellation": _l("Cancellation"),
    "reminder": _l("Reminder"),
    "intake_nudge": _l("Questionnaire reminder"),
    "course_confirmation": _l("Course confirmation"),
    "course_change": _l("Course change"),
    "course_confirmed": _l("Course confirmed"),
    "course_declined": _l("Course declined"),
    "follow_up": _l("Follow-up request"),
    "waitlist_joined": _l("Waitlist: joined"),
    "waitlist_offer": _l("Waitlist: offer"),
    "waitlist_gone": _l("Waitlist: offer taken"),
    "urgent_alert": _l("Urgent alert to staff"),
    "bot_reply": _l("Telegram bot's answer"),
}

STATUS_LABELS = {"failed": _l("Failed"), "pending": _l("Waiting"), "sending": _l("Sending")}


@bp.app_template_filter("outbox_kind")
def outbox_kind(kind):
    return KIND_LABELS.get(kind, kind)


@bp.app_template_filter("outbox_channel")
def outbox_channel(channel):
    return CHANNEL_LABELS.get(channel, channel)


@bp.app_template_filter("outbox_status")
def outbox_status(status):
    return STATUS_LABELS.get(status, status)


@bp.route("/admin/outbox")
@staff_required(*RECEPTION)
def outbox_list():
    rows = outbox.needing_attention()
    failed_by_channel = {}
    for row in rows:
        if row.status == "failed":
            failed_by_channel[row.channel] = failed_by_channel.get(row.channel, 0) + 1
    return render_template("dashboard/outbox/list.html", rows=rows,
                           failed=sum(failed_by_channel.values()),
                           failed_by_channel=failed_by_channel, limit=outbox.ATTENTION_LIMIT)


@bp.route("/admin/outbox/<int:message_id>/retry", methods=["POST"])
@staff_required(*RECEPTION)
def outbox_retry(message_id):
    try:
        outbox.retry_now(message_id)
    except LookupError:
        abort(404)
    except outbox.NotRetryable:
        flash(_("That message has been sent already."), "info")
        return redirect(url_for(".outbox_list"), 303)
    flash(_("The message will be tried again on the next run of the mail sender."), "success")
    return redirect(url_for(".outbox_list"), 303)
