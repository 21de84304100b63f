"""Where a treatment course fits: the same time on consecutive clinic days. Pure: stdlib only.

A course of n sessions starting on day D runs on D and the next n-1 clinic days, at the same
local time, with one practitioner. Days the clinic is closed all day (weekends, holidays) are
skipped: a 5-day course starting on a Wednesday runs Wed, Thu, Fri, Mon, Tue. A day that is open
but where the time is taken (or partly closed) blocks the course at that start.

The caller passes what is free as a set of (practitioner_id, local date, local time) keys (from
the slot engine), so this module only does the calendar arithmetic and the search.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

# A course never needs more calendar days than this to find its clinic days (7 sessions over
# weekends and a run of holidays); a longer search means the calendar is closed.
MAX_SPAN_DAYS = 28


@dataclass(frozen=True)
class CourseOption:
    practitioner_id: int
    local_time: time
    days: tuple[date, ...]  # the session days, in order

    @property
    def first_day(self):
        return self.days[0]


@dataclass(frozen=True)
class Blocked:
    """Why a wanted start does not fit: the session days and the ones that are not free."""

    days: tuple[date, ...]
    blocking: tuple[date, ...]


def session_days(first_day, count, *, open_weekdays, closed_days=frozenset()):
    """The `count` clinic days from `first_day` on (first_day itself must be a clinic day)."""
    if count < 1:
        raise ValueError("a course has at least one session")
    if first_day.weekday() not in open_weekdays or first_day in closed_days:
        return None
    days = []
    day = first_day
    while len(days) < count:
        if (day - first_day).days > MAX_SPAN_DAYS:
            return None
        if day.weekday() in open_weekdays and day not in closed_days:
            days.append(day)
        day += timedelta(days=1)
    return tuple(days)


def course_options(free, count, start_days, *, open_weekdays, closed_days=frozenset(),
                   practitioner_ids=None):
    """Every (practitioner, time, days) where all sessions are free, for starts on `start_days`.

    free: set of (practitioner_id, local date, local time). Sorted by first day, time,
    practitioner.
    """
    options = []
    starts = sorted({(day, t, pid) for pid, day, t in free if day in set(start_days)
                     and (practitioner_ids is None or pid in practitioner_ids)})
    for day, local_time, pid in starts:
        days = session_days(day, count, open_weekdays=open_weekdays, closed_days=closed_days)
        if days and all((pid, d, local_time) in free for d in days):
            options.append(CourseOption(pid, local_time, days))
    return options


def why_blocked(free, count, first_day, local_time, practitioner_ids, *, open_weekdays,
                closed_days=frozenset()):
    """For a wanted start that does not fit: its session days and which of them block it (for
    the practitioner that gets furthest, so the answer names the fewest blocking days)."""
    days = session_days(first_day, count, open_weekdays=open_weekdays, closed_days=closed_days)
    if days is None:
        return Blocked((), (first_day,))
    best = None
    for pid in sorted(practitioner_ids):
        blocking = tuple(d for d in days if (pid, d, local_time) not in free)
        if best is None or len(blocking) < len(best):
            best = blocking
    return Blocked(days, best if best is not None else days)


def full_days(free, days):
    """The days among `days` with no free time at all, for anyone: a course over them cannot
    start, whatever its time."""
    open_days = {day for _pid, day, _time in free}
    return tuple(day for day in days if day not in open_days)


def nearest(options, wanted_day, wanted_time, limit=3):
    """The options closest in time to the wanted start (either side)."""
    wanted = datetime.combine(wanted_day, wanted_time)

    def distance(option):
        return abs(datetime.combine(option.first_day, option.local_time) - wanted)

    return sorted(options, key=lambda o: (distance(o), o.first_day, o.local_time,
                                          o.practitioner_id))[:limit]
