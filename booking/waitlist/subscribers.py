"""The waitlist listens for freed time (booking/events.py): a cancellation, a move, a course
change or a removed closure offers the time to waiting patients, inside the publisher's
transaction (offers and their emails are rows committed with the change, or not at all)."""
from .. import events
from . import closure_removed, time_freed


@events.subscriber("time_freed")
def offer_freed_time(practitioner_id, starts_at, ends_at, what, now=None):
    time_freed(None, practitioner_id, starts_at, ends_at, now=now, what=what)


@events.subscriber("closure_removed")
def offer_after_closure(practitioner_id, starts_at, ends_at, rrule, repeat_until):
    closure_removed(practitioner_id, starts_at, ends_at, rrule, repeat_until)
