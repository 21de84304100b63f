"""The slot engine: which appointment starts can be booked, and why not.

This module is pure on purpose. It never reads the clock, never touches the
database and knows nothing about web requests: the caller passes ``now``,
the clinic time zone and plain values describing each practitioner's week,
and gets plain values back. That keeps the booking rules easy to test (a fixed
``now``, no clock tricks) and lets the booking service, the JSON API and the
staff calendar all share one answer to "what is free?".

A word on time zones. When two aware datetimes share the *same* tzinfo,
Python compares and subtracts them by their wall-clock fields and ignores
the UTC offset; ``local + timedelta`` is wall-clock arithmetic too. Across a
DST change that gives wrong answers. So this module keeps every instant in
UTC internally and uses the clinic zone only for questions that really are
about the wall clock: which day and weekday it is, where the grid falls, and
the opening hours.
"""
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_MIDNIGHT = time(0, 0)
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Interval:
    """A half-open stretch of time [start, end) between two aware datetimes.

    The datetimes may be in any zone: they are compared as instants.
    An interval whose end is not after its start is empty and blocks nothing.
    """

    start: datetime
    end: datetime


@dataclass(frozen=True)
class WorkingPeriod:
    """One stretch of a practitioner's weekly hours, in local wall-clock time."""

    weekday: int  # 0 = Monday ... 6 = Sunday
    start: time
    end: time


@dataclass(frozen=True)
class ClinicRules:
    """Rules that hold for everyone, whatever a practitioner's own hours say."""

    open_weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    opens: time = time(10, 0)
    closes: time = time(19, 0)
    min_notice: timedelta = timedelta(hours=2)
    horizon_days: int = 60


@dataclass(frozen=True)
class ServiceTiming:
    """How long a service takes and where its appointments may start."""

    duration_minutes: int
    grid_minutes: int = 30
    buffer_minutes: int = 0  # time kept free AFTER the appointment (cleaning, notes)
    # Time the patient stays after the clinician's part (observation after an infusion):
    # the resource (a chair) stays occupied, the practitioner is free again. The whole stay
    # must end by closing time.
    observation_minutes: int = 0


@dataclass(frozen=True)
class PractitionerCalendar:
    """What the engine needs to know about one practitioner."""

    practitioner_id: int
    working_periods: tuple[WorkingPeriod, ...]
    # Their appointments (each already extended by its own buffer)
    # and their own blocked periods.
    busy: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class ResourceCalendar:
    """A room or an infusion chair: when it is taken (appointments incl. observation)."""

    resource_id: int
    busy: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class Slot:
    """A bookable appointment: start and end in the clinic time zone.

    The end is start + duration; the service's buffer and observation are not part of it.
    resource_id is the free resource (lowest id) when the service needs one.
    """

    start: datetime
    end: datetime
    practitioner_id: int
    resource_id: int | None = None


# --- Public functions -------------------------------------------------------


