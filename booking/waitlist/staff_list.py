"""The waitlist for staff: the entries of a service whose wished days are not over, with the
offers made to them, and every service with its count of waiting entries.
"""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Service, WaitlistEntry, WaitlistOffer
from ..scheduler import booking_rules
from .entries import WAITING

STAFF_LIST_LIMIT = 300


@dataclass
class StaffRow:
    entry: WaitlistEntry
    offers: list = field(default_factory=list)


@dataclass
class StaffWaitlist:
    services: list  # (service, waiting count) for the picker
    service: Service | None
    rows: list
    today: date
    truncated: bool = False


def staff_waitlist(service_id=None, *, now=None):
    """Entries of a service whose wished days are not over (today or later), in join order,
    with the offers made to them; and every service with its count of waiting entries.
    Raises LookupError for an unknown service id."""
    today = booking_rules.local_today(now)
    counts = dict(db.session.execute(
        select(WaitlistEntry.service_id, func.count())
        .where(WaitlistEntry.status == WAITING, WaitlistEntry.last_day >= today)
        .group_by(WaitlistEntry.service_id)
    ).all())
    services = db.session.execute(
        select(Service).where(Service.active.is_(True), Service.is_course.is_(False))
        .order_by(Service.position, Service.id)
    ).scalars().all()
    picker = [(service, counts.get(service.id, 0)) for service in services]
    if service_id is None:
        return StaffWaitlist(picker, None, [], today)
    service = db.session.get(Service, service_id)
    if service is None:
        raise LookupError("service")
    entries = db.session.execute(
        select(WaitlistEntry).options(selectinload(WaitlistEntry.practitioner))
        .where(WaitlistEntry.service_id == service_id, WaitlistEntry.last_day >= today)
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        .limit(STAFF_LIST_LIMIT + 1)
    ).scalars().all()
    truncated = len(entries) > STAFF_LIST_LIMIT
    entries = entries[:STAFF_LIST_LIMIT]
    rows = {entry.id: StaffRow(entry) for entry in entries}
    if rows:
        for offer in db.session.execute(
                select(WaitlistOffer).where(WaitlistOffer.entry_id.in_(list(rows)))
                .order_by(WaitlistOffer.starts_at, WaitlistOffer.id)).scalars():
            rows[offer.entry_id].offers.append(offer)
    return StaffWaitlist(picker, service, list(rows.values()), today, truncated)
