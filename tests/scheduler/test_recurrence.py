"""Recurring closures: every Friday 14:00-15:00 stays 14:00 local, also across DST."""
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from booking.extensions import db
from booking.models import Closure
from booking.scheduler import recurrence
from booking.scheduler import availability

KYIV = ZoneInfo("Europe/Kyiv")


def local(day, hour):
    return datetime.combine(day, time(hour), tzinfo=KYIV)


def test_weekly_occurrences_keep_local_time_across_the_october_change():
    found = recurrence.occurrences(
        local(date(2027, 10, 22), 14), local(date(2027, 10, 22), 15), "FREQ=WEEKLY;BYDAY=FR",
        window_start=local(date(2027, 10, 18), 0), window_end=local(date(2027, 11, 8), 0), tz=KYIV)
    assert [(s.date(), s.hour, s.utcoffset().total_seconds() / 3600) for s, _ in found] == [
        (date(2027, 10, 22), 14, 3.0), (date(2027, 10, 29), 14, 3.0), (date(2027, 11, 5), 14, 2.0)]


def test_occurrences_stop_at_the_until_date():
    found = recurrence.occurrences(
        local(date(2026, 12, 4), 14), local(date(2026, 12, 4), 15), "FREQ=WEEKLY",
        until=date(2026, 12, 11), window_start=local(date(2026, 11, 30), 0),
        window_end=local(date(2027, 1, 31), 0), tz=KYIV)
    assert [s.date() for s, _ in found] == [date(2026, 12, 4), date(2026, 12, 11)]


def test_an_occurrence_overlapping_the_window_start_is_included():
    found = recurrence.occurrences(
        local(date(2026, 12, 4), 14), local(date(2026, 12, 4), 16), "FREQ=DAILY",
        window_start=local(date(2026, 12, 5), 15), window_end=local(date(2026, 12, 5), 18), tz=KYIV)
    assert found == [(local(date(2026, 12, 5), 14), local(date(2026, 12, 5), 16))]


@pytest.mark.parametrize("rule", ["", "NOT A RULE", "FREQ=WEEKLY\nX-EVIL=1"])
def test_a_malformed_rule_is_refused(rule):
    with pytest.raises(ValueError):
        recurrence.parse_rule(rule, local(date(2026, 12, 4), 14))


def test_a_recurring_closure_removes_slots_every_week(create_service, create_practitioner):
    service = create_service(duration_minutes=60)
    practitioner = create_practitioner([service])
    db.session.add(Closure(starts_at=local(date(2026, 12, 11), 14),
                           ends_at=local(date(2026, 12, 11), 15), rrule="FREQ=WEEKLY;BYDAY=FR",
                           reason="Team meeting"))
    db.session.commit()
    for friday in (date(2026, 12, 11), date(2026, 12, 18), date(2027, 1, 8)):
        starts = [s.start.astimezone(KYIV).strftime("%H:%M")
                  for s in availability.find_slots(service, friday, friday, practitioner)]
        assert "13:30" not in starts and "14:00" not in starts and "14:30" not in starts
        assert "13:00" in starts and "15:00" in starts
    thursday = date(2026, 12, 17)
    assert "14:00" in [s.start.astimezone(KYIV).strftime("%H:%M")
                       for s in availability.find_slots(service, thursday, thursday, practitioner)]
