"""Tests for the pure slot engine.

Every test passes a fixed `now` and the clinic time zone, so nothing here
depends on the clock. Dates in November/December 2026 have no DST change;
the DST tests use the last Sundays of March and October 2027.
"""
import random
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from booking.scheduler.slots import (
    ClinicRules,
    Interval,
    PractitionerCalendar,
    ServiceTiming,
    Slot,
    WorkingPeriod,
    check_start,
    free_slots,
    week_start,
)

KYIV = ZoneInfo("Europe/Kyiv")

MONDAY = date(2026, 11, 30)
TUESDAY = date(2026, 12, 1)
FRIDAY = date(2026, 12, 4)
SATURDAY = date(2026, 12, 5)
SUNDAY = date(2026, 12, 6)

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday 09:00 in Kyiv
# A week earlier: far enough back that minimum notice never gets in the way.
LAST_WEEK = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
SUNDAY_MORNING = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)  # 09:00 in Kyiv
SUNDAY_NIGHT_UTC = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)  # Monday 00:30 in Kyiv

ONE_HOUR = ServiceTiming(duration_minutes=60)
EVERY_DAY = range(7)


# --- Helpers ------------------------------------------------------------------


def clock(hhmm: str) -> time:
    hours, minutes = hhmm.split(":")
    return time(int(hours), int(minutes))


def at(day: date, hhmm: str) -> datetime:
    """A Kyiv wall-clock moment on `day`."""
    return datetime.combine(day, clock(hhmm), tzinfo=KYIV)


def during(day: date, start: str, end: str) -> Interval:
    return Interval(at(day, start), at(day, end))


def working(*spans: tuple[str, str], weekdays=EVERY_DAY) -> tuple[WorkingPeriod, ...]:
    """The same working periods on each of the given weekdays."""
    return tuple(
        WorkingPeriod(weekday, clock(start), clock(end))
        for weekday in weekdays
        for start, end in spans
    )


def create_calendar(practitioner_id=1, periods=None, busy=()) -> PractitionerCalendar:
    """A practitioner who, unless told otherwise, works 10:00-19:00 every day,
    so only the clinic rules limit them."""
    if periods is None:
        periods = working(("10:00", "19:00"))
    return PractitionerCalendar(practitioner_id, periods, tuple(busy))


def slots_on(day, service=ONE_HOUR, calendars=None, now=LAST_WEEK, **options) -> list[Slot]:
    if calendars is None:
        calendars = [create_calendar()]
    return free_slots(calendars, service, day, day, now=now, tz=KYIV, **options)


def local_starts(slots) -> list[str]:
    return [slot.start.astimezone(KYIV).strftime("%H:%M") for slot in slots]


