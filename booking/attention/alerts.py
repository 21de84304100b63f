"""The staff alert: "an urgent intake needs attention", queued once per item in the outbox.

No clinical detail, no patient name, no appointment time: only that an urgent intake waits
and the staff link (which needs a clinician's sign-in). Recipients: the clinic's setting
URGENT_ALERT_ADDRESSES, or, when it is empty, every active clinician's email; and, on the
phone, every active clinician who is on call with an alert channel (SMS to their phone, or
their linked Telegram chat; /staff/alerts), when the clinic has that gateway set up.
"""
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import StaffUser
from ..channels import SMS, TELEGRAM, offered
from ..notifications import messages, short_messages


def alert_addresses():
    configured = [address.strip() for address in current_app.config["URGENT_ALERT_ADDRESSES"]
                  if address and address.strip()]
    if configured:
        return sorted(set(configured))
    staff = db.session.execute(select(StaffUser).where(StaffUser.active.is_(True))).scalars()
    return sorted({user.email for user in staff if user.has_role("clinician")})


def queue_urgent_alert(item):
    """Queue the alert to every address, in the caller's transaction (one per address and item:
    the dedupe key keeps it once even if raised again)."""
    language = current_app.config["BABEL_DEFAULT_LOCALE"]
    link = messages.canonical_url("dashboard.attention_queue")
    with force_locale(language):
        subject = _("Urgent intake needs attention")
    text, html = messages.render_email("urgent_alert", language, subject=subject, link=link)
    for address in alert_addresses():
        messages.queue_plain("urgent_alert", address, "", language, subject, text, html,
                             dedupe_key=f"attention:{item.id}:{address}"[:120])
    with force_locale(language):
        short = _("%(clinic)s: an urgent intake needs attention: %(link)s",
                  clinic=current_app.config["CLINIC_SHORT_NAME"], link=link)
    for user, channel, address in on_call_phones():
        short_messages.queue_short("urgent_alert", channel, address, short, language=language,
                                   dedupe_key=f"attention:{item.id}:{channel}:{user.id}")


def on_call_phones():
    """(clinician, channel, address) of each active clinician on call whose alert channel the
    clinic offers and who has an address there."""
    offered_now = offered(current_app.config)
    staff = db.session.execute(
        select(StaffUser).where(StaffUser.active.is_(True), StaffUser.on_call.is_(True))
        .order_by(StaffUser.id)).scalars()
    found = []
    for user in staff:
        if not user.has_role("clinician") or user.alert_channel not in offered_now:
            continue
        address = {SMS: user.alert_phone, TELEGRAM: user.telegram_chat_id}.get(user.alert_channel)
        if address:
            found.append((user, user.alert_channel, address))
    return found
