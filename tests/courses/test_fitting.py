"""Course days: consecutive clinic days, weekends and closed days skipped."""
from datetime import date, time

import pytest

from booking.courses import fitting

WEEKDAYS = frozenset(range(5))
WED = date(2026, 12, 9)


@pytest.mark.parametrize("first, count, closed, expected", [
    (WED, 5, set(), ["12-09", "12-10", "12-11", "12-14", "12-15"]),  # Wed Thu Fri Mon Tue
    (WED, 3, set(), ["12-09", "12-10", "12-11"]),
    (date(2026, 12, 11), 3, set(), ["12-11", "12-14", "12-15"]),     # Fri Mon Tue
    (WED, 5, {date(2026, 12, 14)}, ["12-09", "12-10", "12-11", "12-15", "12-16"]),
    (date(2026, 12, 7), 7, set(), ["12-07", "12-08", "12-09", "12-10", "12-11", "12-14",
                                    "12-15"]),
])
def test_sessions_run_on_consecutive_clinic_days(first, count, closed, expected):
    days = fitting.session_days(first, count, open_weekdays=WEEKDAYS, closed_days=closed)
    assert [d.strftime("%m-%d") for d in days] == expected


@pytest.mark.parametrize("first", [date(2026, 12, 12), date(2026, 12, 13)])
def test_a_course_cannot_start_on_a_closed_day(first):
    assert fitting.session_days(first, 3, open_weekdays=WEEKDAYS) is None


def free_every_weekday(pid, days, at=time(10)):
    return {(pid, d, at) for d in days}


def test_options_need_every_session_free_and_the_blocking_day_is_named():
    days = [date(2026, 12, d) for d in (9, 10, 11, 14, 15, 16)]
    free = free_every_weekday(1, days) - {(1, date(2026, 12, 14), time(10))}
    options = fitting.course_options(free, 3, [WED, date(2026, 12, 15)], open_weekdays=WEEKDAYS)
    assert [(o.first_day, o.local_time) for o in options] == [(WED, time(10))]
    assert fitting.course_options(free, 5, [WED], open_weekdays=WEEKDAYS) == []
    blocked = fitting.why_blocked(free, 5, WED, time(10), [1], open_weekdays=WEEKDAYS)
    assert blocked.blocking == (date(2026, 12, 14),)


def test_nearest_options_come_first():
    options = [fitting.CourseOption(1, time(10), (date(2026, 12, d),)) for d in (7, 9, 10, 21)]
    assert [o.first_day.day for o in fitting.nearest(options, date(2026, 12, 10), time(12), 2)] \
        == [10, 9]
