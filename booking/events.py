"""Domain events: services say what happened; other parts of the app react.

A service calls `publish("intake_urgent", intake_id=...)` with plain ids, inside its own
transaction, right before it commits. Subscribers run at once, in that same transaction, so
what they add (an outbox row, an attention item) is committed with the change that caused it,
or rolled back with it: never lost, never sent twice. A subscriber therefore only queues rows;
it never commits, sends or calls the network.

Subscribers register with the `subscriber` decorator when their module is imported;
`booking.subscribers` imports every subscribing module once, from create_app, so the services
that publish never import the modules that listen (no import cycles).

Event names and their payloads (plain ids, never names or answers):
    intake_urgent        intake_id, reasons (tuple of codes)  the urgent mark was raised
    course_confirmed     course_id                            a clinician confirmed a course
    course_declined      course_id                            a clinician declined a course
"""
from collections import defaultdict

_subscribers = defaultdict(list)

EVENTS = ("intake_urgent", "course_confirmed", "course_declined")


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
