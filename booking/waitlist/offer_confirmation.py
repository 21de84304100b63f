"""An offer's page and confirming it: the first waiting patient to confirm gets the time. The
booking goes through booking.scheduler.services.book, the same door and the same lock as every
other booking, so two confirmations can never both win; the others' offers become "gone" and
they are told.
"""
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit
from ..database import begin_write
from ..extensions import db
from ..models import (
    Appointment,
    AppointmentStatus,
    Patient,
    Practitioner,
    Service,
    WaitlistEntry,
    WaitlistOffer,
)
from ..scheduler import services as booking
from ..scheduler import availability, booking_errors
from ..scheduler.contacts import InvalidDetails
from ..timeutil import clinic_tz, utcnow
from .emails import queue_email
from .entries import BOOKED, GONE, LEFT, OFFERED, TAKEN, WAITING, offer_by_token

log = logging.getLogger(__name__)


class OfferGone(Exception):
    """The offered time can no longer be booked through this offer (409).

    `reason`: "taken" (someone else was quicker, or the time is no longer free), "past",
    "yours" (this patient booked it already), "booked" (they booked another offer), "left"."""

    status = 409

    def __init__(self, offer, reason):
        super().__init__(reason)
        self.offer = offer
        self.reason = reason


@dataclass
class OfferView:
    """An offer as its page shows it; `closed` says why it can no longer be taken (or None)."""

    offer: WaitlistOffer
    entry: WaitlistEntry
    service: Service
    practitioner: Practitioner
    ends_at: datetime
    closed: str | None


def _ends_at(offer, service):
    try:
        return datetime.fromisoformat(offer.details["ends_at"])
    except (KeyError, TypeError, ValueError):
        return offer.starts_at + timedelta(minutes=service.duration_minutes)


def _closed_reason(offer, now):
    if offer.status == TAKEN:
        return "yours"
    if offer.status == GONE:
        entry = offer.entry
        return {BOOKED: "booked", LEFT: "left"}.get(entry.status, "taken")
    if offer.entry.status == BOOKED:
        return "booked"
    if offer.entry.status == LEFT:
        return "left"
    if offer.starts_at <= now:
        return "past"
    return None


def offer_page(token, *, now=None):
    """The offer behind a private link, shaped for its page; None for a wrong token."""
    offer = offer_by_token(token)
    if offer is None:
        return None
    now = now or utcnow()
    service = db.session.get(Service, offer.entry.service_id)
    practitioner = db.session.get(Practitioner, offer.practitioner_id)
    return OfferView(offer, offer.entry, service, practitioner, _ends_at(offer, service),
                     _closed_reason(offer, now))


def _taken_by_same_patient(offer):
    entry = offer.entry
    return db.session.execute(
        select(Appointment.id).join(Patient, Appointment.patient_id == Patient.id)
        .where(Appointment.practitioner_id == offer.practitioner_id,
               Appointment.starts_at == offer.starts_at,
               Appointment.status != AppointmentStatus.CANCELLED.value,
               Patient.email == entry.email, Patient.date_of_birth == entry.date_of_birth)
    ).first() is not None


def _mark_gone(offer, now, *, notify):
    """offered -> gone, with the "sorry, it is gone" email when `notify` (caller's
    transaction). Only the transition queues an email, so nobody hears it twice."""
    if offer.status != OFFERED:
        return False
    offer.status = GONE
    if notify and offer.entry.status == WAITING:
        service = db.session.get(Service, offer.entry.service_id)
        queue_email("gone", offer.entry, starts_at=offer.starts_at,
                     ends_at=_ends_at(offer, service), practitioner=db.session.get(
                         Practitioner, offer.practitioner_id))
    return True


def _lost(offer_id, now):
    """Booking through the offer failed because the time is taken (or no longer bookable):
    the offer is gone, and the patient told so. Returns the reason for the page."""
    begin_write()
    try:
        offer = db.session.execute(
            select(WaitlistOffer).where(WaitlistOffer.id == offer_id).with_for_update()
        ).scalar_one()
        if offer.status == OFFERED and _taken_by_same_patient(offer):
            reason = "yours"  # a second click on the button that booked it a moment ago
        else:
            reason = _closed_reason(offer, now) or "taken"
            if _mark_gone(offer, now, notify=True):
                reason = "taken"
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return offer, reason