def days_between(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


# --- Which days and hours ------------------------------------------------------


@pytest.mark.parametrize("day", [SATURDAY, SUNDAY], ids=["saturday", "sunday"])
def test_weekend_gives_no_slots_even_if_a_practitioner_works(day):
    assert slots_on(day) == []


@pytest.mark.parametrize(
    ("duration", "grid", "first", "last"),
    [
        (60, 30, "10:00", "18:00"),
        (50, 30, "10:00", "18:00"),  # 18:30 would end at 19:20
        (30, 30, "10:00", "18:30"),
        (90, 30, "10:00", "17:30"),
        (45, 45, "10:30", "18:00"),  # the 45-minute grid is anchored at midnight
        (540, 60, "10:00", "10:00"),  # a nine-hour service fills the day exactly
    ],
)
def test_first_slot_is_at_opening_and_last_ends_by_closing(duration, grid, first, last):
    slots = slots_on(TUESDAY, ServiceTiming(duration, grid_minutes=grid))

    starts = local_starts(slots)
    assert (starts[0], starts[-1]) == (first, last)
    assert slots[-1].end <= at(TUESDAY, "19:00")


def test_service_longer_than_the_opening_hours_gets_no_slot():
    assert slots_on(TUESDAY, ServiceTiming(duration_minutes=541, grid_minutes=1)) == []


def test_slot_may_not_end_after_closing():
    starts = local_starts(slots_on(TUESDAY, ServiceTiming(duration_minutes=50)))

    assert "18:00" in starts
    assert "18:30" not in starts


def test_grid_is_anchored_at_local_midnight():
    starts = local_starts(slots_on(TUESDAY, ServiceTiming(duration_minutes=45, grid_minutes=45)))

    assert starts[:4] == ["10:30", "11:15", "12:00", "12:45"]


def test_slot_ends_after_its_duration_without_the_buffer():
    service = ServiceTiming(duration_minutes=50, buffer_minutes=15)

    first = slots_on(TUESDAY, service)[0]

    assert first == Slot(at(TUESDAY, "10:00"), at(TUESDAY, "10:50"), practitioner_id=1)


def test_slots_are_expressed_in_the_clinic_time_zone():
    # `now` and the busy times arrive in UTC; the answer must still be in Kyiv time.
    busy = [Interval(datetime(2026, 12, 1, 12, tzinfo=UTC), datetime(2026, 12, 1, 13, tzinfo=UTC))]

    slot = slots_on(TUESDAY, calendars=[create_calendar(busy=busy)], now=LAST_WEEK)[0]

    assert slot.start.tzinfo == KYIV
    assert slot.end.tzinfo == KYIV
    assert slot.start.isoformat() == "2026-12-01T10:00:00+02:00"


# --- Working periods -------------------------------------------------------------


def test_breaks_between_working_periods_are_not_bookable():
    calendar = create_calendar(periods=working(("10:00", "13:00"), ("14:00", "19:00")))

    starts = local_starts(slots_on(TUESDAY, calendars=[calendar]))

    assert "12:00" in starts  # ends 13:00, just before the break
    assert "12:30" not in starts  # would run into the break
    assert "13:00" not in starts
    assert "13:30" not in starts
    assert "14:00" in starts


def test_working_periods_that_touch_are_one_continuous_stretch():
    # Staff who enter 10:00-13:00 and 13:00-19:00 mean a day without a break.
    calendar = create_calendar(periods=working(("10:00", "13:00"), ("13:00", "19:00")))

    starts = local_starts(slots_on(TUESDAY, calendars=[calendar]))

    assert "12:00" in starts
    assert "12:30" in starts
    assert "13:00" in starts


def test_overlapping_working_periods_offer_each_slot_once():
    calendar = create_calendar(periods=working(("10:00", "14:00"), ("12:00", "16:00")))

    starts = local_starts(slots_on(TUESDAY, calendars=[calendar]))

    assert len(starts) == len(set(starts))
    every_half_hour = [f"{hour}:{minutes}" for hour in range(10, 15) for minutes in ("00", "30")]
    assert starts == every_half_hour + ["15:00"]  # 15:00-16:00 fits the second period


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (("08:00", "21:00"), (17, "10:00", "18:00")),
        (("09:30", "11:00"), (1, "10:00", "10:00")),
        (("18:00", "22:00"), (1, "18:00", "18:00")),
    ],
)
def test_working_periods_outside_opening_hours_are_clipped(period, expected):
    calendar = create_calendar(periods=working(period))

    starts = local_starts(slots_on(TUESDAY, calendars=[calendar]))

    assert (len(starts), starts[0], starts[-1]) == expected


@pytest.mark.parametrize("period", [("07:00", "10:00"), ("19:00", "21:00"), ("18:30", "21:00")])
def test_working_period_without_room_inside_opening_hours_gives_nothing(period):
    calendar = create_calendar(periods=working(period))

    assert slots_on(TUESDAY, calendars=[calendar]) == []


def test_working_period_of_another_weekday_gives_nothing():
    calendar = create_calendar(periods=working(("10:00", "19:00"), weekdays=[0]))

    assert slots_on(TUESDAY, calendars=[calendar]) == []
    assert slots_on(MONDAY, calendars=[calendar]) != []


# --- Busy times and closures -------------------------------------------------------


def test_clinic_closure_removes_slots_for_everyone():
    calendars = [create_calendar(1), create_calendar(2)]

    slots = slots_on(TUESDAY, calendars=calendars, closures=[during(TUESDAY, "10:00", "12:00")])

    assert {slot.start for slot in slots if slot.start < at(TUESDAY, "12:00")} == set()
    assert {slot.practitioner_id for slot in slots if slot.start == at(TUESDAY, "12:00")} == {1, 2}


def test_busy_interval_blocks_only_its_practitioner():
    calendars = [create_calendar(1, busy=[during(TUESDAY, "10:00", "12:00")]), create_calendar(2)]

    slots = slots_on(TUESDAY, calendars=calendars)

    ten_oclock = [slot.practitioner_id for slot in slots if slot.start == at(TUESDAY, "10:00")]
    assert ten_oclock == [2]


