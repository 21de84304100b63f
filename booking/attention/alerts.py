"""The staff alert: "an urgent intake needs attention", queued once per item in the outbox.

No clinical detail, no patient name, no appointment time: only that an urgent intake waits
and the staff link (which needs a clinician's sign-in). Recipients: the clinic's setting
URGENT_ALERT_ADDRESSES, or, when it is empty, every active clinician's email.
"""
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import StaffUser
from ..notifications import messages


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
