"""Links in messages: absolute URLs on CANONICAL_URL, and the private links short messages carry.

The confirmation's manage link exists only in the confirmation (the database keeps its hash),
so a short message that helps with a link gets a link of its own (MessageLink, 128-bit token,
stored hashed, expiring): "manage" opens the appointment's manage page like the confirmation's
link (booking.scheduler.manage_links.appointment_by_token knows both), "stop" opens the page that
stops messages on one channel.
"""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app

from ..extensions import db
from ..models import MessageLink
from ..timeutil import utcnow


def canonical_url(endpoint, **values):
    """An absolute link for messages: CANONICAL_URL + the endpoint's path. Never uses the Host
    header of a request (which a client chooses), and works outside requests (cron)."""
    base = current_app.config["CANONICAL_URL"].rstrip("/")
    adapter = current_app.url_map.bind("canonical.invalid", script_name="/")
    return base + adapter.build(endpoint, values)


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _new_link(purpose, patient_id, expires_at, *, appointment_id=None, channel=None):
    token = secrets.token_urlsafe(16)  # 128 bits, 22 characters: short enough for an SMS
    db.session.add(MessageLink(token_hash=hash_token(token), purpose=purpose,
                               patient_id=patient_id, appointment_id=appointment_id,
                               channel=channel, created_at=utcnow(), expires_at=expires_at))
    return token


def manage_url(appointment):
    """A new private link to the manage page of `appointment` (a course's: its first session),
    valid until MESSAGE_LINK_DAYS after its last session. In the caller's transaction."""
    course = appointment.course if appointment.course_id is not None else None
    if course is not None:
        sessions = sorted(course.appointments, key=lambda a: (a.course_day or 0, a.starts_at))
        appointment, last = sessions[0], max(a.starts_at for a in sessions)
    else:
        last = appointment.starts_at
    days = current_app.config["MESSAGE_LINK_DAYS"]
    token = _new_link("manage", appointment.patient_id, last + timedelta(days=days),
                      appointment_id=appointment.id)
    return canonical_url("scheduler.manage", token=token)


def stop_url(patient_id, channel):
    """A new private link to the page that stops messages on `channel` for the patient."""
    days = current_app.config["STOP_LINK_DAYS"]
    token = _new_link("stop", patient_id, utcnow() + timedelta(days=days), channel=channel)
    return canonical_url("messages.stop", token=token)


def find_link(token, purpose, now=None):
    """The MessageLink behind a token, when it is for `purpose` and has not expired."""
    if not token or len(token) > 100:
        return None
    link = db.session.execute(db.select(MessageLink).where(
        MessageLink.token_hash == hash_token(token))).scalar_one_or_none()
    if link is None or link.purpose != purpose or link.expires_at <= (now or utcnow()):
        return None
    return link
