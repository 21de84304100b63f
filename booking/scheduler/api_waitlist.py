"""The waitlist through the API (the same services as the join and leave pages):

    POST  /api/v1/waitlist          join: wishes (days, weekdays, a time window), contact details
    GET   /api/v1/waitlist          the entry behind the token: its wishes and status
    POST  /api/v1/waitlist/leave    leave the list (its open offers end)

The join answer carries the private leave link the "you are on the list" email also brings, and
its token (`leave_token`) for the `X-Waitlist-Token` header of the other two: in a header, never
in the URL (access logs). A missing token is 400, an unknown one 404. Leaving is idempotent:
leaving again (or after booking through an offer) changes nothing and answers the entry as it
is, 200 with its `status` ("left", or "booked").
"""
from flask import g, request
from flask_babel import gettext as _

from ..extensions import limiter
from ..notifications.messages import canonical_url
from ..security import booking_limit
from ..waitlist import services as waitlist
from ..waitlist.entries import entry_by_token
from ..security import private_link_limit
from .api import (
    ApiError,
    bad_parameter,
    bp,
    check_booking_body,
    in_request_language,
    language_of,
    private,
)

TOKEN_HEADER = "X-Waitlist-Token"

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
        **_wishes_json(entry),
        # On the clinic's canonical address: the link the email brings too.
        "leave_url": canonical_url("waitlist.leave", token=token),
        "leave_token": token,
    }, status=201)


def _wishes_json(entry):
    return {
        "service_id": entry.service_id, "practitioner_id": entry.practitioner_id,
        "first_day": entry.first_day.isoformat(), "last_day": entry.last_day.isoformat(),
        "weekdays": list(entry.weekdays), "earliest": entry.earliest.strftime("%H:%M"),
        "latest": entry.latest.strftime("%H:%M"),
    }


def _token():
    token = request.headers.get(TOKEN_HEADER, "").strip()
    if not token:
        raise bad_parameter(400, TOKEN_HEADER, _(
            "Send the waitlist entry's private token (leave_token) in the X-Waitlist-Token "
            "header."))
    return token


def _no_such_entry():
    return ApiError(404, "not_found", _("No waitlist entry has this token."))


def _entry_json(entry):
    """What the leave page shows: the wishes, and whether the entry still waits."""
    return {**_wishes_json(entry), "status": entry.status}


@bp.get("/waitlist")
@limiter.limit(private_link_limit, override_defaults=False)
def read_waitlist_entry():
    entry = entry_by_token(_token())
    if entry is None:
        raise _no_such_entry()
    return private(_entry_json(entry))


@bp.post("/waitlist/leave")
@limiter.limit(private_link_limit, override_defaults=False)
@in_request_language
def leave_waitlist():
    try:
        entry, _changed = waitlist.leave_waitlist(_token())
    except LookupError:
        raise _no_such_entry() from None
    return private(_entry_json(entry))
