"""Domain events: services say what happened; other parts of the app react.

A service calls `publish("intake_urgent", intake_id=...)` with plain ids, inside its own
transaction, right before it commits. Subscribers run at once, in that same transaction, so
what they add (an outbox row, an attention item) is committed with the change that caused it,
or rolled back with it: never lost, never sent twice. A subscriber therefore only queues rows;
it never commits, sends or calls the network.

Subscribers register with the `subscriber` decorator when their module is imported;
`booking.subscribers` imports every subscribing module once, from create_app, so the services
that publish never import the modules that listen (no import cycles).

Event names and their payloads (plain ids and times, never names or answers):
    booked               appointment_id, manage_token         an appointment was booked (the
                                                              token only for the confirmation)
    moved                appointment_id                       an appointment has a new time
    cancelled            appointment_id                       an appointment was cancelled
    course_booked        course_id, manage_token              every session of a course booked
    course_changed       course_id, change, appointment_ids   sessions of a course were moved or
                                                              cancelled (change: a key of
                                                              notifications.messages.COURSE_CHANGES)
    time_freed           practitioner_id, starts_at, ends_at, what
                                                              time with a practitioner was freed
                                                              (the waitlist offers it)
    closure_removed      practitioner_id, starts_at, ends_at, rrule, repeat_until
                                                              a closure is being deleted
    intake_urgent        intake_id, reasons (tuple of codes)  the urgent mark was raised
    course_confirmed     course_id                            a clinician confirmed a course
    course_declined      course_id                            a clinician declined a course

Who listens: notifications (booked, moved, cancelled, course_*), the waitlist (time_freed,
closure_removed), the attention queue (intake_urgent). The scheduler and course services import
none of them; tests/test_import_graph.py keeps it so.
"""
from collections import defaultdict

_subscribers = defaultdict(list)

EVENTS = ("booked", "moved", "cancelled", "course_booked", "course_changed", "time_freed",
          "closure_removed", "intake_urgent", "course_confirmed", "course_declined")


def subscriber(event):
    """Decorator: call the function with the event's payload each time it is published."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")

    def register(function):
        if function not in _subscribers[event]:
            _subscribers[event].append(function)
        return function
    return register


def publish(event, **payload):
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    for function in list(_subscribers[event]):
        function(**payload)
