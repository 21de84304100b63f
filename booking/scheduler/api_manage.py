"""The API's side of the private manage link: a booking (or a course) read, cancelled and moved
by its manage token, with the same services, rules and cut-off as the manage pages.

    GET   /api/v1/booking               the booking behind the token
    GET   /api/v1/booking/slots         free times to move it to (a course: starts for its rest)
    POST  /api/v1/booking/cancel        cancel it (a course: every session not held yet)
    POST  /api/v1/booking/reschedule    move it (a course: the rest, from a new start)

The token travels in the `X-Manage-Token` header, never in the URL: request lines end up in
access logs (nginx's, gunicorn's) and proxies; headers do not. A missing token is 400, a wrong
one 404 (like any unknown link), and the calls have the private links' rate limit.
"""
from flask import g, jsonify, request
from flask_babel import gettext as _

from ..courses import services as courses
from ..extensions import limiter
from ..models import AppointmentStatus
from ..security import private_link_limit
from . import services
from .api import (
    ApiError,
    bad_parameter,
    bp,
    day_range,
    in_request_language,
    iso,
    parse_start,
    private,
    slots_json,
    start_message,
)
from .course_views import does_not_fit_message

TOKEN_HEADER = "X-Manage-Token"


def _managed_or_404():
    """The appointment behind the token (a course's first session for a course's token)."""
    token = request.headers.get(TOKEN_HEADER, "").strip()
    if not token:
        raise bad_parameter(400, TOKEN_HEADER, _(
            "Send the booking's private token (manage_token) in the X-Manage-Token header."))
    appointment = services.appointment_by_token(token)
    if appointment is None:
        raise ApiError(404, "not_found", _("No booking has this token."))
    return appointment


def _session_json(appointment):
    return {"day": appointment.course_day, "start": iso(appointment.starts_at),
            "end": iso(appointment.ends_at), "status": appointment.status}


def managed_json(appointment):
    """What the manage page shows, as data: the appointment, or the course with its sessions;
    whether it can still be changed online, and until when."""
    course = appointment.course
    if course is None:
        booked = appointment.status == AppointmentStatus.BOOKED.value
        return {
            "kind": "appointment", "reference": appointment.reference,
            "status": appointment.status, "service_id": appointment.service_id,
            "practitioner_id": appointment.practitioner_id,
            "start": iso(appointment.starts_at), "end": iso(appointment.ends_at),
            "can_change": services.manage_window_open(appointment),
            "change_until": iso(services.change_deadline(appointment)) if booked else None,
            "sessions": [],
        }
    sessions = sorted(course.appointments, key=lambda a: a.course_day)
    live = [a for a in sessions if a.status != AppointmentStatus.CANCELLED.value] or sessions
    rest = courses.remaining_sessions(course)
    return {
        "kind": "course", "reference": course.reference, "status": course.status,
        "service_id": course.service_id, "practitioner_id": course.practitioner_id,
        "start": iso(min(a.starts_at for a in live)), "end": iso(max(a.ends_at for a in live)),
        "can_change": courses.open_for_changes(course),
        "change_until": iso(services.change_deadline(rest[0])) if rest else None,
        "sessions": [_session_json(a) for a in sessions],
    }


@bp.get("/booking")
@limiter.limit(private_link_limit, override_defaults=False)
def read_booking():
    return private(managed_json(_managed_or_404()))


@bp.get("/booking/slots")
@limiter.limit(private_link_limit, override_defaults=False)
def booking_slots():
    """Times the booking can move to now: its practitioner's free slots (a course: the starts
    where its remaining sessions fit); none once it can no longer be changed online."""
    appointment = _managed_or_404()
    first_day, last_day = day_range()
    course = appointment.course
    if course is None:
        if not services.manage_window_open(appointment):
            return jsonify(slots_json([]))
        found = [s for s in services.find_slots(
            appointment.service, first_day, last_day, appointment.practitioner,
            exclude_appointment_id=appointment.id) if s.start != appointment.starts_at]
        return jsonify(slots_json(found))
    if not courses.open_for_changes(course):
        return jsonify(slots_json([]))
    return jsonify(slots_json([start.slots[0] for start in
                               courses.move_starts(course, first_day, last_day)]))


@bp.post("/booking/cancel")
@limiter.limit(private_link_limit, override_defaults=False)
@in_request_language
def cancel_booking():
    appointment = _managed_or_404()
    reason = g.json_body.get("reason", "")
    if not isinstance(reason, str):
        raise ApiError(422, "invalid", _("The request has errors."),
                       {"reason": _("Text, or leave it out.")})
    if appointment.course_id is None:
        services.cancel_by_patient(appointment.id, reason)
    else:
        courses.cancel_rest(appointment.course_id, reason=reason, cancelled_by="patient")
    return private(managed_json(appointment))  # as it is now: the commit expired it


@bp.post("/booking/reschedule")
@limiter.limit(private_link_limit, override_defaults=False)
@in_request_language
def reschedule_booking():
    appointment = _managed_or_404()
    start = parse_start(g.json_body.get("start"))
    if start is None:
        raise ApiError(422, "invalid", _("The request has errors."), {"start": start_message()})
    if appointment.course_id is None:
        services.reschedule_by_patient(appointment.id, start)
    else:
        try:
            courses.move_rest(appointment.course_id, start)
        except courses.CourseDoesNotFit as error:
            raise ApiError(error.status, error.code, does_not_fit_message(error)) from None
    return private(managed_json(appointment))  # as it is now: the commit expired it

