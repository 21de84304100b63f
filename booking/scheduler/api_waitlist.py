"""Joining the waitlist through the API (the same service as the join page):

    POST  /api/v1/waitlist    wishes (days, weekdays, a time window) and contact details

The answer carries the private leave link the "you are on the list" email also brings.
"""
from flask import g

from ..extensions import limiter
from ..notifications.messages import canonical_url
from ..security import booking_limit
from ..waitlist import services as waitlist
from .api import ApiError, bp, check_booking_body, in_request_language, language_of, private

# The service's field names -> the API's.
FIELD_NAMES = {"practitioner": "practitioner_id", "consent": "consent",
               "first_day": "first_day", "last_day": "last_day", "weekdays": "weekdays",
               "earliest": "earliest", "latest": "latest"}


def _wishes(body):
    """The body as the join form's values (the service checks them)."""
    weekdays = body.get("weekdays")
    practitioner_id = body.get("practitioner_id")
    return {
        "practitioner": str(practitioner_id) if practitioner_id is not None else "",
        "weekdays": [str(day) for day in weekdays] if isinstance(weekdays, list) else ["x"],
        "consent": body.get("consent") is True,
        **{name: body.get(name) if isinstance(body.get(name), str) else ""
           for name in ("first_day", "last_day", "earliest", "latest")},
    }


@bp.post("/waitlist")
@limiter.limit(booking_limit)
@in_request_language
def join_waitlist():
    body = g.json_body
    patient, _start = check_booking_body(body, with_start=False)
    try:
        entry, token = waitlist.join_waitlist(body["service_id"], {**_wishes(body), **patient},
                                              language=language_of(body))
    except waitlist.WaitlistError as error:
        raise ApiError(error.status, "invalid", error.message, {
            FIELD_NAMES.get(name, f"patient.{name}"): message
            for name, message in error.fields.items()}) from None
    return private({
        "service_id": entry.service_id, "practitioner_id": entry.practitioner_id,
        "first_day": entry.first_day.isoformat(), "last_day": entry.last_day.isoformat(),
        "weekdays": list(entry.weekdays), "earliest": entry.earliest.strftime("%H:%M"),
        "latest": entry.latest.strftime("%H:%M"),
        # On the clinic's canonical address: the link the email brings too.
        "leave_url": canonical_url("waitlist.leave", token=token),
    }, status=201)
