"""Repeating periods ("every Friday 14:00-15:00") turned into concrete intervals. Pure: stdlib
and dateutil only.

The rule repeats the LOCAL wall-clock time of the first occurrence, so a weekly 14:00 closure
stays at 14:00 after a DST change (its UTC time moves instead).
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

# A safety net for rules without an end: nobody plans blocked time further than this.
MAX_OCCURRENCES = 2000


def parse_rule(rule, first_start):
    """The dateutil rule for an RRULE string (e.g. "FREQ=WEEKLY;BYDAY=FR"); ValueError if bad."""
    if not rule or "\n" in rule or len(rule) > 200:
        raise ValueError("empty or malformed rule")
    return rrulestr(rule, dtstart=first_start.replace(tzinfo=None), forceset=False)


def occurrences(first_start, first_end, rule, *, until=None, window_start, window_end,
                tz: ZoneInfo):
    """(start, end) aware pairs of every occurrence that overlaps [window_start, window_end).

    first_start/first_end: the first occurrence (aware). until: last local date, inclusive.
    """
    local_first = first_start.astimezone(tz)
    duration = first_end - first_start
    recurrence = parse_rule(rule, local_first)
    # Search in naive local time: that is the clock the rule repeats.
    after = (window_start.astimezone(tz) - duration).replace(tzinfo=None)
    before = window_end.astimezone(tz).replace(tzinfo=None)
    found = []
    for count, naive in enumerate(recurrence.xafter(after, inc=True)):
        if naive >= before or count >= MAX_OCCURRENCES:
            break
        if until is not None and naive.date() > until:
            break
        start = datetime.combine(naive.date(), naive.time(), tzinfo=tz)
        end = start + duration
        if start < window_end and end > window_start:
            found.append((start, end))
    return found