@pytest.mark.parametrize(
    ("start", "is_free"),
    [
        ("09:30", False),  # before opening anyway
        ("10:00", True),  # ends 11:00, as the appointment begins
        ("10:30", False),
        ("11:00", False),
        ("11:30", False),
        ("12:00", False),
        ("12:30", True),  # begins as the appointment ends
        ("13:00", True),
    ],
)
def test_existing_appointment_blocks_every_overlapping_slot(start, is_free):
    calendar = create_calendar(busy=[during(TUESDAY, "11:00", "12:30")])  # 90 minutes

    starts = local_starts(slots_on(TUESDAY, calendars=[calendar]))

    assert (start in starts) is is_free


@pytest.mark.parametrize(
    ("buffer_minutes", "ten_is_free"),
    [(0, True), (15, False)],
)
def test_buffer_keeps_time_free_after_the_appointment(buffer_minutes, ten_is_free):
    calendar = create_calendar(busy=[during(TUESDAY, "11:00", "12:00")])
    service = ServiceTiming(duration_minutes=60, buffer_minutes=buffer_minutes)

    starts = local_starts(slots_on(TUESDAY, service, calendars=[calendar]))

    assert ("10:00" in starts) is ten_is_free


def test_buffer_may_overlap_a_clinic_closure():
    # The buffer is the practitioner's own time; a closure only has to miss
    # the appointment itself.
    service = ServiceTiming(duration_minutes=60, buffer_minutes=15)

    starts = local_starts(slots_on(TUESDAY, service, closures=[during(TUESDAY, "11:00", "12:00")]))

    assert "10:00" in starts
    assert "10:30" not in starts


@pytest.mark.parametrize("kind", ["busy", "closure"])
def test_interval_ending_at_slot_start_does_not_block_it(kind):
    blocked = [during(TUESDAY, "10:00", "11:00")]
    if kind == "busy":
        slots = slots_on(TUESDAY, calendars=[create_calendar(busy=blocked)])
    else:
        slots = slots_on(TUESDAY, closures=blocked)

    assert local_starts(slots)[0] == "11:00"


def test_buffer_reaching_past_midnight_meets_the_next_days_appointment():
    late_clinic = ClinicRules(closes=time(23, 30))
    wednesday = TUESDAY + timedelta(days=1)
    calendar = create_calendar(
        periods=working(("10:00", "23:30")), busy=[during(wednesday, "00:00", "01:00")]
    )
    service = ServiceTiming(duration_minutes=30, buffer_minutes=60)

    starts = local_starts(slots_on(TUESDAY, service, calendars=[calendar], rules=late_clinic))

    assert "23:00" not in starts  # its buffer would run into 00:00-01:00
    assert starts[-1] == "22:30"  # its buffer ends at midnight, as the appointment begins


def test_busy_times_in_another_time_zone_compare_as_instants():
    # 09:00-10:00 UTC is 11:00-12:00 in Kyiv in December.
    busy = Interval(
        datetime(2026, 12, 1, 9, 0, tzinfo=UTC), datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    )

    starts = local_starts(slots_on(TUESDAY, calendars=[create_calendar(busy=[busy])]))

    assert "10:00" in starts
    assert {"10:30", "11:00", "11:30"}.isdisjoint(starts)
    assert "12:00" in starts


def test_unsorted_and_overlapping_busy_intervals_all_count():
    busy = [
        during(TUESDAY, "15:00", "16:00"),
        during(TUESDAY, "11:00", "11:30"),
        during(TUESDAY, "10:45", "12:15"),  # swallows the one above
        during(TUESDAY, "14:00", "14:00"),  # empty: blocks nothing
        during(TUESDAY, "12:00", "13:00"),  # overlaps the long one
    ]

    starts = local_starts(slots_on(TUESDAY, calendars=[create_calendar(busy=busy)]))

    assert starts == ["13:00", "13:30", "14:00", "16:00", "16:30", "17:00", "17:30", "18:00"]


def test_busy_interval_spanning_several_days_blocks_them_all():
    busy = [Interval(at(MONDAY, "15:00"), at(date(2026, 12, 3), "12:00"))]
    calendar = create_calendar(busy=busy)

    slots = free_slots([calendar], ONE_HOUR, MONDAY, FRIDAY, now=LAST_WEEK, tz=KYIV)

    days = {slot.start.date() for slot in slots}
    assert days == {MONDAY, date(2026, 12, 3), FRIDAY}
    assert local_starts(s for s in slots if s.start.date() == date(2026, 12, 3))[0] == "12:00"


