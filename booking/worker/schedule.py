"""When a periodic job falls due: PURE (stdlib only; `now` and the time zone are parameters).

Two kinds of schedule, both on the clock, so every worker (and a restarted one) agrees:
- `Every(minutes)`: at each whole multiple of `minutes` since midnight UTC (every 5: :00, :05,
  :10, ...);
- `Daily(at)`: once a day at a wall-clock time in the clinic's zone.

A job is due when it never started, or its last run started before the latest such moment
(`last_due`). A worker that was down at that moment runs the job as soon as it is back (one run,
however many moments it missed).
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone


@dataclass(frozen=True)
class Every:
    minutes: int

    def __post_init__(self):
        if not 1 <= self.minutes <= 24 * 60:
            raise ValueError("a job runs every 1 to 1440 minutes")

    def last_due(self, now, tz):
        """The latest whole multiple of `minutes` (counted from midnight UTC) at or before now."""
        midnight = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        step = timedelta(minutes=self.minutes)
        return midnight + (now - midnight) // step * step

    def describe(self):
        return "every minute" if self.minutes == 1 else f"every {self.minutes} minutes"


@dataclass(frozen=True)
class Daily:
    at: time  # wall-clock time in the clinic's zone

    def last_due(self, now, tz):
        """Today's `at` in the clinic's zone if it has passed, else yesterday's (as UTC)."""
        day = now.astimezone(tz).date()
        # Compared in UTC: aware times in one zone compare by wall clock, which is wrong on
        # the night the clocks change (a missing 03:30 is read as 04:30).
        moment = datetime.combine(day, self.at, tzinfo=tz).astimezone(timezone.utc)
        if moment > now:
            moment = datetime.combine(day - timedelta(days=1), self.at,
                                      tzinfo=tz).astimezone(timezone.utc)
        return moment

    def describe(self):
        return f"daily at {self.at:%H:%M} clinic time"


def parse(value):
    """A schedule from a setting: a whole number of minutes (Every), or "HH:MM" (Daily)."""
    if isinstance(value, (Every, Daily)):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Every(value)
    if isinstance(value, str):
        hours, _, minutes = value.partition(":")
        if hours.isdigit() and minutes.isdigit() and len(minutes) == 2:
            return Daily(time(int(hours), int(minutes)))
    raise ValueError(f"a schedule is a number of minutes or 'HH:MM', not {value!r}")


def is_due(schedule, last_started_at, now, tz):
    return last_started_at is None or last_started_at < schedule.last_due(now, tz)


def next_minute(now):
    """The next whole minute after now: when a worker looks again."""
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)