def free_slots(
    calendars: Iterable[PractitionerCalendar],
    service: ServiceTiming,
    first_day: date,
    last_day: date,
    *,
    now: datetime,
    tz: ZoneInfo,
    rules: ClinicRules = ClinicRules(),
    closures: Iterable[Interval] = (),
    resources: Iterable[ResourceCalendar] | None = None,
) -> list[Slot]:
    """Every bookable slot whose LOCAL start date is in [first_day, last_day]
    (both inclusive), for every calendar, sorted by (start, practitioner_id).

    `resources`: None when the service needs no resource; otherwise the resources of the
    kind it needs, and a slot is offered only when one of them is free for the whole stay
    (duration + observation)."""
    if first_day > last_day:
        raise ValueError("first_day must not be after last_day")
    _check_service(service)
    earliest_start = _as_utc(now, "now") + rules.min_notice

    # Nothing before the minimum notice or beyond the horizon can be booked,
    # so skip those days instead of generating slots only to drop them.
    first_day = max(first_day, earliest_start.astimezone(tz).date())
    last_day = min(last_day, _last_bookable_day(now, tz, rules))
    if first_day > last_day:
        return []

    duration = timedelta(minutes=service.duration_minutes)
    buffer = timedelta(minutes=service.buffer_minutes)
    stay = duration + timedelta(minutes=service.observation_minutes)
    # Only busy times that can touch a slot of these days matter; keeping the
    # rest out makes the cost follow the asked range, not the whole diary.
    window = Interval(
        _wall_clock_to_utc(first_day, _MIDNIGHT, tz),
        _wall_clock_to_utc(_next_day(last_day), _MIDNIGHT, tz) + max(duration + buffer, stay),
    )
    closed = _Timeline(closures, window)
    resource_timelines = None
    if resources is not None:
        resource_timelines = [(r.resource_id, _Timeline(r.busy, window))
                              for r in sorted(resources, key=lambda r: r.resource_id)]

    # Practitioners usually share their hours, and the clinic-wide checks (notice, closures,
    # the whole stay inside opening hours) do not depend on who works: so the candidate
    # starts are worked out once per distinct set of hours, not once per practitioner.
    candidates_by_hours: dict[tuple, list[tuple[datetime, datetime, datetime]]] = {}
    found: list[tuple[datetime, int, int | None]] = []
    for calendar in calendars:
        periods_by_weekday = _bookable_periods(calendar.working_periods, rules)
        hours_key = tuple(sorted((weekday, tuple(spans))
                                 for weekday, spans in periods_by_weekday.items()))
        candidates = candidates_by_hours.get(hours_key)
        if candidates is None:
            candidates = candidates_by_hours[hours_key] = _open_candidates(
                periods_by_weekday, first_day, last_day, service, tz, rules,
                earliest_start=earliest_start, closed=closed)
        busy = _Timeline(calendar.busy, window)
        for start, busy_end, stay_end in candidates:
            # The buffer after the appointment is the practitioner's own time and must be
            # free of their other appointments.
            if busy.overlaps(start, busy_end):
                continue
            resource_id = None
            if resource_timelines is not None:
                resource_id = next((rid for rid, timeline in resource_timelines
                                    if not timeline.overlaps(start, stay_end)), None)
                if resource_id is None:
                    continue
            found.append((start, calendar.practitioner_id, resource_id))

    # Sort while the starts are still UTC, so the order is the order of
    # instants even where the wall clock repeats an hour.
    found.sort(key=lambda item: (item[0], item[1]))
    # Several practitioners share a start: convert each instant to the clinic zone once.
    local: dict[datetime, tuple[datetime, datetime]] = {}
    slots = []
    for start, practitioner_id, resource_id in found:
        times = local.get(start)
        if times is None:
            times = local[start] = (start.astimezone(tz), (start + duration).astimezone(tz))
        slots.append(Slot(times[0], times[1], practitioner_id, resource_id))
    return slots


def _open_candidates(
    periods_by_weekday: dict[int, list[tuple[time, time]]],
    first_day: date,
    last_day: date,
    service: ServiceTiming,
    tz: ZoneInfo,
    rules: ClinicRules,
    *,
    earliest_start: datetime,
    closed: "_Timeline",
) -> list[tuple[datetime, datetime, datetime]]:
    """The starts within these working hours that pass every check not about one person's
    diary, as (start, end of the practitioner's time incl. buffer, end of the whole stay)."""
    duration = timedelta(minutes=service.duration_minutes)
    busy_length = duration + timedelta(minutes=service.buffer_minutes)
    stay = duration + timedelta(minutes=service.observation_minutes)
    candidates = []
    for start in _candidate_starts(periods_by_weekday, first_day, last_day, service, tz):
        if start < earliest_start:
            continue
        # Closures only need the appointment itself to fit.
        if closed.overlaps(start, start + duration):
            continue
        if stay > duration:
            # Observation: the patient's whole stay must end by closing time.
            if not _within_opening_hours(start.astimezone(tz), (start + stay).astimezone(tz),
                                         rules):
                continue
        candidates.append((start, start + busy_length, start + stay))
    return candidates


def check_start(
    start: datetime,
    service: ServiceTiming,
    *,
    now: datetime,
    tz: ZoneInfo,
    rules: ClinicRules = ClinicRules(),
) -> str | None:
    """The clinic-wide rule a requested start breaks, as a short code, or None
    when it breaks none. It does not look at practitioners or busy times (the
    booking service does that with free_slots).

    Codes, checked in this order: "naive_time", "in_past", "weekend",
    "outside_hours", "off_grid", "too_soon", "beyond_horizon".
    """
    _check_service(service)
    now = _as_utc(now, "now")
    # A start without a zone comes from a client, not from our own code, so
    # it is a broken rule to report rather than an exception.
    if start.tzinfo is None or start.utcoffset() is None:
        return "naive_time"

    start = start.astimezone(UTC)
    local_start = start.astimezone(tz)
    # The whole stay (with observation) must fit inside opening hours.
    local_end = (start + timedelta(minutes=service.duration_minutes
                                   + service.observation_minutes)).astimezone(tz)

    if start < now:
        return "in_past"
    if local_start.weekday() not in rules.open_weekdays:
        return "weekend"
    if not _within_opening_hours(local_start, local_end, rules):
        return "outside_hours"
    if not _on_grid(local_start.time(), service):
        return "off_grid"
    if start < now + rules.min_notice:
        return "too_soon"
    if local_start.date() > _last_bookable_day(now, tz, rules):
        return "beyond_horizon"
    return None


