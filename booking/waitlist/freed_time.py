"""Offering freed time to the patients waiting for it. `offer_freed_time` is called INSIDE the
transaction that frees time (a cancellation, a move, a closure removed): it adds offers and outbox
messages and never commits, so the emails exist exactly when the freed time does.
"""
from datetime import datetime, time, timedelta

from sqlalchemy import or_, select

from ..extensions import db
from ..models import Practitioner, WaitlistEntry, WaitlistOffer
from ..scheduler import recurrence
from ..scheduler import availability, booking_rules, manage_links
from ..timeutil import clinic_tz, utcnow
from .emails import link, queue_email
from .entries import OFFERED, WAITING

MAX_OFFERS_PER_FREED_TIME = 20
# Waiting entries looked at per freed time (in join order), before the finer filters.
SCAN_LIMIT = 200


def _offerable_services(practitioner, service_id):
    """The practitioner's services a waiting patient can be offered (bookable online, single
    appointments), narrowed to `service_id` when given."""
    return {
        service.id: service for service in practitioner.services
        if service.active and service.online_bookable and not service.is_course
        and (service_id is None or service.id == service_id)
    }


def _fits(entry, slot, tz):
    """Does this free slot meet the entry's wishes (days, weekday, time window)?"""
    local_start, local_end = slot.start.astimezone(tz), slot.end.astimezone(tz)
    return (entry.first_day <= local_start.date() <= entry.last_day
            and local_start.weekday() in (entry.weekdays or ())
            and local_start.time() >= entry.earliest
            and local_end.date() == local_start.date() and local_end.time() <= entry.latest)


def offer_freed_time(service_id, practitioner_id, start, end, *, now=None):
    """Offer time freed in [start, end) with a practitioner to the patients waiting for it.

    For each waiting entry that matches (its service is one the practitioner offers, or
    `service_id` when given; the practitioner if the entry names one; its days, weekdays and
    time window), in join order and at most MAX_OFFERS_PER_FREED_TIME of them, the earliest
    free slot of the entry's service inside [start, end) is offered: a WaitlistOffer with its
    own token, and an email with the confirm link. Slots come from find_slots (the online
    rules: notice, horizon, hours, closures, resources), so only what can be booked is offered.

    Call it inside the transaction that freed the time: it adds rows and outbox messages and
    never commits. Returns the offers made.
    """
    now = now or utcnow()
    start = max(start, now)
    if end <= start:
        return []
    practitioner = db.session.get(Practitioner, practitioner_id)
    if practitioner is None or not practitioner.active:
        return []
    services = _offerable_services(practitioner, service_id)
    if not services:
        return []
    tz = clinic_tz()
    first_day = start.astimezone(tz).date()
    last_day = min((end - timedelta(microseconds=1)).astimezone(tz).date(),
                   booking_rules.last_bookable_day(now))
    if last_day < first_day:
        return []
    entries = db.session.execute(
        select(WaitlistEntry)
        .where(WaitlistEntry.status == WAITING,
               WaitlistEntry.service_id.in_(list(services)),
               or_(WaitlistEntry.practitioner_id.is_(None),
                   WaitlistEntry.practitioner_id == practitioner_id),
               WaitlistEntry.first_day <= last_day, WaitlistEntry.last_day >= first_day)
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        .limit(SCAN_LIMIT)
    ).scalars().all()
    if not entries:
        return []
    already = set(db.session.execute(
        select(WaitlistOffer.entry_id, WaitlistOffer.starts_at)
        .where(WaitlistOffer.entry_id.in_([e.id for e in entries]),
               WaitlistOffer.status == OFFERED,
               WaitlistOffer.practitioner_id == practitioner_id,
               WaitlistOffer.starts_at >= start, WaitlistOffer.starts_at < end)
    ).all())
    free = {}  # service id -> free slots inside [start, end), in time order

    def slots_of(sid):
        if sid not in free:
            free[sid] = [
                slot for slot in availability.find_slots(services[sid], first_day, last_day,
                                                         practitioner, now=now)
                if slot.practitioner_id == practitioner_id
                and slot.start >= start and slot.end <= end
            ]
        return free[sid]

    offers = []
    for entry in entries:
        if len(offers) >= MAX_OFFERS_PER_FREED_TIME:
            break
        slot = next((s for s in slots_of(entry.service_id) if _fits(entry, s, tz)), None)
        if slot is None or (entry.id, slot.start) in already:
            continue
        token, token_hash = manage_links.new_token()
        offer = WaitlistOffer(
            entry=entry, starts_at=slot.start, practitioner_id=practitioner_id,
            token_hash=token_hash, status=OFFERED, created_at=now,
            details={"service_id": entry.service_id, "ends_at": slot.end.isoformat()})
        db.session.add(offer)
        queue_email("offer", entry, starts_at=slot.start, ends_at=slot.end,
                     practitioner=practitioner, offer_url=link("waitlist.offer", token=token))
        offers.append(offer)
    return offers


def offer_after_closure(practitioner_id, starts_at, ends_at, rrule, repeat_until, *, now=None):
    """A closure was removed: offer each of its occurrences from now to the online booking
    horizon, for its practitioner or (a clinic-wide closure) every active practitioner.
    Inside the caller's transaction, like offer_freed_time."""
    now = now or utcnow()
    tz = clinic_tz()
    window_end = datetime.combine(booking_rules.last_bookable_day(now) + timedelta(days=1), time(0),
                                  tzinfo=tz)
    if rrule:
        periods = recurrence.occurrences(starts_at, ends_at, rrule, until=repeat_until,
                                         window_start=now, window_end=window_end, tz=tz)
    elif starts_at < window_end and ends_at > now:
        periods = [(starts_at, ends_at)]
    else:
        periods = []
    if practitioner_id is not None:
        practitioner_ids = [practitioner_id]
    else:
        practitioner_ids = db.session.execute(
            select(Practitioner.id).where(Practitioner.active.is_(True))
            .order_by(Practitioner.id)).scalars().all()
    offers = []
    for period_start, period_end in periods:
        for pid in practitioner_ids:
            offers += offer_freed_time(None, pid, max(period_start, now),
                                       min(period_end, window_end), now=now)
    return offers
