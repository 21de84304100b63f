"""Waitlist entries and the offers made to them: their statuses, and the entry or offer behind a
private link (tokens are 256-bit, stored as sha256 only, like the manage links).
"""
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import WaitlistEntry, WaitlistOffer
from ..scheduler import manage_links

MAX_TOKEN_LENGTH = 100

WAITING, BOOKED, LEFT = "waiting", "booked", "left"
OFFERED, TAKEN, GONE = "offered", "taken", "gone"


def entry_by_token(token):
    """The entry behind a private leave link, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return db.session.execute(
        select(WaitlistEntry).options(selectinload(WaitlistEntry.service),
                                      selectinload(WaitlistEntry.practitioner))
        .where(WaitlistEntry.token_hash == manage_links.hash_token(token))
    ).scalar_one_or_none()


def offer_by_token(token):
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return db.session.execute(
        select(WaitlistOffer).options(selectinload(WaitlistOffer.entry))
        .where(WaitlistOffer.token_hash == manage_links.hash_token(token))
    ).scalar_one_or_none()