def _settle(offer_id, appointment_id, now):
    """After the booking: this offer is taken and its entry booked; the entry's other offers
    end quietly; other people's offers that this booking took are gone, and they are told."""
    begin_write()
    try:
        offer = db.session.execute(
            select(WaitlistOffer).where(WaitlistOffer.id == offer_id).with_for_update()
        ).scalar_one()
        entry = offer.entry
        offer.status = TAKEN
        offer.appointment_id = appointment_id
        entry.status = BOOKED
        for other in db.session.execute(
                select(WaitlistOffer).where(WaitlistOffer.entry_id == entry.id,
                                            WaitlistOffer.id != offer.id,
                                            WaitlistOffer.status == OFFERED)).scalars():
            other.status = GONE
        gone = _offers_no_longer_free(offer, now)
        audit.record("waitlist.book", object_type="waitlist_entry", object_id=entry.id,
                     details={"offer_id": offer.id, "appointment_id": appointment_id,
                              "gone_offer_ids": gone}, actor_label="patient")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return offer


def _offers_no_longer_free(offer, now):
    """Other open offers with the same practitioner on the same day whose time is no longer
    free (the same time, or one overlapping it): gone, with the sorry email."""
    tz = clinic_tz()
    day = offer.starts_at.astimezone(tz).date()
    day_start = datetime.combine(day, time(0), tzinfo=tz)
    others = db.session.execute(
        select(WaitlistOffer).options(selectinload(WaitlistOffer.entry))
        .where(WaitlistOffer.practitioner_id == offer.practitioner_id,
               WaitlistOffer.status == OFFERED, WaitlistOffer.id != offer.id,
               WaitlistOffer.starts_at >= day_start,
               WaitlistOffer.starts_at < day_start + timedelta(days=1))
        .order_by(WaitlistOffer.id)
        .with_for_update()
    ).scalars().all()
    if not others:
        return []
    practitioner = db.session.get(Practitioner, offer.practitioner_id)
    free = {}
    gone = []
    for other in others:
        sid = other.entry.service_id
        if sid not in free:
            service = db.session.get(Service, sid)
            free[sid] = {slot.start for slot in availability.find_slots(
                service, day, day, practitioner, now=now)
                if slot.practitioner_id == practitioner.id}
        if other.starts_at not in free[sid] and _mark_gone(other, now, notify=True):
            gone.append(other.id)
    return gone


def confirm_offer(token, *, now=None):
    """The patient confirms an offered time. Returns (appointment, manage_token).

    Raises LookupError for a wrong token, OfferGone (409) when the time can no longer be had
    through this offer: taken by someone quicker, in the past, already booked by them, or
    they left the list. The booking itself is booking.book (same lock, same rules, source
    "online") with the details and consent the patient gave when joining.
    """
    now = now or utcnow()
    offer = offer_by_token(token)
    if offer is None:
        raise LookupError("offer")
    reason = _closed_reason(offer, now)
    if reason:
        raise OfferGone(offer, reason)
    entry = offer.entry
    offer_id = offer.id
    try:
        appointment, manage_token = booking.book(
            service_id=entry.service_id, start=offer.starts_at,
            practitioner_id=offer.practitioner_id,
            patient={"full_name": entry.full_name, "email": entry.email, "phone": entry.phone,
                     "date_of_birth": entry.date_of_birth.isoformat()},
            consent=True, source="online", language=entry.language or "en", now=now)
    except (booking_errors.BookingError, InvalidDetails, LookupError):
        offer, reason = _lost(offer_id, now)
        raise OfferGone(offer, reason) from None
    try:
        _settle(offer_id, appointment.id, now)
    except Exception as exc:  # the booking stands; only the waitlist's bookkeeping failed
        log.warning("waitlist: booked offer %s but could not settle it (%s)", offer_id,
                    type(exc).__name__)
    return appointment, manage_token
