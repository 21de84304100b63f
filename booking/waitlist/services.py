"""The waitlist: patients waiting for a time that suits, offered freed times by email.

- `join_waitlist`: a patient leaves their wishes (service, maybe a practitioner, days, weekdays,
  a time window) and contact details; an email brings them a private link to leave the list.
- `offer_freed_time`: called INSIDE the transaction that frees time (a cancellation, a move, a
  closure removed). It adds offers and outbox messages and never commits, so the emails exist
  exactly when the freed time does.
- `confirm_offer`: the first waiting patient to confirm gets the time. The booking goes through
  booking.scheduler.services.book, the same door and the same lock as every other booking, so
  two confirmations can never both win; the others' offers become "gone" and they are told.

Tokens (leave links, offer links) are 256-bit, stored as sha256 only, like the manage links.
Nothing here is health data: wishes, contact details, times and statuses.
"""
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
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
from ..notifications import messages, outbox
from ..scheduler import recurrence
from ..scheduler import services as booking
from ..scheduler import availability, booking_errors, booking_rules, manage_links
from ..scheduler.contacts import InvalidDetails, clean_patient_details
from ..timeutil import clinic_tz, utcnow

log = logging.getLogger(__name__)

MAX_DAYS = 60  # first to last wished day, both included
MAX_OFFERS_PER_FREED_TIME = 20
# Waiting entries looked at per freed time (in join order), before the finer filters.
SCAN_LIMIT = 200
STAFF_LIST_LIMIT = 300
MAX_TOKEN_LENGTH = 100

WAITING, BOOKED, LEFT = "waiting", "booked", "left"
OFFERED, TAKEN, GONE = "offered", "taken", "gone"

CHECK_FIELDS = _l("Please check the fields marked below.")


class WaitlistError(Exception):
    """Wishes or details that break a rule: a message per form field (422)."""

    status = 422

    def __init__(self, message, fields=None):
        super().__init__(str(message))
        self.message = str(message)
        self.fields = {key: str(value) for key, value in (fields or {}).items()}


class OfferGone(Exception):
    """The offered time can no longer be booked through this offer (409).

    `reason`: "taken" (someone else was quicker, or the time is no longer free), "past",
    "yours" (this patient booked it already), "booked" (they booked another offer), "left"."""

    status = 409

    def __init__(self, offer, reason):
        super().__init__(reason)
        self.offer = offer
        self.reason = reason


# --- Small helpers --------------------------------------------------------------------------------

def _clock(value):
    text = str(value or "").strip()
    for pattern in ("%H:%M", "%H:%M:%S"):
        try:
            return datetime.strptime(text, pattern).time()
        except ValueError:
            continue
    return None


def _day(value):
    text = str(value or "").strip()
    if len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _minutes(clock):
    return clock.hour * 60 + clock.minute


def _link(endpoint, **values):
    """An absolute link for an email, on CANONICAL_URL (never a request's Host header)."""
    return messages.canonical_url(endpoint, **values)


def _queue_email(name, entry, **context):
    """Render templates/email/waitlist_<name>.txt/.html in the patient's language and queue
    the message in the current transaction."""
    subjects = {
        "joined": _l("You are on the waitlist at %(clinic)s"),
        "offer": _l("A time has become free at %(clinic)s"),
        "gone": _l("The free time at %(clinic)s has been taken"),
    }
    clinic = current_app.config["CLINIC_SHORT_NAME"]
    with force_locale(entry.language or "en"):
        context = {"entry": entry, "weekday_names": weekday_names(entry.weekdays), **context}
        subject = str(subjects[name]) % {"clinic": clinic}
        text_body = render_template(f"email/waitlist_{name}.txt", **context)
        html_body = render_template(f"email/waitlist_{name}.html", **context)
    return outbox.queue(f"waitlist_{name}", to_address=entry.email, to_name=entry.full_name,
                        subject=subject, text_body=text_body, html_body=html_body,
                        language=entry.language or "en")


WEEKDAY_NAMES = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
                 _l("Saturday"), _l("Sunday"))


def weekday_names(weekdays):
    return [str(WEEKDAY_NAMES[day]) for day in sorted(weekdays or ()) if 0 <= day <= 6]