# --- now, minimum notice and horizon ---------------------------------------------------


@pytest.mark.parametrize(
    ("now", "rules", "first"),
    [
        (NOW, ClinicRules(), "11:00"),  # 09:00 + 2 h, exactly on the boundary
        (NOW + timedelta(microseconds=1), ClinicRules(), "11:30"),
        (at(MONDAY, "10:01"), ClinicRules(), "12:30"),  # 12:01 is off the grid
        (at(MONDAY, "10:00"), ClinicRules(min_notice=timedelta(0)), "10:00"),
        (at(MONDAY, "10:00"), ClinicRules(min_notice=timedelta(minutes=1)), "10:30"),
    ],
)
def test_minimum_notice_sets_the_first_slot(now, rules, first):
    assert local_starts(slots_on(MONDAY, now=now, rules=rules))[0] == first


def test_nothing_in_the_past():
    tuesday_morning = at(TUESDAY, "09:00")

    assert slots_on(MONDAY, now=tuesday_morning) == []
    slots = free_slots([create_calendar()], ONE_HOUR, MONDAY, TUESDAY, now=tuesday_morning, tz=KYIV)
    assert slots[0].start == at(TUESDAY, "11:00")


def test_nothing_before_now_even_without_minimum_notice():
    slots = slots_on(MONDAY, now=at(MONDAY, "15:10"), rules=ClinicRules(min_notice=timedelta(0)))

    assert local_starts(slots)[0] == "15:30"


@pytest.mark.parametrize(
    ("now", "rules", "last_included", "first_excluded"),
    [
        # Sunday 09:00 Kyiv: day 60 is Thursday 2027-01-28, day 61 Friday.
        (SUNDAY_MORNING, ClinicRules(), date(2027, 1, 28), date(2027, 1, 29)),
        # 22:30 UTC on Sunday is already Monday 00:30 in Kyiv: the local date counts.
        (SUNDAY_NIGHT_UTC, ClinicRules(), date(2027, 1, 29), date(2027, 2, 1)),
        (NOW, ClinicRules(horizon_days=3), date(2026, 12, 3), FRIDAY),
        (NOW, ClinicRules(horizon_days=0, min_notice=timedelta(0)), MONDAY, TUESDAY),
    ],
)
def test_horizon_includes_its_last_day_and_excludes_the_next(
    now, rules, last_included, first_excluded
):
    calendars = [create_calendar()]

    slots = free_slots(
        calendars, ONE_HOUR, last_included, first_excluded, now=now, tz=KYIV, rules=rules
    )

    assert slots
    assert {slot.start.date() for slot in slots} == {last_included}


@pytest.mark.parametrize(
    ("first_day", "last_day"),
    [
        (date(2030, 1, 1), date(2030, 12, 31)),  # years ahead
        (date(1, 1, 1), date(2026, 11, 29)),  # all of history up to yesterday
    ],
)
def test_days_far_outside_the_bookable_range_give_nothing(first_day, last_day):
    assert free_slots([create_calendar()], ONE_HOUR, first_day, last_day, now=NOW, tz=KYIV) == []


# --- Daylight saving time -----------------------------------------------------------


DST_WEEKS = [
    # (monday, friday, Kyiv's UTC offset that week)
    (date(2027, 3, 22), date(2027, 3, 26), "+02:00"),  # the week before clocks go forward
    (date(2027, 3, 29), date(2027, 4, 2), "+03:00"),  # the week after
    (date(2027, 10, 25), date(2027, 10, 29), "+03:00"),  # the week before clocks go back
    (date(2027, 11, 1), date(2027, 11, 5), "+02:00"),  # the week after
]
DST_DAYS = [
    pytest.param(day, offset, id=day.isoformat())
    for monday, friday, offset in DST_WEEKS
    for day in days_between(monday, friday)
]


@pytest.mark.parametrize(("day", "offset"), DST_DAYS)
def test_dst_weeks_keep_local_opening_hours(day, offset):
    a_fortnight_before = at(day - timedelta(days=14), "09:00")

    slots = slots_on(day, now=a_fortnight_before)

    first, last = slots[0], slots[-1]
    assert first.start.isoformat() == f"{day}T10:00:00{offset}"
    assert last.start.isoformat() == f"{day}T18:00:00{offset}"
    assert last.end.isoformat() == f"{day}T19:00:00{offset}"
    assert len(slots) == 17  # 10:00, 10:30, ... 18:00


