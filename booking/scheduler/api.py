"""JSON API for other programs (a website widget, a messenger bot): /api/v1/...

Same services as the HTML pages, so the same rules. Errors are JSON:
{"error": "<code>", "message": "...", "fields": {...}}; bad parameters get 400/422 naming the
parameter, unknown ids 404, a taken slot 409.
"""
from datetime import date, datetime

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _

from .. import idempotency
from ..errors import json_error
from ..extensions import limiter
from ..jsonbody import MAX_DEPTH, MalformedBody, NotAnObject, read_object
from ..notifications.messages import canonical_url
from ..security import booking_limit, limit_blueprint
from ..timeutil import clinic_tz
from . import services
from .contacts import InvalidDetails
from .openapi import EARLIEST_DAY, LATEST_DAY, openapi_document

bp = Blueprint("api", __name__)
limit_blueprint(limiter, bp, "RATELIMIT_API")


class BadParameter(Exception):
    def __init__(self, status, name, message):
        super().__init__(message)
        self.status, self.name, self.message = status, name, message


@bp.before_request
def read_json_body():
    """Every POST of the API sends a JSON object: read it once, here, and answer 400 for a body
    that is not one, or that no service could store (see booking.jsonbody)."""
    if request.method != "POST":
        return None
    try:
        g.json_body = read_object(request)
    except NotAnObject:
        return json_error(400, "bad_request",
                          _("Send a JSON object (Content-Type: application/json)."))
    except MalformedBody:
        return json_error(400, "bad_request", _(
            "The JSON body cannot be read: it must be UTF-8, nested at most %(depth)d levels "
            "deep, with no NUL characters or unpaired surrogates in its strings.",
            depth=MAX_DEPTH))
    return None


@bp.before_request
def replay_or_claim():
    """`Idempotency-Key` on a POST (booking/idempotency.py): the first answer again, 422 for the
    key with another request, 409 while the first is in progress; else this request claims it."""
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or key is None:
        return None
    if not idempotency.valid_key(key):
        message = _("The Idempotency-Key must be 1 to 255 visible ASCII characters, without "
                    "spaces (a random UUID, for example).")
        return json_error(400, "bad_request", message, {"Idempotency-Key": message})
    outcome = idempotency.begin(key, request.method, request.path, g.json_body)
    if isinstance(outcome, idempotency.Claimed):
        g.idempotency_claim = outcome
        return None
    if isinstance(outcome, idempotency.Replay):
        response = current_app.response_class(outcome.body, status=outcome.status,
                                              mimetype="application/json")
        response.headers["Idempotent-Replayed"] = "true"
        response.headers["Cache-Control"] = "no-store"
        return response
    if isinstance(outcome, idempotency.InProgress):
        response = json_error(409, "in_progress", _(
            "A request with this Idempotency-Key is still being processed. Please try again "
            "in a moment."))[0]
        response.status_code = 409
        response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    message = _("This Idempotency-Key was used with another request in the last %(hours)d "
                "hours. Use a new key for a new request.",
                hours=current_app.config["IDEMPOTENCY_HOURS"])
    return json_error(422, "key_reused", message, {"Idempotency-Key": message})


@bp.after_request
def keep_the_answer(response):
    """The claimed request's answer is kept for a retry; after a 5xx it did nothing, so the
    claim is dropped (a retry runs it)."""
    claim = g.pop("idempotency_claim", None)
    if claim is not None:
        if response.status_code >= 500:
            idempotency.abandon(claim)
        else:
            idempotency.finish(claim, response.status_code, response.get_data())
    return response


@bp.errorhandler(BadParameter)
def bad_parameter(error):
    code = "bad_request" if error.status == 400 else "invalid"
    return json_error(error.status, code, error.message, {error.name: error.message})


def _int_arg(name, required=True):
    raw = request.args.get(name)
    if raw is None or raw == "":
        if required:
            raise BadParameter(400, name, f"The query parameter '{name}' is required.")
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(400, name, f"The query parameter '{name}' must be a whole number.")
    if value < 1 or value > 2**31:
        raise BadParameter(404, name, f"No such {name}.")
    return value


def _date_arg(name):
    raw = request.args.get(name)
    if not raw:
        raise BadParameter(400, name, f"The query parameter '{name}' is required (YYYY-MM-DD).")
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise BadParameter(400, name, f"The query parameter '{name}' must be a date, YYYY-MM-DD.")
    # No slot is that far away, and the calendar arithmetic around year 1 or 9999 overflows.
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise BadParameter(422, name, f"'{name}' must be between {EARLIEST_DAY} and {LATEST_DAY}.")
    return value


def _service_or_404(service_id):
    service = services.get_bookable_service(service_id)
    if service is None:
        raise BadParameter(404, "service", "No such service can be booked online.")
    return service


def _practitioner_or_404(service, practitioner_id):
    for practitioner in services.practitioners_for(service):
        if practitioner.id == practitioner_id:
            return practitioner
    raise BadParameter(404, "practitioner", "No such practitioner offers this service.")


def _iso(instant):
    """ISO 8601 in the clinic's zone, with its offset: 2026-12-01T10:00:00+02:00."""
    return instant.astimezone(clinic_tz()).isoformat()


