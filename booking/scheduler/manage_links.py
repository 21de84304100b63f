"""Private links: a new secret token and the hash stored for it, and the appointment behind a
patient's manage link (its own, its course's, or a short message's link until it expires).
"""
import hashlib
import secrets

from sqlalchemy import select

from ..extensions import db
from ..models import Appointment, Course, MessageLink
from ..timeutil import utcnow


def new_token():
    token = secrets.token_urlsafe(32)  # 256 bits
    return token, hash_token(token)


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def appointment_by_token(token):
    """The appointment behind a private manage link, or None (a wrong token looks like any 404).

    A course's link leads to its first session, which carries the course's intake; the manage
    page shows the whole course from there. A link a short message carried (MessageLink
    "manage", booking/notifications/links.py) works the same until it expires.
    """
    if not token or len(token) > 100:
        return None
    token_hash = hash_token(token)
    appointment = db.session.execute(
        select(Appointment).where(Appointment.manage_token_hash == token_hash)
    ).scalar_one_or_none()
    if appointment is None:
        appointment = db.session.execute(
            select(Appointment).join(Course, Appointment.course_id == Course.id)
            .where(Course.manage_token_hash == token_hash, Appointment.course_day == 1)
        ).scalar_one_or_none()
    if appointment is None:
        appointment = db.session.execute(
            select(Appointment).join(MessageLink, MessageLink.appointment_id == Appointment.id)
            .where(MessageLink.token_hash == token_hash, MessageLink.purpose == "manage",
                   MessageLink.expires_at > utcnow())
        ).scalar_one_or_none()
    return appointment
