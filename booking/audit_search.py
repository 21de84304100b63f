"""Reading the audit log for the admin page: the events between two local dates, filtered by
action, actor and object, newest first, a page at a time.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .admin_fields import CHECK_FIELDS, AdminError
from .extensions import db
from .models import AuditEvent
from .scheduler.booking_rules import local_today
from .timeutil import clinic_tz

AUDIT_PAGE_SIZE = 100
AUDIT_MAX_DAYS = 366


@dataclass
class AuditPage:
    events: list
    page: int
    has_previous: bool
    has_next: bool
    first_day: date
    last_day: date


def default_audit_range(now=None):
    today = local_today(now)
    return today - timedelta(days=6), today


def audit_log(*, first_day=None, last_day=None, action="", actor="", object_type="",
              object_id=None, page=1, now=None):
    """Audit events between two local dates (inclusive; default the last 7 days), newest
    first, AUDIT_PAGE_SIZE a page. `action` matches the start of the action ("staff" finds
    staff.*), `actor` the actor's email exactly (any case)."""
    default_first, default_last = default_audit_range(now)
    first_day, last_day = first_day or default_first, last_day or default_last
    errors = {}
    if last_day < first_day:
        errors["last_day"] = _l("The last day must not be before the first day.")
    elif (last_day - first_day).days + 1 > AUDIT_MAX_DAYS:
        errors["last_day"] = _l("Please choose at most %(n)d days.", n=AUDIT_MAX_DAYS)
    if errors:
        raise AdminError(CHECK_FIELDS, errors)
    tz = clinic_tz()
    start = datetime.combine(first_day, time(0), tzinfo=tz)
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz)
    query = select(AuditEvent).where(AuditEvent.at >= start, AuditEvent.at < end)
    if action:
        query = query.where(AuditEvent.action.startswith(action.strip(), autoescape=True))
    if actor:
        query = query.where(db.func.lower(AuditEvent.actor) == actor.strip().lower())
    if object_type:
        query = query.where(AuditEvent.object_type == object_type.strip())
    if object_id is not None:
        query = query.where(AuditEvent.object_id == object_id)
    page = max(1, page)
    events = db.session.execute(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * AUDIT_PAGE_SIZE).limit(AUDIT_PAGE_SIZE + 1)
    ).scalars().all()
    return AuditPage(events[:AUDIT_PAGE_SIZE], page, page > 1, len(events) > AUDIT_PAGE_SIZE,
                     first_day, last_day)
