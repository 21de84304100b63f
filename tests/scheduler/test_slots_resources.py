"""Services that need a resource (an infusion chair) and keep it during observation."""
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from booking.scheduler.slots import (
    ClinicRules,
    Interval,
    PractitionerCalendar,
    ResourceCalendar,
    ServiceTiming,
    WorkingPeriod,
    check_start,
    free_slots,
)

KYIV = ZoneInfo("Europe/Kyiv")
NOW = datetime(2026, 12, 7, 7, 0, tzinfo=timezone.utc)  # Monday 09:00 Kyiv
TUESDAY = date(2026, 12, 8)
WEEKDAYS = tuple(WorkingPeriod(d, time(10), time(19)) for d in range(5))
INFUSION = ServiceTiming(duration_minutes=60, grid_minutes=60, observation_minutes=60)


def at(hour, minute=0):
    return datetime.combine(TUESDAY, time(hour, minute), tzinfo=KYIV)


def starts(slots):
    return [s.start.astimezone(KYIV).strftime("%H:%M") for s in slots]


def doctor(pid=1, busy=()):
    return PractitionerCalendar(pid, WEEKDAYS, tuple(busy))


def test_a_slot_needs_a_free_chair_for_the_whole_stay():
    chair = ResourceCalendar(1, (Interval(at(11), at(13)),))  # someone in it 11:00-13:00
    slots = free_slots([doctor()], INFUSION, TUESDAY, TUESDAY, now=NOW, tz=KYIV, resources=[chair])
    # 10:00 would keep the chair until 12:00: refused; 13:00 is the first that fits.
    assert starts(slots)[:2] == ["13:00", "14:00"]
    assert all(s.resource_id == 1 for s in slots)


def test_the_lowest_free_chair_is_offered():
    chairs = [ResourceCalendar(2), ResourceCalendar(1, (Interval(at(10), at(12)),))]
    slots = free_slots([doctor()], INFUSION, TUESDAY, TUESDAY, now=NOW, tz=KYIV, resources=chairs)
    assert (starts(slots)[0], slots[0].resource_id) == ("10:00", 2)
    assert [s.resource_id for s in slots if s.start == at(12)] == [1]


def test_two_chairs_three_overlapping_infusions():
    # Two practitioners each start an infusion at 10:00 in chairs 1 and 2 (busy 10-12).
    chairs = [ResourceCalendar(1, (Interval(at(10), at(12)),)),
              ResourceCalendar(2, (Interval(at(10), at(12)),))]
    third = free_slots([doctor(3)], INFUSION, TUESDAY, TUESDAY, now=NOW, tz=KYIV,
                       resources=chairs)
    assert "10:00" not in starts(third) and "11:00" not in starts(third)
    assert starts(third)[0] == "12:00"


def test_the_practitioner_is_free_again_during_observation():
    # The doctor's own 10:00 infusion ends their part at 11:00; the patient stays until 12:00.
    busy_doctor = doctor(busy=[Interval(at(10), at(11))])
    chairs = [ResourceCalendar(1, (Interval(at(10), at(12)),)), ResourceCalendar(2)]
    slots = free_slots([busy_doctor], INFUSION, TUESDAY, TUESDAY, now=NOW, tz=KYIV,
                       resources=chairs)
    assert (starts(slots)[0], slots[0].resource_id) == ("11:00", 2)


def test_no_chairs_means_no_slots():
    assert free_slots([doctor()], INFUSION, TUESDAY, TUESDAY, now=NOW, tz=KYIV, resources=[]) == []


def test_the_stay_with_observation_must_end_by_closing():
    long_stay = ServiceTiming(duration_minutes=120, grid_minutes=60, observation_minutes=60)
    slots = free_slots([doctor()], long_stay, TUESDAY, TUESDAY, now=NOW, tz=KYIV,
                       resources=[ResourceCalendar(1)])
    assert starts(slots)[-1] == "16:00"  # 16:00-18:00 infusion, observation until 19:00
    assert check_start(at(16), long_stay, now=NOW, tz=KYIV, rules=ClinicRules()) is None
    assert check_start(at(17), long_stay, now=NOW, tz=KYIV, rules=ClinicRules()) == "outside_hours"


def test_services_without_resources_ignore_chairs():
    plain = ServiceTiming(duration_minutes=60)
    assert starts(free_slots([doctor()], plain, TUESDAY, TUESDAY, now=NOW, tz=KYIV))[0] == "10:00"