@pytest.mark.parametrize(
    ("monday", "friday"),
    [(date(2027, 3, 22), date(2027, 4, 2)), (date(2027, 10, 25), date(2027, 11, 5))],
    ids=["spring", "autumn"],
)
def test_range_across_a_dst_change_keeps_local_hours_every_day(monday, friday):
    a_week_before = at(monday, "09:00") - timedelta(days=7)

    slots = free_slots([create_calendar()], ONE_HOUR, monday, friday, now=a_week_before, tz=KYIV)

    for day in {slot.start.date() for slot in slots}:
        that_day = [slot for slot in slots if slot.start.date() == day]
        assert local_starts(that_day)[0] == "10:00"
        assert that_day[-1].end.strftime("%H:%M") == "19:00"
    assert len({slot.start.date() for slot in slots}) == 10  # two working weeks, no weekend


# A clinic open every day, almost round the clock, to reach the hours when
# the clocks actually change (03:00-04:00 on a Sunday).
ALWAYS_OPEN = ClinicRules(
    open_weekdays=frozenset(EVERY_DAY), opens=time(0, 0), closes=time(23, 30), horizon_days=365
)
EARLY_2027 = datetime(2027, 1, 4, 7, 0, tzinfo=UTC)


def test_wall_clock_times_skipped_by_dst_are_not_offered():
    spring_forward = date(2027, 3, 28)  # 03:00 becomes 04:00 in Kyiv
    calendar = create_calendar(periods=working(("00:00", "23:30")))

    slots = slots_on(spring_forward, calendars=[calendar], now=EARLY_2027, rules=ALWAYS_OPEN)

    starts = local_starts(slots)
    assert "02:30" in starts and "04:00" in starts
    assert "03:00" not in starts and "03:30" not in starts
    half_past_two = slots[starts.index("02:30")]
    assert half_past_two.end.isoformat() == "2027-03-28T04:30:00+03:00"  # one real hour later


@pytest.mark.parametrize("day", [date(2027, 3, 28), date(2027, 10, 31)], ids=["spring", "autumn"])
def test_every_slot_lasts_its_real_duration_on_dst_days(day):
    calendar = create_calendar(periods=working(("00:00", "23:30")))

    slots = slots_on(day, calendars=[calendar], now=EARLY_2027, rules=ALWAYS_OPEN)

    starts = [slot.start.astimezone(UTC) for slot in slots]
    ends = [slot.end.astimezone(UTC) for slot in slots]
    assert starts == sorted(set(starts))  # in order of real time, none twice
    assert {end - start for start, end in zip(starts, ends)} == {timedelta(hours=1)}
    assert all(slot.end <= datetime.combine(day, time(23, 30), tzinfo=KYIV) for slot in slots)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # Clocks jump 03:00 -> 04:00: two real hours from 01:30 end at 04:30.
        (date(2027, 3, 28), ["00:00", "00:30", "01:00", "01:30"]),
        # Clocks fall back 04:00 -> 03:00: two real hours from 03:30 end at 04:30.
        (
            date(2027, 10, 31),
            ["00:00", "00:30", "01:00", "01:30", "02:00", "02:30", "03:00", "03:30"],
        ),
    ],
    ids=["spring", "autumn"],
)
def test_appointment_across_a_dst_change_must_fit_its_period_in_real_time(day, expected):
    calendar = create_calendar(periods=working(("00:00", "04:30")))
    two_hours = ServiceTiming(duration_minutes=120)

    slots = slots_on(day, two_hours, calendars=[calendar], now=EARLY_2027, rules=ALWAYS_OPEN)

    assert local_starts(slots) == expected
    assert slots[-1].end.strftime("%H:%M") == "04:30"


@pytest.mark.parametrize("grid", [30, 45])
@pytest.mark.parametrize("day", [date(2027, 3, 28), date(2027, 10, 31)], ids=["spring", "autumn"])
def test_dst_day_slots_stay_on_the_local_grid(day, grid):
    calendar = create_calendar(periods=working(("00:00", "23:30")))
    service = ServiceTiming(duration_minutes=60, grid_minutes=grid)

    slots = slots_on(day, service, calendars=[calendar], now=EARLY_2027, rules=ALWAYS_OPEN)

    for slot in slots:
        assert check_start(slot.start, service, now=EARLY_2027, tz=KYIV, rules=ALWAYS_OPEN) is None


# --- Order ---------------------------------------------------------------------------