def _opening_hours():
    rules = booking_rules.clinic_rules()
    return sorted(rules.open_weekdays), rules.opens, rules.closes


# --- Joining --------------------------------------------------------------------------------------

def joinable_service(service_id):
    """A service one can wait for (bookable online as a single appointment), or None."""
    return availability.get_bookable_service(service_id)


@dataclass
class JoinContext:
    service: Service
    practitioners: list
    open_weekdays: list
    opens: time
    closes: time
    today: date
    last_day: date  # the last day online booking reaches


def join_context(service_id, *, now=None):
    """What the join form needs, or None for a service nobody can wait for."""
    service = joinable_service(service_id)
    if service is None:
        return None
    open_weekdays, opens, closes = _opening_hours()
    return JoinContext(service, availability.practitioners_for(service), open_weekdays, opens,
                       closes, booking_rules.local_today(now), booking_rules.last_bookable_day(now))


def _clean_wishes(fields, context):
    """Typed wishes -> (practitioner_id, first_day, last_day, weekdays, earliest, latest), or
    the errors per field."""
    errors = {}
    service = context.service

    practitioner_id = None
    raw = str(fields.get("practitioner") or "").strip()
    if raw and raw != "any":
        wanted = int(raw) if raw.isdigit() else None
        if wanted not in {p.id for p in context.practitioners}:
            errors["practitioner"] = _l("Please choose from the list.")
        else:
            practitioner_id = wanted

    first_day, last_day = _day(fields.get("first_day")), _day(fields.get("last_day"))
    if first_day is None:
        errors["first_day"] = _l("Please enter a date like 2026-12-31.")
    elif first_day < context.today:
        errors["first_day"] = _l("The first day cannot be in the past.")
    elif first_day > context.last_day:
        errors["first_day"] = _l("Online booking reaches up to %(date)s.",
                                 date=context.last_day.isoformat())
    if last_day is None:
        errors["last_day"] = _l("Please enter a date like 2026-12-31.")
    elif first_day is not None and last_day < first_day:
        errors["last_day"] = _l("The last day must not be before the first day.")
    elif first_day is not None and (last_day - first_day).days + 1 > MAX_DAYS:
        errors["last_day"] = _l("Please choose at most %(n)d days.", n=MAX_DAYS)
    elif last_day > context.last_day:
        errors["last_day"] = _l("Online booking reaches up to %(date)s.",
                                date=context.last_day.isoformat())

    weekdays = set()
    for value in fields.get("weekdays") or ():
        text = str(value).strip()
        if not text.isdigit() or int(text) not in context.open_weekdays:
            errors["weekdays"] = _l("Please choose from the list.")
        else:
            weekdays.add(int(text))
    if not weekdays and "weekdays" not in errors:
        errors["weekdays"] = _l("Please choose at least one day of the week.")

    earliest, latest = _clock(fields.get("earliest")), _clock(fields.get("latest"))
    opens, closes = context.opens.strftime("%H:%M"), context.closes.strftime("%H:%M")
    if earliest is None:
        errors["earliest"] = _l("Please enter a time like 10:00.")
    elif not context.opens <= earliest < context.closes:
        errors["earliest"] = _l("The clinic is open from %(opens)s to %(closes)s.",
                                opens=opens, closes=closes)
    if latest is None:
        errors["latest"] = _l("Please enter a time like 19:00.")
    elif not context.opens < latest <= context.closes:
        errors["latest"] = _l("The clinic is open from %(opens)s to %(closes)s.",
                              opens=opens, closes=closes)
    elif earliest is not None and "earliest" not in errors \
            and _minutes(latest) - _minutes(earliest) < service.duration_minutes:
        errors["latest"] = _l("The appointment takes %(n)d minutes: please leave at least that "
                              "much time between the earliest start and the latest end.",
                              n=service.duration_minutes)
    return errors, (practitioner_id, first_day, last_day, sorted(weekdays), earliest, latest)