def week_start(day: date) -> date:
    """The Monday of that day's week."""
    return day - timedelta(days=day.weekday())


# --- Clinic rules -------------------------------------------------------------


def _check_service(service: ServiceTiming) -> None:
    """Refuse timings that would make no sense (or loop forever)."""
    if service.duration_minutes <= 0:
        raise ValueError("duration_minutes must be positive")
    if service.grid_minutes <= 0:
        raise ValueError("grid_minutes must be positive")
    if service.buffer_minutes < 0:
        raise ValueError("buffer_minutes must not be negative")
    if service.observation_minutes < 0:
        raise ValueError("observation_minutes must not be negative")


def _last_bookable_day(now: datetime, tz: ZoneInfo, rules: ClinicRules) -> date:
    """The horizon counts days on the clinic's calendar, from today's local date."""
    return now.astimezone(tz).date() + timedelta(days=rules.horizon_days)


def _within_opening_hours(local_start: datetime, local_end: datetime, rules: ClinicRules) -> bool:
    """Start at or after opening, end by closing, on the same local day."""
    return (
        local_start.time() >= rules.opens
        and local_end.date() == local_start.date()
        and local_end.time() <= rules.closes
    )


def _on_grid(local_time: time, service: ServiceTiming) -> bool:
    """The grid is anchored at local midnight: 10:00 and 10:30 for a 30-minute
    grid, 10:30 and 11:15 for a 45-minute one. Seconds must be zero too."""
    grid = timedelta(minutes=service.grid_minutes)
    return _since_midnight(local_time) % grid == timedelta(0)