def test_slots_are_sorted_by_start_then_practitioner():
    calendars = [
        create_calendar(3),
        create_calendar(1, busy=[during(TUESDAY, "10:00", "11:00")]),
        create_calendar(2),
    ]

    slots = free_slots(calendars, ONE_HOUR, MONDAY, TUESDAY, now=LAST_WEEK, tz=KYIV)

    assert slots == sorted(slots, key=lambda slot: (slot.start, slot.practitioner_id))
    tuesday = [slot for slot in slots if slot.start.date() == TUESDAY]
    assert [(s.start.strftime("%H:%M"), s.practitioner_id) for s in tuesday[:5]] == [
        ("10:00", 2),
        ("10:00", 3),
        ("10:30", 2),
        ("10:30", 3),
        ("11:00", 1),
    ]


def test_calendars_may_be_any_iterable():
    calendars = (create_calendar(n) for n in (2, 1))

    slots = slots_on(TUESDAY, calendars=calendars)

    assert [slot.practitioner_id for slot in slots[:2]] == [1, 2]


# --- Nonsense input ------------------------------------------------------------------


def refused(service=ONE_HOUR, first_day=MONDAY, last_day=TUESDAY, now=NOW, busy=(), *, id):
    return pytest.param(service, first_day, last_day, now, busy, id=id)


NAIVE_BUSY = Interval(datetime(2026, 12, 1, 11, 0), datetime(2026, 12, 1, 12, 0))


@pytest.mark.parametrize(
    ("service", "first_day", "last_day", "now", "busy"),
    [
        refused(first_day=TUESDAY, last_day=MONDAY, id="first-day-after-last-day"),
        refused(ServiceTiming(0), id="zero-duration"),
        refused(ServiceTiming(-30), id="negative-duration"),
        refused(ServiceTiming(60, grid_minutes=0), id="zero-grid"),
        refused(ServiceTiming(60, grid_minutes=-15), id="negative-grid"),
        refused(ServiceTiming(60, buffer_minutes=-5), id="negative-buffer"),
        refused(now=datetime(2026, 11, 30, 9, 0), id="naive-now"),
        refused(busy=[NAIVE_BUSY], id="naive-busy-interval"),
    ],
)
def test_free_slots_refuses_nonsense(service, first_day, last_day, now, busy):
    with pytest.raises(ValueError):
        free_slots([create_calendar(busy=busy)], service, first_day, last_day, now=now, tz=KYIV)


# --- check_start -----------------------------------------------------------------------

FIFTY_MINUTES = ServiceTiming(duration_minutes=50)
GRID_45 = ServiceTiming(duration_minutes=45, grid_minutes=45)
GRID_1 = ServiceTiming(duration_minutes=60, grid_minutes=1)
NO_NOTICE = ClinicRules(min_notice=timedelta(0))
LATE_CLOSING = ClinicRules(opens=time(0, 0), closes=time(23, 59))


def case(start, expected, service=ONE_HOUR, now=NOW, rules=ClinicRules(), *, id):
    """One row of the check_start table; NOW is Monday 09:00 in Kyiv."""
    return pytest.param(start, service, now, rules, expected, id=id)


