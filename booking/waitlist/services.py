"""The waitlist: patients waiting for a time that suits, offered freed times by email. This
module lets a patient join and leave the list; booking/waitlist/freed_time.py offers them freed
time, offer_confirmation.py shows an offer and books it, staff_list.py lists them for staff,
entries.py holds the statuses and finds an entry or offer by its private link, and emails.py
writes to them.

- `join_waitlist`: a patient leaves their wishes (service, maybe a practitioner, days, weekdays,
  a time window) and contact details; an email brings them a private link to leave the list.
- `leave_waitlist`, `leave_by_offer`: the patient leaves through that link or an offer's page;
  their open offers end quietly.

Nothing here is health data: wishes, contact details, times and statuses.
"""
from dataclasses import dataclass
from datetime import date, datetime, time

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit
from ..database import begin_write
from ..extensions import db
from ..models import Service, WaitlistEntry, WaitlistOffer
from ..scheduler import availability, booking_rules, manage_links
from ..scheduler.contacts import InvalidDetails, clean_patient_details
from ..timeutil import utcnow
from .emails import link, queue_email
from .entries import GONE, LEFT, OFFERED, WAITING, entry_by_token, offer_by_token

MAX_DAYS = 60  # first to last wished day, both included

CHECK_FIELDS = _l("Please check the fields marked below.")


class WaitlistError(Exception):
    """Wishes or details that break a rule: a message per form field (422)."""

    status = 422

    def __init__(self, message, fields=None):
        super().__init__(str(message))
        self.message = str(message)
        self.fields = {key: str(value) for key, value in (fields or {}).items()}


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
        queue_email("joined", entry, leave_url=link("waitlist.leave", token=token))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return entry, token

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
