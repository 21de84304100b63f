"""The clinic's settings turned into the slot engine's plain values (opening hours, notice,
horizon, a service's timing), the clinic's local today, and a start checked against those rules
with the message each broken rule shows.
"""
from datetime import time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..timeutil import clinic_tz, utcnow
from . import slots as engine
from .booking_errors import SlotNotBookable


def parse_clock(value):
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def clinic_rules(for_staff=False):
    """The clinic's rules for the engine. Staff booking a caller keep every rule (hours, days,
    no overlap, nothing in the past) but not the online minimum notice, and may book further
    ahead (a follow-up in three months)."""
    config = current_app.config
    return engine.ClinicRules(
        open_weekdays=frozenset(config["CLINIC_OPEN_WEEKDAYS"]),
        opens=parse_clock(config["CLINIC_OPENS"]),
        closes=parse_clock(config["CLINIC_CLOSES"]),
        min_notice=timedelta(0) if for_staff else timedelta(minutes=config["MIN_NOTICE_MINUTES"]),
        horizon_days=config["STAFF_BOOKING_HORIZON_DAYS" if for_staff else "BOOKING_HORIZON_DAYS"],
    )


def service_timing(service):
    return engine.ServiceTiming(
        duration_minutes=service.duration_minutes,
        grid_minutes=service.grid_minutes,
        buffer_minutes=service.buffer_minutes,
        observation_minutes=service.observation_minutes or 0,
    )


def local_today(now=None):
    return (now or utcnow()).astimezone(clinic_tz()).date()


def last_bookable_day(now=None):
    """The last local date online booking reaches (the horizon), as the slot engine counts it."""
    return local_today(now) + timedelta(days=current_app.config["BOOKING_HORIZON_DAYS"])


RULE_MESSAGES = {
    "naive_time": _l("The time must include its UTC offset."),
    "in_past": _l("That time is in the past."),
    "weekend": _l("The clinic is closed at weekends."),
    "outside_hours": _l("That time is outside the clinic's opening hours (Mon-Fri 10:00-19:00)."),
    "off_grid": _l("That time is not on the booking grid; please pick one of the offered times."),
    "too_soon": _l("That time is too soon to book online; please call the clinic."),
    "beyond_horizon": _l("That date is too far ahead to book yet."),
}


def check_rules(service, start, now, rules):
    code = engine.check_start(start, service_timing(service), now=now, tz=clinic_tz(),
                              rules=rules)
    if code:
        message = str(RULE_MESSAGES[code])
        error = SlotNotBookable(message, fields={"start": message})
        error.code = code
        raise error