@pytest.mark.parametrize(
    ("start", "service", "now", "rules", "expected"),
    [
        case(at(TUESDAY, "10:00"), None, id="ordinary-start"),
        # naive_time
        case(datetime(2026, 12, 1, 10, 0), "naive_time", id="naive"),
        # in_past: exactly now is not in the past
        case(at(MONDAY, "10:00"), None, now=at(MONDAY, "10:00"), rules=NO_NOTICE, id="now"),
        case(at(MONDAY, "10:00"), "in_past", now=at(MONDAY, "10:01"), rules=NO_NOTICE,
             id="a-minute-ago"),
        case(at(date(2026, 11, 27), "12:00"), "in_past", id="last-friday"),
        # weekend
        case(at(FRIDAY, "10:00"), None, id="friday"),
        case(at(SATURDAY, "10:00"), "weekend", id="saturday"),
        case(at(SUNDAY, "10:00"), "weekend", id="sunday"),
        # outside_hours
        case(at(TUESDAY, "09:30"), "outside_hours", id="before-opening"),
        case(at(TUESDAY, "18:00"), None, id="ends-at-closing"),
        case(at(TUESDAY, "18:30"), "outside_hours", id="ends-after-closing"),
        case(at(TUESDAY, "18:30"), "outside_hours", FIFTY_MINUTES, id="ends-at-19:20"),
        case(at(TUESDAY, "19:00"), "outside_hours", id="starts-at-closing"),
        case(at(TUESDAY, "23:30"), "outside_hours", rules=LATE_CLOSING, id="ends-next-day"),
        # off_grid
        case(at(TUESDAY, "10:15"), "off_grid", id="quarter-past"),
        case(at(TUESDAY, "10:00") + timedelta(seconds=30), "off_grid", id="seconds"),
        case(at(TUESDAY, "10:00") + timedelta(microseconds=1), "off_grid", id="microseconds"),
        case(at(TUESDAY, "10:30"), None, GRID_45, id="grid-45-at-10:30"),
        case(at(TUESDAY, "10:00"), "off_grid", GRID_45, id="grid-45-at-10:00"),
        # too_soon: the earliest start is 11:00 (09:00 + 2 hours)
        case(at(MONDAY, "11:00"), None, id="exactly-min-notice"),
        case(at(MONDAY, "10:59"), "too_soon", GRID_1, id="a-minute-short"),
        case(at(MONDAY, "11:00"), "too_soon", now=NOW + timedelta(minutes=1),
             id="asked-a-minute-later"),
        case(at(MONDAY, "10:30"), "too_soon", id="half-an-hour-short"),
        # beyond_horizon: from Sunday morning, day 60 is Thursday 2027-01-28
        case(at(date(2027, 1, 28), "18:00"), None, now=SUNDAY_MORNING, id="horizon-day"),
        case(at(date(2027, 1, 29), "10:00"), "beyond_horizon", now=SUNDAY_MORNING,
             id="day-after-horizon"),
        case(at(date(2027, 1, 29), "10:00"), None, now=SUNDAY_NIGHT_UTC,
             id="horizon-counts-from-the-local-date"),
    ],
)
def test_check_start_reports_the_broken_rule(start, service, now, rules, expected):
    assert check_start(start, service, now=now, tz=KYIV, rules=rules) == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (datetime(2026, 12, 1, 8, 0, tzinfo=UTC), None),  # 10:00 in Kyiv
        (datetime(2026, 12, 1, 7, 30, tzinfo=UTC), "outside_hours"),  # 09:30 in Kyiv
        (datetime(2026, 12, 1, 3, 0, tzinfo=timezone(timedelta(hours=-5))), None),  # 10:00
        (datetime(2026, 12, 5, 7, 0, tzinfo=UTC), "weekend"),  # Saturday 09:00 in Kyiv
    ],
)
def test_check_start_reads_any_time_zone_as_clinic_local_time(start, expected):
    assert check_start(start, ONE_HOUR, now=NOW, tz=KYIV) == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        pytest.param(datetime(2026, 11, 28, 9, 15), "naive_time", id="naive-beats-all"),
        pytest.param(at(date(2026, 11, 28), "09:15"), "in_past", id="past-beats-weekend"),
        pytest.param(at(SATURDAY, "09:15"), "weekend", id="weekend-beats-hours"),
        pytest.param(at(MONDAY, "09:15"), "outside_hours", id="hours-beat-grid"),
        pytest.param(at(MONDAY, "10:15"), "off_grid", id="grid-beats-notice"),
        pytest.param(at(date(2027, 3, 1), "10:15"), "off_grid", id="grid-beats-horizon"),
        pytest.param(at(date(2027, 3, 1), "10:00"), "beyond_horizon", id="horizon-last"),
    ],
)
def test_check_start_checks_rules_in_the_documented_order(start, expected):
    assert check_start(start, ONE_HOUR, now=NOW, tz=KYIV) == expected


def test_check_start_checks_notice_before_horizon():
    # Tuesday 10:00 is both beyond a zero-day horizon and inside two days' notice.
    rules = ClinicRules(horizon_days=0, min_notice=timedelta(days=2))

    assert check_start(at(TUESDAY, "10:00"), ONE_HOUR, now=NOW, tz=KYIV, rules=rules) == "too_soon"


@pytest.mark.parametrize(
    ("service", "now"),
    [
        pytest.param(ONE_HOUR, datetime(2026, 11, 30, 9, 0), id="naive-now"),
        pytest.param(ServiceTiming(0), NOW, id="zero-duration"),
        pytest.param(ServiceTiming(60, grid_minutes=0), NOW, id="zero-grid"),
    ],
)
def test_check_start_refuses_nonsense(service, now):
    with pytest.raises(ValueError):
        check_start(at(TUESDAY, "10:00"), service, now=now, tz=KYIV)


