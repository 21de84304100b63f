"""JSON API for other programs (a website widget, a messenger bot): /api/v1/...

Same services as the HTML pages, so the same rules. Errors are JSON:
{"error": "<code>", "message": "...", "fields": {...}}; bad parameters get 400/422 naming the
parameter, unknown ids 404, a taken slot 409. Messages are in the request's language: the
body's "language" (en, uk), else ?lang= or Accept-Language.

This module: the blueprint, what every request shares (the JSON body, Idempotency-Key,
parameters, errors), and the single-appointment calls. The others put their routes on the same
blueprint: api_manage.py (a booking by its private token), api_courses.py (courses),
api_waitlist.py (the waitlist).
"""
import functools
import json
from datetime import date, datetime

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from .. import idempotency
from ..errors import json_error
from ..extensions import limiter
from ..jsonbody import MAX_DEPTH, MalformedBody, NotAnObject, read_object
from ..notifications.messages import canonical_url
from ..security import booking_limit, limit_blueprint
from ..timeutil import clinic_tz
from . import reference, services
from . import availability, booking_errors, booking_rules
from .contacts import InvalidDetails
from .openapi import EARLIEST_DAY, LATEST_DAY, openapi_document

bp = Blueprint("api", __name__)
limit_blueprint(limiter, bp, "RATELIMIT_API")


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
    # The private token a request acts with (a booking's, a waitlist entry's) is part of it.
    on_behalf_of = "\n".join(filter(None, (request.headers.get("X-Manage-Token", ""),
                                            request.headers.get("X-Waitlist-Token", ""))))
    outcome = idempotency.begin(key, request.method, request.path, g.json_body,
                                on_behalf_of=on_behalf_of)
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


class ApiError(Exception):
    """An answer in the JSON error shape; the message is text already (in the request's
    language: it is made where the error is raised)."""

    def __init__(self, status, code, message, fields=None):
        super().__init__(str(message))
        self.status, self.code, self.message = status, code, str(message)
        self.fields = {name: str(text) for name, text in (fields or {}).items()} or None


def bad_parameter(status, name, message):
    """A query parameter (or a header) is missing or wrong: `fields` names it."""
    return ApiError(status, "bad_request" if status == 400 else "invalid", message,
                    {name: message})


@bp.errorhandler(ApiError)
def api_error(error):
    return json_error(error.status, error.code, error.message, error.fields)


def in_request_language(view):
    """Run a POST view in the body's "language" when it is one we write in, so its messages
    (and the services' refusals) come in that language; else the request's (Accept-Language).
    Domain errors become ApiErrors here, inside that language."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        asked = g.json_body.get("language") if request.method == "POST" else None
        if asked in current_app.config["LANGUAGES"]:
            with force_locale(asked):
                return _answering_refusals(view, *args, **kwargs)
        return _answering_refusals(view, *args, **kwargs)
    return wrapped


def _answering_refusals(view, *args, **kwargs):
    try:
        return view(*args, **kwargs)
    except booking_errors.BookingError as refused:  # SlotTaken, SlotNotBookable, too late ...
        raise ApiError(refused.status, refused.code, refused.message, refused.fields) from None
    except InvalidDetails as invalid:
        raise invalid_details(invalid) from None
    except LookupError as missing:  # an unknown service, practitioner ... id
        raise not_found(missing) from None


def language_of(body):
    """The patient's language: the body's "language" when it is one we write in, else the
    request's (Accept-Language, Russian read as Ukrainian), else the default, Ukrainian."""
    asked = body.get("language")
    return asked if asked in current_app.config["LANGUAGES"] else str(get_locale())


# --- Query parameters -----------------------------------------------------------------------------

def int_arg(name, required=True):
    raw = request.args.get(name)
    if raw is None or raw == "":
        if required:
            raise bad_parameter(400, name, _("The query parameter '%(name)s' is required.",
                                             name=name))
        return None
    try:
        value = int(raw)
    except ValueError:
        raise bad_parameter(400, name, _("The query parameter '%(name)s' must be a whole "
                                         "number.", name=name)) from None
    if value < 1 or value > 2**31:
        raise bad_parameter(404, name, _("No %(name)s has this id.", name=name))
    return value