def _bookable_periods(
    working_periods: Iterable[WorkingPeriod], rules: ClinicRules
) -> dict[int, list[tuple[time, time]]]:
    """Each open weekday's working periods, clipped to the opening hours.

    The clinic rules win: a practitioner who works 08:00-21:00 still only
    takes appointments from opening to closing, and never on a closed day.
    """
    by_weekday: dict[int, list[tuple[time, time]]] = {}
    for period in working_periods:
        if period.weekday not in rules.open_weekdays:
            continue
        start = max(period.start, rules.opens)
        end = min(period.end, rules.closes)
        if start < end:
            by_weekday.setdefault(period.weekday, []).append((start, end))
    # Periods that touch or overlap are one stretch of work: 10:00-13:00 and 13:00-19:00
    # entered as two rows still mean a continuous day, so a slot may run across 13:00.
    for weekday, spans in by_weekday.items():
        merged: list[tuple[time, time]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        by_weekday[weekday] = merged
    return by_weekday


def _candidate_starts(
    periods_by_weekday: dict[int, list[tuple[time, time]]],
    first_day: date,
    last_day: date,
    service: ServiceTiming,
    tz: ZoneInfo,
) -> Iterator[datetime]:
    """UTC starts on the grid whose whole appointment fits inside ONE working
    period (breaks between periods stay free). Busy times are not checked here.

    Overlapping periods could offer the same start twice; each is given once.
    """
    grid = timedelta(minutes=service.grid_minutes)
    duration = timedelta(minutes=service.duration_minutes)
    day = first_day
    midnight = _wall_clock_to_utc(day, _MIDNIGHT, tz)
    while day <= last_day:
        next_day = _next_day(day)
        next_midnight = _wall_clock_to_utc(next_day, _MIDNIGHT, tz)
        periods = periods_by_weekday.get(day.weekday(), ())
        if next_midnight - midnight == _ONE_DAY:
            # No clock change that day (all but two days a year): every wall-clock time
            # exists once and is the UTC midnight plus the same offset, so the grid is
            # simple arithmetic.
            yield from _plain_day_starts(periods, midnight, grid, duration)
        else:
            yield from _clock_change_day_starts(periods, day, grid, duration, tz)
        day, midnight = next_day, next_midnight


def _plain_day_starts(
    periods: Iterable[tuple[time, time]], midnight: datetime, grid: timedelta,
    duration: timedelta,
) -> Iterator[datetime]:
    """Candidate starts of a day without a clock change; `midnight` is its start in UTC."""
    seen: set[datetime] = set()
    for period_start, period_end in periods:
        period_end_at = midnight + _since_midnight(period_end)
        start = midnight + _round_up(_since_midnight(period_start), grid)
        # The appointment must end inside the period (which implies it starts in it).
        while start + duration <= period_end_at:
            if start not in seen:
                seen.add(start)
                yield start
            start += grid


def _clock_change_day_starts(
    periods: Iterable[tuple[time, time]], day: date, grid: timedelta, duration: timedelta,
    tz: ZoneInfo,
) -> Iterator[datetime]:
    """Candidate starts of a day when the clocks change: each wall-clock time is converted
    on its own, times that never happen are skipped, ends are compared as instants."""
    seen: set[datetime] = set()
    for period_start, period_end in periods:
        period_end_at = _wall_clock_to_utc(day, period_end, tz)
        period_end_offset = _since_midnight(period_end)
        offset = _round_up(_since_midnight(period_start), grid)
        while offset < period_end_offset:
            local_start = datetime.combine(day, _time_of_day(offset), tzinfo=tz)
            offset += grid
            if not _exists(local_start):
                continue
            start = local_start.astimezone(UTC)
            if start + duration <= period_end_at and start not in seen:
                seen.add(start)
                yield start


# --- Busy times -------------------------------------------------------------


class _Timeline:
    """Busy times merged into sorted, non-overlapping stretches.

    Sorting once and answering each question with a binary search keeps the
    cost near (slots + busy) * log(busy), instead of comparing every slot with
    every busy interval.
    """

    def __init__(self, intervals: Iterable[Interval], window: Interval):
        self._starts: list[datetime] = []
        self._ends: list[datetime] = []
        for start, end in sorted(_utc_stretches(intervals, window)):
            if self._ends and start <= self._ends[-1]:
                # Overlaps (or touches) the previous stretch: extend it.
                self._ends[-1] = max(self._ends[-1], end)
            else:
                self._starts.append(start)
                self._ends.append(end)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Does [start, end) share any instant with a busy stretch?"""
        # The first stretch that ends after `start` is the only candidate:
        # every earlier one is over by then, every later one starts after it.
        index = bisect_right(self._ends, start)
        return index < len(self._starts) and self._starts[index] < end


def _utc_stretches(
    intervals: Iterable[Interval], window: Interval
) -> Iterator[tuple[datetime, datetime]]:
    """The non-empty intervals that touch the window, as UTC (start, end) pairs."""
    for interval in intervals:
        start = _as_utc(interval.start, "interval start")
        end = _as_utc(interval.end, "interval end")
        if start < end and start < window.end and end > window.start:
            yield start, end


# --- Small time helpers ---------------------------------------------------------


def _as_utc(moment: datetime, name: str) -> datetime:
    """The same instant in UTC; a naive datetime is a programming error here,
    because Python would silently read it as the server's local time."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC)


def _wall_clock_to_utc(day: date, wall_time: time, tz: ZoneInfo) -> datetime:
    """The instant when the clinic's clocks show `wall_time` on `day`."""
    return datetime.combine(day, wall_time, tzinfo=tz).astimezone(UTC)


def _exists(local: datetime) -> bool:
    """False for wall-clock times skipped when clocks spring forward
    (03:30 on the last Sunday of March in Kyiv never happens)."""
    round_trip = local.astimezone(UTC).astimezone(local.tzinfo)
    return round_trip.replace(tzinfo=None) == local.replace(tzinfo=None)


def _next_day(day: date) -> date:
    return day + timedelta(days=1)


def _since_midnight(wall_time: time) -> timedelta:
    """How far a wall-clock time is from local midnight, as the clock reads."""
    return timedelta(
        hours=wall_time.hour,
        minutes=wall_time.minute,
        seconds=wall_time.second,
        microseconds=wall_time.microsecond,
    )


def _time_of_day(offset: timedelta) -> time:
    """The inverse of _since_midnight (offset is less than a day)."""
    return (datetime.combine(date.min, _MIDNIGHT) + offset).time()


def _round_up(offset: timedelta, grid: timedelta) -> timedelta:
    """The first grid position at or after `offset`."""
    return -(-offset // grid) * grid