# --- week_start --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (MONDAY, MONDAY),
        (TUESDAY, MONDAY),
        (SUNDAY, MONDAY),
        (date(2027, 1, 1), date(2026, 12, 28)),  # across the new year
        (date(2027, 3, 28), date(2027, 3, 22)),  # the DST Sunday belongs to its week
    ],
)
def test_week_start_is_the_monday_of_that_week(day, monday):
    assert week_start(day) == monday


# --- free_slots and check_start agree -------------------------------------------------------


def random_calendar(rng: random.Random, practitioner_id: int, first_day: date, last_day: date):
    periods = []
    for weekday in EVERY_DAY:
        for _ in range(rng.randint(0, 3)):
            start = rng.randrange(7 * 60, 20 * 60, 15)
            end = start + rng.randrange(15, 8 * 60, 15)
            end = min(end, 23 * 60)
            periods.append(
                WorkingPeriod(weekday, time(start // 60, start % 60), time(end // 60, end % 60))
            )
    busy = [random_interval(rng, first_day, last_day) for _ in range(rng.randint(0, 40))]
    return PractitionerCalendar(practitioner_id, tuple(periods), tuple(busy))


def random_interval(rng: random.Random, first_day: date, last_day: date) -> Interval:
    day = first_day + timedelta(days=rng.randint(-1, (last_day - first_day).days + 1))
    start = at(day, "08:00") + timedelta(minutes=rng.randrange(0, 12 * 60, 5))
    end = start + timedelta(minutes=rng.randrange(0, 150, 5))
    # Some arrive in UTC, as they would from the database.
    if rng.random() < 0.5:
        start, end = start.astimezone(UTC), end.astimezone(UTC)
    return Interval(start, end)


def brute_force_slots(calendars, service, first_day, last_day, now, closures):
    """The rules read literally: try every grid start of every day, ask
    check_start, then check every minute against the working periods and busy intervals."""
    duration = timedelta(minutes=service.duration_minutes)
    buffer = timedelta(minutes=service.buffer_minutes)
    found = set()
    for calendar in calendars:
        for day in days_between(first_day, last_day):
            for minute in range(0, 24 * 60, service.grid_minutes):
                start = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=KYIV)
                end = start + duration  # no DST change in these weeks
                if check_start(start, service, now=now, tz=KYIV) is not None:
                    continue
                # Every minute of the appointment inside some working period (touching
                # periods join into one stretch).
                in_working_time = all(
                    any(p.weekday == day.weekday() and p.start <= moment.time() < p.end
                        for p in calendar.working_periods)
                    for moment in (start + timedelta(minutes=m)
                                   for m in range(service.duration_minutes))
                )
                # Half-open overlap; an empty interval (start == end) blocks nothing.
                closed = any(c.start < c.end and c.start < end and start < c.end for c in closures)
                busy = any(
                    b.start < b.end and b.start < end + buffer and start < b.end
                    for b in calendar.busy
                )
                if in_working_time and not closed and not busy:
                    found.add((start, calendar.practitioner_id))
    return found


@pytest.mark.parametrize("seed", range(8))
def test_every_free_slot_passes_check_start_and_matches_the_rules(seed):
    rng = random.Random(seed)
    first_day = MONDAY + timedelta(days=rng.randint(0, 3))
    last_day = first_day + timedelta(days=rng.randint(0, 9))
    now = at(MONDAY, "07:00") + timedelta(minutes=rng.randrange(0, 3 * 24 * 60))
    service = ServiceTiming(
        duration_minutes=rng.choice([15, 30, 45, 50, 60, 90]),
        grid_minutes=rng.choice([15, 30, 45, 60]),
        buffer_minutes=rng.choice([0, 10, 15]),
    )
    calendars = [random_calendar(rng, pid, first_day, last_day) for pid in range(1, 4)]
    closures = [random_interval(rng, first_day, last_day) for _ in range(rng.randint(0, 2))]

    slots = free_slots(calendars, service, first_day, last_day, now=now, tz=KYIV, closures=closures)

    for slot in slots:
        assert check_start(slot.start, service, now=now, tz=KYIV) is None
        assert first_day <= slot.start.date() <= last_day
    assert slots == sorted(slots, key=lambda slot: (slot.start, slot.practitioner_id))
    assert {(slot.start, slot.practitioner_id) for slot in slots} == brute_force_slots(
        calendars, service, first_day, last_day, now, closures
    )
    assert len(slots) == len({(slot.start, slot.practitioner_id) for slot in slots})
