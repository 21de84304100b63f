"""When each kind of schedule falls due (pure: the clock and the zone are parameters)."""
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from booking.worker.schedule import Daily, Every, is_due, next_minute, parse

KYIV = ZoneInfo("Europe/Kyiv")


def kyiv(*args):
    return datetime(*args, tzinfo=KYIV).astimezone(timezone.utc)


def runs(schedule, start, minutes):
    """The instants a worker looking every minute from `start` would run the job."""
    ran, last = [], None
    for step in range(minutes):
        now = start + timedelta(minutes=step, seconds=2)
        if is_due(schedule, last, now, KYIV):
            ran.append(now)
            last = now
    return ran


def test_a_job_that_never_ran_is_due_at_once():
    assert is_due(Every(5), None, kyiv(2026, 12, 7, 10, 3), KYIV)
    assert is_due(Daily(time(2, 30)), None, kyiv(2026, 12, 7, 10, 3), KYIV)


def test_every_minute_runs_once_in_each_minute():
    ran = runs(Every(1), kyiv(2026, 12, 7, 10, 0), 10)
    assert len(ran) == 10
    assert not is_due(Every(1), kyiv(2026, 12, 7, 10, 0, 2), kyiv(2026, 12, 7, 10, 0, 59), KYIV)


def test_every_five_minutes_runs_on_the_clock():
    ran = runs(Every(5), kyiv(2026, 12, 7, 10, 2), 20)
    # The first look (never ran), then :05, :10, :15 and :20.
    assert [moment.astimezone(KYIV).strftime("%H:%M") for moment in ran] == [
        "10:02", "10:05", "10:10", "10:15", "10:20"]


def test_a_daily_job_waits_for_its_time_then_runs_once():
    last = kyiv(2026, 12, 6, 2, 30, 5)
    assert not is_due(Daily(time(2, 30)), last, kyiv(2026, 12, 7, 2, 29, 59), KYIV)
    assert is_due(Daily(time(2, 30)), last, kyiv(2026, 12, 7, 2, 30), KYIV)
    assert not is_due(Daily(time(2, 30)), kyiv(2026, 12, 7, 2, 30, 1), kyiv(2026, 12, 7, 23, 59),
                      KYIV)


def test_a_daily_run_missed_while_the_worker_was_down_happens_once_when_it_is_back():
    last = kyiv(2026, 12, 4, 2, 30)
    back = kyiv(2026, 12, 7, 11, 0)  # down from Friday to Monday morning
    assert is_due(Daily(time(2, 30)), last, back, KYIV)
    assert not is_due(Daily(time(2, 30)), back, back + timedelta(hours=12), KYIV)


@pytest.mark.parametrize(("first_day", "times"), [
    # Sunday 28 March 2027: 03:00 becomes 04:00 in Kyiv, so that night has no 03:30.
    ((2027, 3, 27), ["27 03:30", "28 04:30", "29 03:30"]),
    # Sunday 31 October 2027: 04:00 becomes 03:00, so 03:30 comes twice (the first counts).
    ((2027, 10, 30), ["30 03:30", "31 03:30", "01 03:30"]),
])
def test_a_daily_job_runs_once_a_day_across_the_clock_change(first_day, times):
    start = kyiv(*first_day, 0, 0)
    ran = runs(Daily(time(3, 30)), start, 3 * 24 * 60)
    # The first look (it never ran), then once on each of the three days.
    assert [moment.astimezone(KYIV).strftime("%d %H:%M") for moment in ran[1:]] == times


def test_settings_give_minutes_or_a_daily_time():
    assert parse(5) == Every(5)
    assert parse("06:15") == Daily(time(6, 15))
    for bad in ("6", "noon", 0, True, 2.5, "25:00"):
        with pytest.raises(ValueError):
            parse(bad)


def test_the_worker_looks_again_at_the_next_whole_minute():
    assert next_minute(kyiv(2026, 12, 7, 10, 0, 41)) == kyiv(2026, 12, 7, 10, 1)
