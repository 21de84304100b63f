"""Treatment courses through the API: what can be booked, where a whole course fits, and
booking one (every session or none), through the same course service as the course pages.

    GET   /api/v1/course-services     services booked as a course, with their session counts
    GET   /api/v1/course-starts       starts where the whole course fits
    POST  /api/v1/courses             book a course
"""
from flask import current_app, g, jsonify
from flask_babel import gettext as _

from ..courses import services as courses
from ..extensions import limiter
from ..security import booking_limit
from . import reference
from .api import (
    ApiError,
    bad_parameter,
    bp,
    check_booking_body,
    day_range,
    in_request_language,
    int_arg,
    iso,
    language_of,
    manage_link,
    practitioner_or_404,
    private,
    service_json,
    service_or_404,
    whole_number,
)
from .course_views import does_not_fit_message


def _course_service_json(service, known):
    counts = courses.session_counts(service)
    return {**service_json(service, [p.id for p in known.practitioners_for(service)]),
            "min_sessions": counts.start, "max_sessions": counts.stop - 1}


def _sessions_arg(service):
    sessions = int_arg("sessions")
    if sessions not in courses.session_counts(service):
        counts = courses.session_counts(service)
        raise bad_parameter(422, "sessions", _("Choose between %(low)d and %(high)d sessions.",
                                               low=counts.start, high=counts.stop - 1))
    return sessions


def _start_json(course_start):
    return {"start": course_start.start.isoformat(),
            "practitioner_id": course_start.practitioner_id,
            "sessions": [{"start": slot.start.isoformat(), "end": slot.end.isoformat()}
                         for slot in course_start.slots]}


@bp.get("/course-services")
def list_course_services():
    known = reference.current()
    return jsonify({"services": [_course_service_json(s, known) for s in known.bookable()
                                 if s.is_course]})


@bp.get("/course-starts")
def list_course_starts():
    service = service_or_404(courses.get_course_service(int_arg("service")))
    sessions = _sessions_arg(service)
    first_day, last_day = day_range()
    practitioner_id = int_arg("practitioner", required=False)
    practitioner = practitioner_or_404(service, practitioner_id)
    found = courses.find_course_starts(service, sessions, first_day, last_day, practitioner)
    return jsonify({"timezone": current_app.config["CLINIC_TZ"],
                    "starts": [_start_json(s) for s in found]})


@bp.post("/courses")
@limiter.limit(booking_limit)
@in_request_language
def create_course():
    body = g.json_body
    fields = {}
    if not whole_number(body.get("sessions")):
        fields["sessions"] = _("A whole number: how many sessions.")
    patient, start = check_booking_body(body, fields)
    try:
        course, token = courses.book_course(
            service_id=body["service_id"], start=start, sessions=body["sessions"],
            patient=patient, consent=body.get("consent"),
            practitioner_id=body.get("practitioner_id"), source="api",
            language=language_of(body))
    except courses.CourseDoesNotFit as error:
        raise ApiError(error.status, error.code, does_not_fit_message(error)) from None
    sessions = sorted(course.appointments, key=lambda a: a.course_day)
    return private({
        "reference": course.reference,
        **manage_link(token),
        "status": course.status,
        "practitioner_id": course.practitioner_id,
        "sessions": [{"day": a.course_day, "start": iso(a.starts_at), "end": iso(a.ends_at)}
                     for a in sessions],
    }, status=201)