def join_waitlist(service_id, fields, *, language="en", now=None):
    """Put a patient on the waitlist. `fields` as typed: practitioner ("" or "any" for any),
    first_day, last_day, weekdays (list), earliest, latest, full_name, email, phone,
    date_of_birth, consent (bool).

    Returns (entry, leave_token); queues the "you are on the list" email with the private
    leave link, and audits the join (with the consent text's version) in the same transaction.
    Raises LookupError (no such service) or WaitlistError (422, a message per field).
    """
    now = now or utcnow()
    context = join_context(service_id, now=now)
    if context is None:
        raise LookupError("service")
    errors, wishes = _clean_wishes(fields, context)
    details = None
    try:
        details = clean_patient_details(
            fields.get("full_name"), fields.get("email"), fields.get("phone"),
            fields.get("date_of_birth"), today=context.today)
    except InvalidDetails as error:
        errors.update(error.fields)
    if fields.get("consent") is not True:
        errors["consent"] = _l("Please agree to the processing of your data so we can keep "
                               "you on the waitlist.")
    if errors:
        raise WaitlistError(CHECK_FIELDS, errors)
    practitioner_id, first_day, last_day, weekdays, earliest, latest = wishes
    token, token_hash = manage_links.new_token()
    begin_write()
    try:
        entry = WaitlistEntry(
            service_id=context.service.id, practitioner_id=practitioner_id,
            full_name=details.full_name, email=details.email, phone=details.phone,
            date_of_birth=details.date_of_birth, language=language if language in
            current_app.config["LANGUAGES"] else "en",
            first_day=first_day, last_day=last_day, weekdays=weekdays, earliest=earliest,
            latest=latest, status=WAITING, token_hash=token_hash, created_at=now)
        db.session.add(entry)
        db.session.flush()
        audit.record("waitlist.join", object_type="waitlist_entry", object_id=entry.id,
                     details={"service_id": entry.service_id,
                              "practitioner_id": practitioner_id,
                              "consent_version": current_app.config["CONSENT_VERSION"]},
                     actor_label="patient")
        _queue_email("joined", entry, leave_url=_link("waitlist.leave", token=token))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return entry, token


def entry_by_token(token):
    """The entry behind a private leave link, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return db.session.execute(
        select(WaitlistEntry).options(selectinload(WaitlistEntry.service),
                                      selectinload(WaitlistEntry.practitioner))
        .where(WaitlistEntry.token_hash == manage_links.hash_token(token))
    ).scalar_one_or_none()


def _leave(entry_id):
    """Take an entry off the list; its open offers end quietly. In the caller's transaction."""
    entry = db.session.execute(
        select(WaitlistEntry).where(WaitlistEntry.id == entry_id).with_for_update()
    ).scalar_one()
    if entry.status != WAITING:
        return entry, False
    entry.status = LEFT
    for offer in db.session.execute(
            select(WaitlistOffer).where(WaitlistOffer.entry_id == entry.id,
                                        WaitlistOffer.status == OFFERED)).scalars():
        offer.status = GONE
    audit.record("waitlist.leave", object_type="waitlist_entry", object_id=entry.id,
                 actor_label="patient")
    return entry, True


def leave_waitlist(token):
    """The patient leaves the list through their private link. Returns (entry, changed);
    LookupError for a wrong token. Leaving twice changes nothing."""
    entry = entry_by_token(token)
    if entry is None:
        raise LookupError("entry")
    return _leave_committed(entry.id)


def leave_by_offer(token):
    """The same, from an offer's page (the offer email carries no leave link of its own)."""
    offer = offer_by_token(token)
    if offer is None:
        raise LookupError("offer")
    return _leave_committed(offer.entry_id)


def _leave_committed(entry_id):
    begin_write()
    try:
        entry, changed = _leave(entry_id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return entry, changed


# --- Offering freed time (inside the caller's transaction) ----------------------------------------

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
        _queue_email("offer", entry, starts_at=slot.start, ends_at=slot.end,
                     practitioner=practitioner, offer_url=_link("waitlist.offer", token=token))
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


# --- An offer's page and confirming it ------------------------------------------------------------

def offer_by_token(token):
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return db.session.execute(
        select(WaitlistOffer).options(selectinload(WaitlistOffer.entry))
        .where(WaitlistOffer.token_hash == manage_links.hash_token(token))
    ).scalar_one_or_none()


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
        _queue_email("gone", offer.entry, starts_at=offer.starts_at,
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


# --- Staff: the waitlist of a service -------------------------------------------------------------

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