def date_arg(name):
    raw = request.args.get(name)
    if not raw:
        raise bad_parameter(400, name, _("The query parameter '%(name)s' is required "
                                         "(YYYY-MM-DD).", name=name))
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise bad_parameter(400, name, _("The query parameter '%(name)s' must be a date, "
                                         "YYYY-MM-DD.", name=name)) from None
    # No slot is that far away, and the calendar arithmetic around year 1 or 9999 overflows.
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise bad_parameter(422, name, _("'%(name)s' must be between %(first)s and %(last)s.",
                                         name=name, first=EARLIEST_DAY.isoformat(),
                                         last=LATEST_DAY.isoformat()))
    return value


def day_range():
    """?from=&to= (local dates, both included): in order, at most MAX_SLOT_RANGE_DAYS, and
    not starting past the booking horizon (422 naming the last bookable day)."""
    first_day, last_day = date_arg("from"), date_arg("to")
    if last_day < first_day:
        raise bad_parameter(422, "to", _("'to' must not be before 'from'."))
    longest = current_app.config["MAX_SLOT_RANGE_DAYS"]
    if (last_day - first_day).days + 1 > longest:
        raise bad_parameter(422, "to", _("The range may cover at most %(days)d days.",
                                         days=longest))
    last_bookable = booking_rules.last_bookable_day()
    if first_day > last_bookable:
        message = _("Online booking reaches up to %(date)s.", date=last_bookable.isoformat())
        raise ApiError(422, "beyond_horizon", message, {"from": message})
    return first_day, last_day


def service_or_404(service):
    if service is None:
        raise bad_parameter(404, "service", _("No such service can be booked online."))
    return service


def practitioner_or_404(service, practitioner_id, practitioners_for=availability.practitioners_for):
    """None for no practitioner_id; else one of those offering the service, or 404."""
    if practitioner_id is None:
        return None
    for practitioner in practitioners_for(service):
        if practitioner.id == practitioner_id:
            return practitioner
    raise bad_parameter(404, "practitioner", _("No such practitioner offers this service."))


# --- Bodies ---------------------------------------------------------------------------------------

PATIENT_FIELDS = ("full_name", "email", "phone", "date_of_birth")


def whole_number(value):
    return isinstance(value, int) and not isinstance(value, bool)


def parse_start(raw):
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


def start_message():
    return _("An ISO 8601 date and time with its UTC offset, e.g. 2026-12-01T10:00:00+02:00.")


def check_booking_body(body, fields=None, *, with_start=True):
    """The fields the booking doors (a slot, a course, the waitlist) share: service_id,
    practitioner_id, patient, and (with_start) start. Raises 422 naming every wrong field,
    those in `fields` too; returns (patient mapping, start)."""
    fields = fields if fields is not None else {}
    start = parse_start(body.get("start")) if with_start else None
    if with_start and start is None:
        fields["start"] = start_message()
    patient = body.get("patient")
    if not isinstance(patient, dict):
        raise ApiError(422, "invalid", _("The request has errors."), {
            **fields, "patient": _("An object with full_name, email, phone, date_of_birth.")})
    if not whole_number(body.get("service_id")):
        fields["service_id"] = _("A whole number: the id of a service.")
    practitioner_id = body.get("practitioner_id")
    if practitioner_id is not None and not whole_number(practitioner_id):
        fields["practitioner_id"] = _("A whole number, or leave it out for any practitioner.")
    for name in PATIENT_FIELDS:
        if not isinstance(patient.get(name), str):
            fields[f"patient.{name}"] = _("Required, as text.")
    if fields:
        raise ApiError(422, "invalid", _("The request has errors."), fields)
    if not 1 <= body["service_id"] <= 2**31:  # no such id, and too large for the database
        raise ApiError(404, "not_found", _("No such service can be booked online."))
    return patient, start


def invalid_details(error, own=("consent", "start", "sessions")):
    """InvalidDetails as 422: patient fields named patient.<name>."""
    return ApiError(422, "invalid", _("The request has errors."), {
        (name if name in own else f"patient.{name}"): message
        for name, message in error.fields.items()})


