"""The API's side of the private manage link: a booking (or a course) read, cancelled and moved
by its manage token, with the same services, rules and cut-off as the manage pages.

    GET   /api/v1/booking               the booking behind the token
    GET   /api/v1/booking/slots         free times to move it to (a course: starts for its rest)
    POST  /api/v1/booking/cancel        cancel it (a course: every session not held yet)
    POST  /api/v1/booking/reschedule    move it (a course: the rest, from a new start)
    GET   /api/v1/booking/sessions/<day>/slots       a course: free times for that one session
    POST  /api/v1/booking/sessions/<day>/reschedule  a course: move only that session

The token travels in the `X-Manage-Token` header, never in the URL: request lines end up in
access logs (nginx's, gunicorn's) and proxies; headers do not. A missing token is 400, a wrong
one 404 (like any unknown link), and the calls have the private links' rate limit.

Moving one session keeps the course's order, as the session page does: the times offered lie
between the sessions before and after it (course_views._session_window); a token that is not a
course's gets 422 `not_a_course`, a day the course does not have 404.
"""
from flask import g, jsonify, request
from flask_babel import gettext as _

from ..courses import services as courses
from ..extensions import limiter
from ..models import AppointmentStatus
from ..security import private_link_limit
from . import appointment_changes, availability, manage_links
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
from .course_views import _session_window, does_not_fit_message

TOKEN_HEADER = "X-Manage-Token"


def _managed_or_404():
    """The appointment behind the token (a course's first session for a course's token)."""
    token = request.headers.get(TOKEN_HEADER, "").strip()
    if not token:
        raise bad_parameter(400, TOKEN_HEADER, _(
            "Send the booking's private token (manage_token) in the X-Manage-Token header."))
    appointment = manage_links.appointment_by_token(token)
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
            "can_change": appointment_changes.manage_window_open(appointment),
            "change_until": iso(appointment_changes.change_deadline(appointment)) if booked
            else None,
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
        "change_until": iso(appointment_changes.change_deadline(rest[0])) if rest else None,
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
        if not appointment_changes.manage_window_open(appointment):
            return jsonify(slots_json([]))
        found = [s for s in availability.find_slots(
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
        appointment_changes.cancel_by_patient(appointment.id, reason)
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
        appointment_changes.reschedule_by_patient(appointment.id, start)
    else:
        try:
            courses.move_rest(appointment.course_id, start)
        except courses.CourseDoesNotFit as error:
            raise ApiError(error.status, error.code, does_not_fit_message(error)) from None
    return private(managed_json(appointment))  # as it is now: the commit expired it


# --- One session of a course ----------------------------------------------------------------------

def _course_session_or_404(day):
    """The course behind the token and its session `day` (422 for a single appointment's token,
    404 for a day the course does not have)."""
    appointment = _managed_or_404()
    course = appointment.course
    if course is None:
        raise ApiError(422, "not_a_course", _(
            "This booking is not a course: move it with /booking/reschedule."))
    session = next((a for a in course.appointments if a.course_day == day), None)
    if session is None:
        raise ApiError(404, "not_found", _("This course has no session %(day)d.", day=day))
    return appointment, course, session


@bp.get("/booking/sessions/<int:day>/slots")
@limiter.limit(private_link_limit, override_defaults=False)
def course_session_slots(day):
    """Times one session can move to, as the session page offers them: its practitioner's free
    slots between the sessions either side (within ?from=&to=); none once the course (or this
    session) can no longer be changed online."""
    _appointment, course, session = _course_session_or_404(day)
    first_day, last_day = day_range()
    if not (courses.open_for_changes(course) and appointment_changes.manage_window_open(session)):
        return jsonify(slots_json([]))
    first, last, _neighbours = _session_window(course, session)
    first, last = max(first, first_day), min(last, last_day)
    if first > last:
        return jsonify(slots_json([]))
    return jsonify(slots_json([s for s in availability.find_slots(
        course.service, first, last, course.practitioner, exclude_appointment_id=session.id)
        if s.start != session.starts_at]))


@bp.post("/booking/sessions/<int:day>/reschedule")
@limiter.limit(private_link_limit, override_defaults=False)
@in_request_language
def reschedule_course_session(day):
    appointment, course, session = _course_session_or_404(day)
    start = parse_start(g.json_body.get("start"))
    if start is None:
        raise ApiError(422, "invalid", _("The request has errors."), {"start": start_message()})
    if courses.open_for_changes(course) and session.is_active \
            and not appointment_changes.manage_window_open(session):
        # Held (or begun) while the course goes on: the session page offers no move either.
        raise ApiError(422, "too_late", _(
            "This session has begun or taken place: it can no longer be moved online."))
    courses.move_session(session.id, start)  # SlotTaken 409, out of order 422, too late 422
    return private(managed_json(appointment))  # as it is now: the commit expired it
