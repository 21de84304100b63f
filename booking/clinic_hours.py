"""When the clinic is open: whole days closed (holidays) and when it can next act.

Used where a person must be told honestly when the clinic will answer (an urgent intake at
22:00 hears "on the next working day, Monday 14 December", not "today").
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .scheduler import availability, booking_rules
from .timeutil import clinic_tz, utcnow

# How far ahead to look for the next working day (a long holiday closure stays within it).
LOOK_AHEAD_DAYS = 31


def closed_days(first_day, last_day, rules=None):
    """Days the whole clinic is closed for all its opening hours (holidays, clinic-wide
    closures), between two local dates inclusive."""
    rules = rules or booking_rules.clinic_rules()
    tz = clinic_tz()
    range_start, range_end = availability.day_bounds_utc(first_day, last_day)
    closed = set()
    for closure, start, end in availability.closures_between(range_start, range_end):
        if closure.practitioner_id is not None:
            continue
        day = start.astimezone(tz).date()
        while day <= min(end.astimezone(tz).date(), last_day):
            opens = datetime.combine(day, rules.opens, tzinfo=tz)
            closes = datetime.combine(day, rules.closes, tzinfo=tz)
            if start <= opens and end >= closes:
                closed.add(day)
            day += timedelta(days=1)
    return closed


@dataclass(frozen=True)
class ContactPromise:
    """When the clinic will contact a patient: `today` (open now), `later_today` (a working
    day before opening: from `opens`), or `next_working_day` on `day`."""
    when: str
    day: date
    opens: str


def contact_promise(now=None):
    now = now or utcnow()
    rules = booking_rules.clinic_rules()
    tz = clinic_tz()
    local = now.astimezone(tz)
    today = local.date()
    closed = closed_days(today, today + timedelta(days=LOOK_AHEAD_DAYS), rules)
    opens = rules.opens.strftime("%H:%M")

    def working(day):
        return day.weekday() in rules.open_weekdays and day not in closed

    if working(today) and local.time() < rules.closes:
        return ContactPromise("today" if local.time() >= rules.opens else "later_today",
                              today, opens)
    day = today + timedelta(days=1)
    while not working(day) and day < today + timedelta(days=LOOK_AHEAD_DAYS):
        day += timedelta(days=1)
    return ContactPromise("next_working_day", day, opens)