def not_found(missing):
    """LookupError("service" / "practitioner" / ...) as 404."""
    messages = {"practitioner": _("No such practitioner offers this service."),
                "appointment": _("No booking has this token."),
                "course": _("No booking has this token.")}
    return ApiError(404, "not_found",
                    messages.get(missing.args[0] if missing.args else "",
                                 _("No such service can be booked online.")))


def iso(instant):
    """ISO 8601 in the clinic's zone, with its offset: 2026-12-01T10:00:00+02:00."""
    return instant.astimezone(clinic_tz()).isoformat()


def private(payload, status=200):
    """A JSON answer holding a private link or token: never cached."""
    response = jsonify(payload)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def manage_link(token):
    """The private manage link, on the clinic's canonical address (never the Host header a
    client chose), and its token for X-Manage-Token (api_manage.py)."""
    return {"manage_url": canonical_url("scheduler.manage", token=token), "manage_token": token}


# --- Reference data -------------------------------------------------------------------------------

def service_json(service, practitioner_ids):
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
        "practitioner_ids": practitioner_ids,
    }


def _practitioner_json(practitioner):
    return {"id": practitioner.id, "name": practitioner.full_name,
            "name_uk": practitioner.full_name_uk, "title": practitioner.title,
            "title_uk": practitioner.title_uk}


def slots_json(slots):
    # The engine already gives each slot in the clinic's zone: no second conversion; and an
    # instant is written once however many slots share it (one's end is often another's
    # start, and practitioners share starts).
    text = {}
    for slot in slots:
        for instant in (slot.start, slot.end):
            if instant not in text:
                text[instant] = instant.isoformat()
    return {
        "timezone": current_app.config["CLINIC_TZ"],
        "slots": [{"start": text[s.start], "end": text[s.end],
                   "practitioner_id": s.practitioner_id} for s in slots],
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


# The read-only calls below take services, practitioners, hours and closures from the
# per-worker cache (reference.py: one query to know it is current), not from the ORM.

@bp.get("/services")
def list_services():
    # Courses book several sessions at once: /course-services lists them.
    known = reference.current()
    return jsonify({"services": [
        service_json(s, [p.id for p in known.practitioners_for(s)])
        for s in known.bookable() if not s.is_course]})


@bp.get("/practitioners")
def list_practitioners():
    service_id = int_arg("service", required=False)
    known = reference.current()
    if service_id is None:
        seen = {}
        for service in known.bookable():
            if service.is_course:
                continue
            for practitioner in known.practitioners_for(service):
                seen.setdefault(practitioner.id, practitioner)
        practitioners = [seen[pid] for pid in sorted(seen)]
    else:
        practitioners = known.practitioners_for(
            service_or_404(known.bookable_service(service_id)))
    return jsonify({"practitioners": [_practitioner_json(p) for p in practitioners]})


@bp.get("/slots")
def list_slots():
    service_id = int_arg("service")
    first_day, last_day = day_range()
    practitioner_id = int_arg("practitioner", required=False)
    # The cached reference data is checked in the same query as the appointments (one round
    # trip); when it has changed, or before answering 404, it is read again.
    known, checked = reference.cached()
    for _attempt in range(3):  # changed three times while we read: give up
        try:
            service = service_or_404(known.bookable_service(service_id))
            practitioner = practitioner_or_404(service, practitioner_id,
                                               known.practitioners_for)
            body = reference.slots_answer(
                known, service, first_day, last_day, practitioner,
                lambda found: json.dumps(slots_json(found), separators=(",", ":")))
            return current_app.response_class(body, mimetype="application/json")
        except ApiError:
            if checked:
                raise
        except reference.Stale:
            pass
        known, checked = reference.current(), True
    raise reference.Stale()


# --- Booking a slot -------------------------------------------------------------------------------

@bp.post("/bookings")
@limiter.limit(booking_limit)
@in_request_language
def create_booking():
    body = g.json_body
    patient, start = check_booking_body(body)
    appointment, token = services.book(
        service_id=body["service_id"], practitioner_id=body.get("practitioner_id"),
        start=start, patient=patient, consent=body.get("consent"), source="api",
        language=language_of(body))
    return private({
        "reference": appointment.reference,
        **manage_link(token),
        "start": iso(appointment.starts_at),
        "end": iso(appointment.ends_at),
        "practitioner_id": appointment.practitioner_id,
    }, status=201)
