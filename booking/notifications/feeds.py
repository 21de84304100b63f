"""Practitioners' private calendar feeds: a secret .ics URL for Google, Apple or Outlook.

Only the sha256 of a feed's token is stored; the URL is shown once, when an admin creates or
rotates it, and rotating makes the old URL answer 404 at once. A feed lists the practitioner's
active appointments from today to the staff booking horizon, named neutrally with the
patient's initials only: no health data, no therapy, no contact details.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit
from ..database import begin_write
from ..extensions import db
from ..models import Appointment, AppointmentStatus, CalendarFeed, Course, Practitioner
from ..scheduler.booking_rules import local_today
from ..scheduler.manage_links import hash_token, new_token
from ..timeutil import clinic_tz, utcnow

UID_DOMAIN = "expio-booking"
PRODID = "-//Expio//Expio booking//EN"
# Calendar apps poll subscriptions; ask for a refresh every quarter of an hour.
REFRESH_INTERVAL = timedelta(minutes=15)
MAX_TOKEN_LENGTH = 100


# --- Admin: create and rotate -------------------------------------------------------------------

@dataclass
class FeedRow:
    """One practitioner on the admin page: whether a feed exists, and since when."""

    practitioner: Practitioner
    feed: CalendarFeed | None


def feeds_overview():
    """Every practitioner (a small table) with their feed, if any: for the admin page."""
    practitioners = db.session.execute(
        select(Practitioner).order_by(Practitioner.active.desc(), Practitioner.full_name,
                                      Practitioner.id)
    ).scalars().all()
    feeds = {feed.practitioner_id: feed
             for feed in db.session.execute(select(CalendarFeed)).scalars()}
    return [FeedRow(p, feeds.get(p.id)) for p in practitioners]


def rotate_feed(practitioner_id, *, actor=None, now=None):
    """Create the practitioner's feed, or give it a new token (the old URL stops at once).

    Returns (feed, token): the token is shown once and never stored. Audited as
    "feed.rotate" in the same transaction, without the token. LookupError: no such practitioner.
    """
    now = now or utcnow()
    begin_write()
    try:
        practitioner = db.session.get(Practitioner, practitioner_id)
        if practitioner is None:
            raise LookupError("practitioner")
        token, token_hash = new_token()
        feed = db.session.execute(
            select(CalendarFeed).where(CalendarFeed.practitioner_id == practitioner_id)
            .with_for_update()
        ).scalar_one_or_none()
        created = feed is None
        if created:
            feed = CalendarFeed(practitioner_id=practitioner_id, token_hash=token_hash,
                                rotated_at=now)
            db.session.add(feed)
        else:
            feed.token_hash = token_hash
            feed.rotated_at = now
        db.session.flush()
        audit.record("feed.rotate", object_type="calendar_feed", object_id=feed.id,
                     details={"practitioner_id": practitioner_id, "created": created},
                     actor=actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return feed, token


def feed_url(token):
    """The subscription address: CANONICAL_URL + /feeds/<token>.ics (the clinic's public
    address, whatever host the admin's browser used)."""
    base = current_app.config.get("CANONICAL_URL")
    if not base:
        return url_for("feeds.practitioner_feed", token=token, _external=True)
    adapter = current_app.url_map.bind("canonical.invalid", script_name="/")
    return base.rstrip("/") + adapter.build("feeds.practitioner_feed", {"token": token})


# --- Serving a feed -----------------------------------------------------------------------------

def feed_by_token(token):
    """The feed behind a secret URL, or None (a wrong token looks like any other 404)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return db.session.execute(
        select(CalendarFeed).options(selectinload(CalendarFeed.practitioner))
        .where(CalendarFeed.token_hash == hash_token(token))
    ).scalar_one_or_none()


def feed_window(now=None):
    """[start, end) of what a feed shows: today (local midnight) to the staff horizon."""
    tz = clinic_tz()
    today = local_today(now)
    last_day = today + timedelta(days=current_app.config["STAFF_BOOKING_HORIZON_DAYS"])
    return (datetime.combine(today, time(0), tzinfo=tz),
            datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz))


def upcoming_appointments(practitioner_id, now=None):
    """The practitioner's active appointments in the feed window, in time order (bounded by
    the window, never the whole history)."""
    start, end = feed_window(now)
    return db.session.execute(
        select(Appointment)
        .options(selectinload(Appointment.patient),
                 selectinload(Appointment.course).load_only(Course.sessions_count))
        .where(Appointment.practitioner_id == practitioner_id,
               Appointment.status != AppointmentStatus.CANCELLED.value,
               Appointment.starts_at >= start, Appointment.starts_at < end)
        .order_by(Appointment.starts_at, Appointment.id)
    ).scalars().all()


def initials(full_name):
    """"Olena Petrenko" -> "O. P."; first and last word only, so a long name stays short."""
    words = [word for word in str(full_name or "").replace("-", " ").split()
             if any(ch.isalpha() for ch in word)]
    if not words:
        return "?"
    chosen = words if len(words) <= 2 else [words[0], words[-1]]
    return " ".join(next(ch for ch in word if ch.isalpha()).upper() + "." for word in chosen)


def event_summary(appointment):
    """Neutral: the patient's initials, and the day of a course; never the service or therapy."""
    summary = _("Appointment: %(initials)s", initials=initials(appointment.patient.full_name))
    if appointment.course_id is not None and appointment.course_day:
        summary += " (" + _("course day %(day)d/%(total)d", day=appointment.course_day,
                            total=appointment.course.sessions_count) + ")"
    return summary


def build_calendar(practitioner, appointments, now=None):
    """An iCalendar (RFC 5545) subscription with one VEVENT per appointment, times in the
    clinic's zone with a VTIMEZONE. Returns bytes."""
    now = now or utcnow()
    tz = clinic_tz()
    config = current_app.config
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{config['CLINIC_SHORT_NAME']}: {practitioner.full_name}")
    calendar.add("x-wr-timezone", config["CLINIC_TZ"])
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH_INTERVAL)
    # Every time is in the clinic's zone: one VTIMEZONE, covering the feed's window.
    window_start, window_end = feed_window(now)
    calendar.add_component(Timezone.from_tzid(
        config["CLINIC_TZ"], first_date=window_start.date() - timedelta(days=1),
        last_date=window_end.date() + timedelta(days=1)))
    for appointment in appointments:
        event = Event()
        event.add("uid", f"{appointment.reference}@{UID_DOMAIN}")
        event.add("sequence", appointment.sequence or 0)
        event.add("dtstamp", now)
        event.add("dtstart", appointment.starts_at.astimezone(tz))
        event.add("dtend", appointment.ends_at.astimezone(tz))
        event.add("summary", event_summary(appointment))
        event.add("location", config["CLINIC_ADDRESS"])
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()


def practitioner_feed(token, *, now=None):
    """The .ics bytes behind a secret feed URL, or None for a wrong (or rotated) token."""
    feed = feed_by_token(token)
    if feed is None:
        return None
    now = now or utcnow()
    return build_calendar(feed.practitioner, upcoming_appointments(feed.practitioner_id, now),
                          now)