def _service_json(service):
    return {
        "id": service.id,
        # Both wordings: a client shows name_uk on Ukrainian pages when it is not empty.
        "name": service.name,
        "name_uk": service.name_uk,
        "description": service.description,
        "description_uk": service.description_uk,
        "duration_minutes": service.duration_minutes,
        "grid_minutes": service.grid_minutes,
        "buffer_minutes": service.buffer_minutes,
        "practitioner_ids": [p.id for p in services.practitioners_for(service)],
    }


def _practitioner_json(practitioner):
    return {"id": practitioner.id, "name": practitioner.full_name,
            "name_uk": practitioner.full_name_uk, "title": practitioner.title,
            "title_uk": practitioner.title_uk}


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.get("/services")
def list_services():
    # Courses book several sessions at once; the API books single appointments.
    return jsonify({"services": [_service_json(s) for s in services.bookable_services()
                                 if not s.is_course]})


@bp.get("/practitioners")
def list_practitioners():
    service_id = _int_arg("service", required=False)
    if service_id is None:
        seen = {}
        for service in services.bookable_services():
            if service.is_course:
                continue
            for practitioner in services.practitioners_for(service):
                seen.setdefault(practitioner.id, practitioner)
        practitioners = [seen[pid] for pid in sorted(seen)]
    else:
        practitioners = services.practitioners_for(_service_or_404(service_id))
    return jsonify({"practitioners": [_practitioner_json(p) for p in practitioners]})


@bp.get("/slots")
def list_slots():
    service = _service_or_404(_int_arg("service"))
    first_day, last_day = _date_arg("from"), _date_arg("to")
    if last_day < first_day:
        raise BadParameter(422, "to", "'to' must not be before 'from'.")
    longest = current_app.config["MAX_SLOT_RANGE_DAYS"]
    if (last_day - first_day).days + 1 > longest:
        raise BadParameter(422, "to", f"The range may cover at most {longest} days.")
    practitioner_id = _int_arg("practitioner", required=False)
    practitioner = _practitioner_or_404(service, practitioner_id) if practitioner_id else None
    slots = services.find_slots(service, first_day, last_day, practitioner)
    return jsonify({
        "timezone": current_app.config["CLINIC_TZ"],
        "slots": [
            # The engine already gives each slot in the clinic's zone: no second conversion.
            {"start": s.start.isoformat(), "end": s.end.isoformat(),
             "practitioner_id": s.practitioner_id}
            for s in slots
        ],
    })


def _parse_start(raw):
    if not isinstance(raw, str):
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if value.tzinfo is None:
        return None
    # Near year 1 or 9999 the time cannot even be converted to UTC; no slot is there anyway.
    return value if EARLIEST_DAY <= value.date() <= LATEST_DAY else None


def _language(asked):
    """The patient's language: the body's "language" when it is one we write in, else the
    request's (Accept-Language, Russian read as Ukrainian), else the default, Ukrainian."""
    return asked if asked in current_app.config["LANGUAGES"] else str(get_locale())


@bp.post("/bookings")
@limiter.limit(booking_limit)
def create_booking():
    body = g.json_body
    patient = body.get("patient")
    if not isinstance(patient, dict):
        return json_error(422, "invalid", "The booking has errors.",
                          {"patient": "An object with full_name, email, phone, date_of_birth."})
    fields = {}
    service_id = body.get("service_id")
    if not isinstance(service_id, int) or isinstance(service_id, bool):
        fields["service_id"] = "A whole number: the id of a service."
    practitioner_id = body.get("practitioner_id")
    if practitioner_id is not None and (
            not isinstance(practitioner_id, int) or isinstance(practitioner_id, bool)):
        fields["practitioner_id"] = "A whole number, or leave it out for any practitioner."
    start = _parse_start(body.get("start"))
    if start is None:
        fields["start"] = "An ISO 8601 date and time with its UTC offset, e.g. 2026-12-01T10:00:00+02:00."
    for name in ("full_name", "email", "phone", "date_of_birth"):
        if not isinstance(patient.get(name), str):
            fields[f"patient.{name}"] = "Required, as text."
    if fields:
        return json_error(422, "invalid", "The booking has errors.", fields)
    if not 1 <= service_id <= 2**31:  # no such id, and too large a number for the database
        return json_error(404, "not_found", "No such service can be booked online.")

    try:
        appointment, token = services.book(
            service_id=service_id, practitioner_id=practitioner_id, start=start,
            patient=patient, consent=body.get("consent"), source="api",
            language=_language(body.get("language")),
        )
    except LookupError as missing:
        return json_error(404, "not_found", f"No such {missing.args[0]} can be booked online.")
    except InvalidDetails as invalid:
        fields = {(k if k in ("consent", "start") else f"patient.{k}"): v
                  for k, v in invalid.fields.items()}
        return json_error(422, "invalid", "The booking has errors.", fields)
    except services.BookingError as refused:
        return json_error(refused.status, refused.code, refused.message, refused.fields or None)

    response = jsonify({
        "reference": appointment.reference,
        # On the clinic's canonical address, never the Host header a client chose.
        "manage_url": canonical_url("scheduler.manage", token=token),
        "start": _iso(appointment.starts_at),
        "end": _iso(appointment.ends_at),
        "practitioner_id": appointment.practitioner_id,
    })
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response

