"""The OpenAPI 3 description of /api/v1, served at /api/v1/openapi.json.

Written by hand next to the API so a reviewer sees both at once. It is exact: every status an
operation can answer is listed with the body it really has (errors name their `error` codes and
the keys `fields` can carry), response objects never carry other properties, and request objects
ignore extra properties (so they allow them). tests/scheduler/test_api.py checks that every route
of the API blueprint is described here; tests/api/test_schemathesis.py runs Schemathesis against
this document (examples included) and fails on a server error or a response that breaks it.
"""
import copy
from datetime import date

# The days the API accepts in /slots' 'from' and 'to' and in a booking's 'start' (api.py
# checks them; the document names them).
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2999, 12, 31)

# What the examples below assume: service 1 with practitioners 1 and 2, both working Mon-Fri
# 10:00-19:00 Kyiv, and practitioner 1 already booked on Tuesday 2026-12-08 at 10:00.
EXAMPLE_DAY = "2026-12-08"
EXAMPLE_START = "2026-12-08T10:00:00+02:00"
# The private token of that booking (tests/api/test_schemathesis.py gives it this one).
EXAMPLE_TOKEN = "q7Zb1m4Xo0s9V3uTn8Lk2Jh6Gf5Ed4Cb3Aa2Yy1Xw0V"
# A course of three sessions from Monday 2026-12-14 10:00 (practitioner 1), its token; and a
# waitlist entry's token (the same test gives them these).
EXAMPLE_COURSE_TOKEN = "c0UrSe1Tok3nXo0s9V3uTn8Lk2Jh6Gf5Ed4Cb3Aa2Yy"
EXAMPLE_COURSE_SESSION_DAY = "2026-12-15"
EXAMPLE_WAITLIST_TOKEN = "wA1tL1sTt0k3nq7Zb1m4Xo0s9V3uTn8Lk2Jh6Gf5Ed4"
EXAMPLE_COURSE_SERVICE = {"id": 2, "name": "Infusion course", "name_uk": "", "description": "",
                          "description_uk": "", "duration_minutes": 60, "grid_minutes": 60,
                          "buffer_minutes": 0, "practitioner_ids": [1], "min_sessions": 3,
                          "max_sessions": 7}
EXAMPLE_PATIENT = {"full_name": "Olena Kovalenko", "email": "olena@example.com",
                   "phone": "+380501234567", "date_of_birth": "1990-05-17"}

# The rule a refused time breaks (422), besides "invalid" for wrong fields.
RULE_CODES = ["in_past", "weekend", "outside_hours", "off_grid", "too_soon", "beyond_horizon",
              "unavailable"]
BOOKING_FIELDS = ["service_id", "practitioner_id", "start", "consent", "patient",
                  "patient.full_name", "patient.email", "patient.phone", "patient.date_of_birth"]

TEXT = {"type": "string", "minLength": 1}
ID = {"type": "integer", "minimum": 1}
DATE_TIME = {"type": "string", "format": "date-time", "example": EXAMPLE_START,
             "description": "ISO 8601 in the clinic's zone, with its UTC offset."}
ERROR_CODES = ["bad_request", "invalid", "not_found", "slot_taken", "too_large", "throttled",
               "method_not_allowed", "server_error", "unavailable", "in_progress", "key_reused",
               "too_late", "not_active", "course_does_not_fit", "not_a_course", *RULE_CODES]

RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": {
        "description": "Requests allowed in the current window (when rate limits are on).",
        "schema": {"type": "integer", "minimum": 0}},
    "X-RateLimit-Remaining": {
        "description": "Requests left in the current window.",
        "schema": {"type": "integer", "minimum": 0}},
    "X-RateLimit-Reset": {
        "description": "When the window resets, in seconds since 1970-01-01 UTC.",
        "schema": {"type": "integer", "minimum": 0}},
    "Retry-After": {
        "description": "Seconds until the window resets (always sent with 429).",
        "schema": {"type": "integer", "minimum": 0}},
}


def _error_schema(codes, fields=(), fields_required=False, example=None):
    """An error body {"error", "message", "fields"?} with exactly these codes and field keys.

    `fields` names the keys `fields` may carry; without any, the body never has `fields`."""
    properties = {
        "error": {"type": "string", "enum": list(codes)},
        "message": {**TEXT, "description": "For a person to read."},
    }
    if fields:
        properties["fields"] = {
            "type": "object",
            "description": "Which field or parameter is wrong, and why.",
            "properties": {name: TEXT for name in fields},
            "additionalProperties": False,
            "minProperties": 1,
        }
    schema = {
        "type": "object",
        "required": ["error", "message", *(["fields"] if fields_required else [])],
        "properties": properties,
        "additionalProperties": False,
    }
    if example is not None:
        schema["example"] = example
    return schema


def _error(description, codes, fields=(), fields_required=False, example=None, headers=None):
    response = {"description": description, "content": {"application/json": {
        "schema": _error_schema(codes, fields, fields_required, example)}}}
    response["headers"] = {**RATE_LIMIT_HEADERS, **(headers or {})}
    return response


def _ok(description, schema, example, headers=None):
    return {"description": description,
            "headers": {**RATE_LIMIT_HEADERS, **(headers or {})},
            "content": {"application/json": {"schema": schema, "example": example}}}


def _query(name, description, schema, required=False, example=None):
    parameter = {"name": name, "in": "query", "required": required,
                 "description": description, "schema": schema}
    if example is not None:
        parameter["example"] = example
    return parameter


def _bad_query(parameters):
    return _error(
        "A parameter is missing or not of its type, or the query holds a NUL character "
        "(then without `fields`).",
        ["bad_request"], fields=parameters,
        example={"error": "bad_request",
                 "message": f"The query parameter '{parameters[0]}' must be a whole number.",
                 "fields": {parameters[0]:
                            f"The query parameter '{parameters[0]}' must be a whole number."}})


# Statuses every operation can answer.
NUL_IN_QUERY = _error("The query holds a NUL character.", ["bad_request"],
                      example={"error": "bad_request",
                               "message": "The request could not be understood."})
THROTTLED = _error(
    "Too many requests from this address: wait `Retry-After` seconds.", ["throttled"],
    example={"error": "throttled",
             "message": "Too many requests. Please wait a minute and try again."},
    headers={"Retry-After": {"description": "Seconds to wait before trying again.",
                             "required": True, "schema": {"type": "integer", "minimum": 0}}})


def _service_schema():
    return {
        "type": "object",
        "required": ["id", "name", "name_uk", "description", "description_uk",
                     "duration_minutes", "grid_minutes", "buffer_minutes", "practitioner_ids"],
        "additionalProperties": False,
        "properties": {
            "id": ID,
            "name": {"type": "string", "maxLength": 120},
            "name_uk": {"type": "string", "maxLength": 120,
                        "description": "The name in Ukrainian; empty when the clinic gave none "
                                       "(then show `name`)."},
            "description": {"type": "string", "description": "May be empty."},
            "description_uk": {"type": "string",
                               "description": "In Ukrainian; empty when none was given."},
            "duration_minutes": {"type": "integer", "minimum": 1, "maximum": 540},
            "grid_minutes": {"type": "integer", "minimum": 1, "maximum": 540,
                             "description": "Slots start on this grid, counted from midnight."},
            "buffer_minutes": {"type": "integer", "minimum": 0, "maximum": 240,
                               "description": "Kept free after each appointment."},
            "practitioner_ids": {"type": "array", "items": ID, "uniqueItems": True,
                                 "description": "Who offers it, ascending."},
        },
    }


PATIENT_SCHEMA = {
    "type": "object",
    "required": ["full_name", "email", "phone", "date_of_birth"],
    "description": "Other properties are ignored.",
    "additionalProperties": True,
    "properties": {
        "full_name": {"type": "string", "minLength": 1, "maxLength": 120,
                      "pattern": r"\S",
                      "description": "At most 120 characters once runs of spaces "
                                     "are made one; no control characters."},
        "email": {"type": "string", "format": "email",
                  "example": EXAMPLE_PATIENT["email"]},
        "phone": {"type": "string", "example": EXAMPLE_PATIENT["phone"],
                  "description": "International, or Ukrainian without the code "
                                 "(050 123 45 67); stored as E.164."},
        "date_of_birth": {"type": "string", "format": "date",
                          "example": EXAMPLE_PATIENT["date_of_birth"],
                          "description": "18 to 120 years ago."},
    },
}
CONSENT_LANGUAGE_PATIENT = {
    "consent": {"type": "boolean", "enum": [True],
                "description": "Consent to the processing of personal data; anything but true "
                               "gets 422."},
    "language": {"type": "string", "enum": ["en", "uk"],
                 "description": "Of the emails and of the error messages, and remembered on the "
                                "patient's record. Left out (or any other value): the request's "
                                "Accept-Language (ru is read as uk; en only when preferred over "
                                "uk), else uk."},
    "patient": PATIENT_SCHEMA,
}


def _booking_request_schema(earliest, latest):
    return {
        "type": "object",
        "required": ["service_id", "start", "patient", "consent"],
        "description": "Other properties are ignored.",
        "additionalProperties": True,
        "properties": {
            "service_id": {"type": "integer",
                           "description": "A service from /services (unknown ids get 404)."},
            "practitioner_id": {
                "type": "integer", "nullable": True,
                "description": "One of the service's practitioners (others get 404); leave it "
                               "out or send null for whoever is free (the least busy that day)."},
            "start": {"type": "string", "format": "date-time",
                      "description": "A start from /slots, with its UTC offset (a time without "
                                     f"one gets 422), between {earliest} and {latest}."},
            **CONSENT_LANGUAGE_PATIENT,
        },
    }




REFERENCE = {"type": "string", "pattern": "^EX-[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{6}$",
             "example": "EX-7K3M9Q"}
MANAGE_LINK = {
    "manage_url": {"type": "string", "format": "uri", "pattern": "/manage/[A-Za-z0-9_-]{43}$",
                   "description": "Private link: show it only to the patient."},
    "manage_token": {"type": "string", "pattern": "^[A-Za-z0-9_-]{43}$",
                     "description": "The private token of that link, for the `X-Manage-Token` "
                                    "header of /booking: keep it like a password."},
}


def _booking_schema():
    return {
        "type": "object",
        "required": ["reference", "manage_url", "manage_token", "start", "end",
                     "practitioner_id"],
        "additionalProperties": False,
        "properties": {
            "reference": REFERENCE,
            **MANAGE_LINK,
            "start": DATE_TIME,
            "end": DATE_TIME,
            "practitioner_id": ID,
        },
    }


def _booking_example(**changes):
    return {"service_id": 1, "start": EXAMPLE_START, "patient": dict(EXAMPLE_PATIENT),
            "consent": True, "language": "uk", **changes}


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "A random value (a UUID) that makes a retry safe: the same key with the same "
                   "body within 24 hours gets the first answer again (marked "
                   "`Idempotent-Replayed: true`) without the work being done twice; with "
                   "another body, 422 `key_reused`; while the first request runs, 409 "
                   "`in_progress` with `Retry-After` (it does not wait).",
    "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
    "example": "2f1c7b9e-4a53-4d0e-9b8f-1c2d3e4f5a6b"}
REPLAYED = {"Idempotent-Replayed": {
    "description": "`true` when this is the first answer to this Idempotency-Key, given again.",
    "schema": {"type": "string", "enum": ["true"]}}}
UNAVAILABLE = _error(
    "The database is busy or unreachable for a moment; nothing was done. Try again after "
    "`Retry-After` seconds (with the same Idempotency-Key, for a POST).", ["unavailable"],
    example={"error": "unavailable", "message": "The booking system is busy for a moment. "
             "Nothing was saved; please try again in a few seconds."},
    headers={"Retry-After": {"description": "Seconds to wait before trying again.",
                             "required": True, "schema": {"type": "integer", "minimum": 0}}})


def _add_error(responses, status, description, code, field=None, headers=None):
    """Let an operation's error response `status` also carry `code` (and `field` in `fields`)."""
    response = responses.get(status)
    if response is None:
        responses[status] = _error(description, [code], fields=[field] if field else (),
                                   headers=headers)
        return
    schema = response["content"]["application/json"]["schema"]
    if code not in schema["properties"]["error"]["enum"]:
        schema["properties"]["error"]["enum"].append(code)
    response["description"] += " " + description
    if field:
        fields = schema["properties"].setdefault("fields", {
            "type": "object", "description": "Which field or parameter is wrong, and why.",
            "properties": {}, "additionalProperties": False, "minProperties": 1})
        fields["properties"][field] = TEXT
    for name, header in (headers or {}).items():
        response["headers"][name] = {**header, "required": False}


def _idempotent(operation):
    """Idempotency-Key on a POST: its parameter, its answers and the replay header."""
    operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
    responses = operation["responses"]
    for status, response in responses.items():
        if status < "500" and status != "429":
            response["headers"] = {**response.get("headers", {}), **REPLAYED}
    retry_after = {"Retry-After": {"description": "Seconds to wait (with `in_progress`).",
                                   "schema": {"type": "integer", "minimum": 0}}}
    _add_error(responses, "400", "Or the Idempotency-Key is not 1 to 255 visible ASCII "
               "characters.", "bad_request", "Idempotency-Key")
    _add_error(responses, "409", "Or (`in_progress`) a request with this Idempotency-Key is "
               "still running.", "in_progress", headers=retry_after)
    _add_error(responses, "422", "Or (`key_reused`) this Idempotency-Key came with another "
               "request in the last 24 hours.", "key_reused", "Idempotency-Key")


def _finish(document):
    """What every operation shares: 503 when the database is away, Idempotency-Key on POSTs.
    On a copy: the building blocks above are shared between operations."""
    document = copy.deepcopy(document)
    for item in document["paths"].values():
        for method, operation in item.items():
            operation["responses"]["503"] = UNAVAILABLE
            if method == "post":
                _idempotent(operation)
    return document


ID_PARAM = {"type": "integer"}
DATE_PARAM = {"type": "string", "format": "date"}
SLOTS_SCHEMA = {"type": "object", "required": ["timezone", "slots"],
                "additionalProperties": False,
                "properties": {"timezone": {"type": "string", "example": "Europe/Kyiv"},
                               "slots": {"type": "array",
                                         "items": {"$ref": "#/components/schemas/Slot"}}}}
RANGE_REFUSED = _error(
    "`invalid`: `to` is before `from`, the range is longer than 62 days, or a day is outside "
    f"{EARLIEST_DAY}..{LATEST_DAY}. `beyond_horizon`: `from` is past the last day online "
    "booking reaches, which the message names (an empty list would hide that).",
    ["invalid", "beyond_horizon"], fields=["from", "to"], fields_required=True,
    example={"error": "beyond_horizon", "message": "Online booking reaches up to 2027-02-05.",
             "fields": {"from": "Online booking reaches up to 2027-02-05."}})
TOKEN_HEADER = {
    "name": "X-Manage-Token", "in": "header", "required": True,
    "description": "The booking's private token (`manage_token` of the booking's answer, the "
                   "last part of its manage link). In a header, never in the URL: URLs end up "
                   "in access logs.",
    "schema": {"type": "string"}, "example": EXAMPLE_TOKEN}
NO_SUCH_BOOKING = _error("No booking has this token.", ["not_found"],
                         example={"error": "not_found", "message": "No booking has this token."})
NO_TOKEN = _error("The X-Manage-Token header is missing (or the query holds a NUL character).",
                  ["bad_request"], fields=["X-Manage-Token"],
                  example={"error": "bad_request", "message": "Send the booking's private "
                           "token (manage_token) in the X-Manage-Token header.",
                           "fields": {"X-Manage-Token": "Send the booking's private token "
                                      "(manage_token) in the X-Manage-Token header."}})
NO_TOKEN_OR_BODY = _error(
    "The X-Manage-Token header is missing, or the body is not a JSON object.", ["bad_request"],
    fields=["X-Manage-Token"])
NO_TOKEN_OR_DAYS = _error(
    "The X-Manage-Token header or a parameter is missing or not of its type.", ["bad_request"],
    fields=["X-Manage-Token", "from", "to"],
    example={"error": "bad_request",
             "message": "The query parameter 'from' is required (YYYY-MM-DD).",
             "fields": {"from": "The query parameter 'from' is required (YYYY-MM-DD)."}})
NOT_AN_OBJECT = _error(
    "The body is not a JSON object (or not sent as application/json), or cannot be read: not "
    "UTF-8, nested more than 32 levels deep, or a NUL character or unpaired surrogate in a "
    "string.", ["bad_request"],
    example={"error": "bad_request",
             "message": "Send a JSON object (Content-Type: application/json)."})
TOO_LARGE = _error("The body is larger than 1 MiB.", ["too_large"],
                   example={"error": "too_large", "message": "What you sent is too large."})
APPOINTMENT_STATUSES = ["booked", "arrived", "completed", "no_show", "cancelled"]
COURSE_STATUSES = ["awaiting_review", "confirmed", "declined", "cancelled", "completed",
                   "not_attended"]
PRIVATE = {"Cache-Control": {"description": "The body holds private data.", "required": True,
                             "schema": {"type": "string", "enum": ["no-store"]}}}
SESSION = {"type": "object", "required": ["day", "start", "end"], "additionalProperties": False,
           "properties": {"day": {"type": "integer", "minimum": 1,
                                  "description": "The session's number in the course."},
                          "start": DATE_TIME, "end": DATE_TIME}}


def _managed_schema():
    return {
        "type": "object", "additionalProperties": False,
        "required": ["kind", "reference", "status", "service_id", "practitioner_id", "start",
                     "end", "can_change", "change_until", "sessions"],
        "properties": {
            "kind": {"type": "string", "enum": ["appointment", "course"]},
            "reference": REFERENCE,
            "status": {"type": "string", "enum": sorted(set(APPOINTMENT_STATUSES
                                                            + COURSE_STATUSES)),
                       "description": "An appointment's status, or a course's."},
            "service_id": ID, "practitioner_id": ID,
            "start": {**DATE_TIME, "description": "Of the appointment, or of the course's first "
                                                  "session not cancelled."},
            "end": {**DATE_TIME, "description": "Of the appointment, or of the course's last "
                                                "session not cancelled."},
            "can_change": {"type": "boolean",
                           "description": "Whether it can still be cancelled or moved online "
                                          "(until MANAGE_CUTOFF_HOURS, 12, before it starts; a "
                                          "course: before its next session)."},
            "change_until": {**DATE_TIME, "nullable": True,
                             "description": "Until when it can be changed online (null when "
                                            "nothing is left to change)."},
            "sessions": {"type": "array", "description": "A course's sessions (empty for an "
                                                         "appointment).",
                         "items": {**SESSION, "required": ["day", "start", "end", "status"],
                                   "properties": {**SESSION["properties"], "status": {
                                       "type": "string", "enum": APPOINTMENT_STATUSES}}}},
        },
        "example": {"kind": "appointment", "reference": "EX-7K3M9Q", "status": "booked",
                    "service_id": 1, "practitioner_id": 1, "start": EXAMPLE_START,
                    "end": "2026-12-08T11:00:00+02:00", "can_change": True,
                    "change_until": "2026-12-07T22:00:00+02:00", "sessions": []},
    }


def _managed(description):
    return {"description": description, "headers": {**RATE_LIMIT_HEADERS, **PRIVATE},
            "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/ManagedBooking"}}}}


def _day_range(example):
    return [_query("from", "First day, clinic time (YYYY-MM-DD).", DATE_PARAM, required=True,
                   example=example),
            _query("to", "Last day, clinic time, at most 62 days in all.", DATE_PARAM,
                   required=True, example=example)]


def _move_request(example_start):
    return {"required": True, "content": {"application/json": {
        "schema": {"type": "object", "required": ["start"], "additionalProperties": True,
                   "description": "Other properties are ignored.",
                   "properties": {"start": {"type": "string", "format": "date-time"},
                                  "language": CONSENT_LANGUAGE_PATIENT["language"]}},
        "example": {"start": example_start, "language": "en"}}}}


def _manage_paths():
    change_refused = ["invalid", "too_late", "not_active"]
    return {
        "/booking": {"get": {
            "operationId": "getBooking",
            "summary": "The booking (or course) behind a private token",
            "parameters": [TOKEN_HEADER],
            "responses": {"200": _managed("The booking as the manage page shows it."),
                          "400": NO_TOKEN, "404": NO_SUCH_BOOKING, "429": THROTTLED},
        }},
        "/booking/slots": {"get": {
            "operationId": "listBookingSlots",
            "summary": "Free times the booking can move to (a course: starts for its rest)",
            "description": "The booking's practitioner's free slots, without its own time; for "
                           "a course, the starts where its remaining sessions fit (each with "
                           "its first session's end). Empty once it can no longer be changed "
                           "online.",
            "parameters": [
                TOKEN_HEADER,
                *_day_range(EXAMPLE_DAY)],
            "responses": {
                "200": _ok("Free slots sorted by start.", SLOTS_SCHEMA,
                           {"timezone": "Europe/Kyiv", "slots": []}),
                "400": NO_TOKEN_OR_DAYS,
                "404": NO_SUCH_BOOKING, "422": RANGE_REFUSED, "429": THROTTLED},
        }},
        "/booking/cancel": {"post": {
            "operationId": "cancelBooking",
            "summary": "Cancel the booking (a course: every session not held yet)",
            "description": "The same rules as the manage page: until MANAGE_CUTOFF_HOURS (12) "
                           "before the start (a course: before its next session).",
            "parameters": [TOKEN_HEADER],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"type": "object", "additionalProperties": True,
                           "description": "Other properties are ignored.",
                           "properties": {
                               "reason": {"type": "string", "maxLength": 500,
                                          "description": "Why, if the patient says (optional; "
                                                         "longer text is cut)."},
                               "language": CONSENT_LANGUAGE_PATIENT["language"]}},
                "example": {"reason": "I feel better", "language": "en"}}}},
            "responses": {
                "200": _managed("Cancelled: the booking as it is now."),
                "400": NO_TOKEN_OR_BODY,
                "404": NO_SUCH_BOOKING, "413": TOO_LARGE,
                "422": _error("`too_late`: past the cut-off (call the clinic). `not_active`: "
                              "cancelled already. `invalid`: `reason` is not text.",
                              change_refused, fields=["reason"],
                              example={"error": "too_late", "message": "It is too late to "
                                       "change this booking online. Please call the clinic."}),
                "429": THROTTLED},
        }},
        "/booking/reschedule": {"post": {
            "operationId": "rescheduleBooking",
            "summary": "Move the booking (a course: its rest, from a new start)",
            "description": "To a start from /booking/slots, with the same practitioner; the "
                           "old time is released only together with the new one being taken.",
            "parameters": [TOKEN_HEADER],
            "requestBody": _move_request("2026-12-08T12:00:00+02:00"),
            "responses": {
                "200": _managed("Moved: the booking as it is now."),
                "400": NO_TOKEN_OR_BODY,
                "404": NO_SUCH_BOOKING,
                "409": _error("The time (or a session's) was taken.", ["slot_taken"]),
                "413": TOO_LARGE,
                "422": _error("`too_late`, `not_active`, a clinic rule the time breaks (as for "
                              "/bookings), `course_does_not_fit` (the message names the days), "
                              "or `invalid` (`fields.start` says why).",
                              [*change_refused, "course_does_not_fit", *RULE_CODES],
                              fields=["start"]),
                "429": THROTTLED},
        }},
        **_session_paths(change_refused),
    }


def _session_paths(change_refused):
    token = {**TOKEN_HEADER, "description": "The course's private token (`manage_token` of "
             "the course's answer). In a header, never in the URL.",
             "example": EXAMPLE_COURSE_TOKEN}
    day = {"name": "day", "in": "path", "required": True,
           "description": "The session's number in the course (`sessions[].day`).",
           "schema": {"type": "integer", "minimum": 1}, "example": 2}
    not_found = _error("No booking has this token, or the course has no session `day` (a "
                       "`day` that is not a whole number is an unknown path).", ["not_found"],
                       example={"error": "not_found",
                                "message": "This course has no session 9."})
    not_a_course = "`not_a_course`: the token is a single appointment's (use /booking/...)."
    return {
        "/booking/sessions/{day}/slots": {"get": {
            "operationId": "listCourseSessionSlots",
            "summary": "Free times one session of a course can move to",
            "description": "As the course's session page offers them: the practitioner's free "
                           "slots after the session before it and before the session after it "
                           "(for the last one, up to 14 days after its neighbour or itself), "
                           "within `from`..`to`, without its own time. Empty once the course "
                           "(or this session) can no longer be changed online.",
            "parameters": [
                token, day,
                *_day_range(EXAMPLE_COURSE_SESSION_DAY)],
            "responses": {
                "200": _ok("Free slots sorted by start.", SLOTS_SCHEMA,
                           {"timezone": "Europe/Kyiv", "slots": [
                               {"start": "2026-12-15T11:00:00+02:00",
                                "end": "2026-12-15T12:00:00+02:00", "practitioner_id": 1}]}),
                "400": NO_TOKEN_OR_DAYS,
                "404": not_found,
                "422": _error(RANGE_REFUSED["description"] + " " + not_a_course,
                              ["invalid", "beyond_horizon", "not_a_course"],
                              fields=["from", "to"]),
                "429": THROTTLED},
        }},
        "/booking/sessions/{day}/reschedule": {"post": {
            "operationId": "rescheduleCourseSession",
            "summary": "Move one session of a course, keeping the order",
            "description": "To a time from /booking/sessions/{day}/slots: the other sessions "
                           "stay where they are. Until MANAGE_CUTOFF_HOURS (12) before the "
                           "course's next session, like every change to a course.",
            "parameters": [token, day],
            "requestBody": _move_request("2026-12-15T12:00:00+02:00"),
            "responses": {
                "200": _managed("Moved: the course as it is now."),
                "400": NO_TOKEN_OR_BODY,
                "404": not_found,
                "409": _error("The time was taken.", ["slot_taken"]),
                "413": TOO_LARGE,
                "422": _error("`too_late` (past the cut-off, or the session has begun or taken "
                              "place), `not_active` (the session or course is cancelled), a "
                              "clinic rule the time breaks (as for /bookings), or `invalid` "
                              "(`fields.start` says why: also a time not between the sessions "
                              "before and after it). " + not_a_course,
                              [*change_refused, "not_a_course", *RULE_CODES], fields=["start"],
                              example={"error": "invalid", "message": "A session must stay "
                                       "between the sessions before and after it.",
                                       "fields": {"start": "A session must stay between the "
                                                           "sessions before and after it."}}),
                "429": THROTTLED},
        }},
    }


def _course_paths():
    course_start = {"type": "object", "required": ["start", "practitioner_id", "sessions"],
                    "additionalProperties": False,
                    "properties": {"start": DATE_TIME, "practitioner_id": ID,
                                   "sessions": {"type": "array", "items": {
                                       **SESSION, "required": ["start", "end"],
                                       "properties": {"start": DATE_TIME,
                                                      "end": DATE_TIME}}}}}
    return {
        "/course-services": {"get": {
            "operationId": "listCourseServices",
            "summary": "Services booked as a course of several sessions",
            "responses": {
                "200": _ok("The course services, in the clinic's order.", {
                    "type": "object", "required": ["services"], "additionalProperties": False,
                    "properties": {"services": {"type": "array", "items": {
                        "$ref": "#/components/schemas/CourseService"}}}},
                    {"services": [EXAMPLE_COURSE_SERVICE]}),
                "400": NUL_IN_QUERY, "429": THROTTLED},
        }},
        "/course-starts": {"get": {
            "operationId": "listCourseStarts",
            "summary": "Starts where the whole course fits",
            "description": "Sessions at the same time on consecutive clinic days, with one "
                           "practitioner (and a chair, if the service needs one).",
            "parameters": [
                _query("service", "A service id from /course-services.", ID_PARAM,
                       required=True, example=2),
                _query("sessions", "How many sessions (min_sessions to max_sessions).",
                       ID_PARAM, required=True, example=3),
                _query("from", "First day of the first session, clinic time (YYYY-MM-DD).",
                       DATE_PARAM, required=True, example=EXAMPLE_DAY),
                _query("to", "Last day of the first session, at most 62 days in all.",
                       DATE_PARAM, required=True, example=EXAMPLE_DAY),
                _query("practitioner", "Only this practitioner's starts.", ID_PARAM,
                       example=1)],
            "responses": {
                "200": _ok("Starts sorted by time; one per practitioner who fits.", {
                    "type": "object", "required": ["timezone", "starts"],
                    "additionalProperties": False,
                    "properties": {"timezone": {"type": "string"},
                                   "starts": {"type": "array", "items": course_start}}},
                    {"timezone": "Europe/Kyiv", "starts": []}),
                "400": _bad_query(["service", "sessions", "from", "to", "practitioner"]),
                "404": _error("No such course service, or the practitioner does not offer it.",
                              ["invalid"], fields=["service", "sessions", "practitioner"],
                              fields_required=True),
                "422": _error("As for /slots (`invalid`, `beyond_horizon`), or `sessions` is "
                              "outside the service's counts.", ["invalid", "beyond_horizon"],
                              fields=["from", "to", "sessions"], fields_required=True),
                "429": THROTTLED},
        }},
        "/courses": {"post": {
            "operationId": "createCourse",
            "summary": "Book a course: every session, or none",
            "description": "The patient gets one confirmation email listing every session, "
                           "with the private link. A course may wait for a clinician's review "
                           "(`awaiting_review`) before it is confirmed.",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"type": "object",
                           "required": ["service_id", "sessions", "start", "patient",
                                        "consent"],
                           "additionalProperties": True,
                           "description": "Other properties are ignored.",
                           "properties": {
                               "service_id": {"type": "integer"},
                               "sessions": {"type": "integer"},
                               "practitioner_id": {"type": "integer", "nullable": True},
                               "start": {"type": "string", "format": "date-time",
                                         "description": "A start from /course-starts."},
                               **CONSENT_LANGUAGE_PATIENT}},
                "examples": {"threeSessions": {
                    "summary": "Three sessions from Wednesday 10:00 (201)",
                    "value": {"service_id": 2, "sessions": 3,
                              "start": "2026-12-09T10:00:00+02:00",
                              "patient": dict(EXAMPLE_PATIENT), "consent": True,
                              "language": "uk"}}}}}},
            "responses": {
                "201": {"description": "Booked.", "headers": {**RATE_LIMIT_HEADERS, **PRIVATE},
                        "content": {"application/json": {"schema": {
                            "$ref": "#/components/schemas/Course"}}}},
                "400": NOT_AN_OBJECT,
                "404": _error("No such course service, or the practitioner does not offer "
                              "it.", ["not_found"]),
                "409": _error("A session's time was taken.", ["slot_taken"]),
                "413": TOO_LARGE,
                "422": _error("`invalid` (`fields` names each), `course_does_not_fit` (the "
                              "message names the days that are not free), or a clinic rule "
                              "the start breaks (as for /bookings).",
                              ["invalid", "course_does_not_fit", *RULE_CODES],
                              fields=[*BOOKING_FIELDS, "sessions"]),
                "429": THROTTLED},
        }},
    }


def _waitlist_path():
    wishes = {
        "service_id": {"type": "integer", "description": "A service from /services."},
        "practitioner_id": {"type": "integer", "nullable": True,
                            "description": "One of its practitioners, or null for anyone."},
        "first_day": {"type": "string", "format": "date"},
        "last_day": {"type": "string", "format": "date",
                     "description": "At most 60 days after first_day, within the horizon."},
        "weekdays": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 6},
                     "description": "Monday 0 ... Friday 4 (days the clinic is open)."},
        "earliest": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$",
                     "description": "Earliest start, clinic time."},
        "latest": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$",
                   "description": "Latest end, clinic time."},
    }
    entry = {"type": "object", "additionalProperties": False,
             "required": [*wishes, "leave_url", "leave_token"],
             "properties": {**{name: dict(value) for name, value in wishes.items()},
                            "service_id": ID,
                            "leave_url": {"type": "string", "format": "uri",
                                          "pattern": "/waitlist/leave/[A-Za-z0-9_-]{43}$",
                                          "description": "Private link to leave the list."},
                            "leave_token": {"type": "string", "pattern": "^[A-Za-z0-9_-]{43}$",
                                            "description": "The private token of that link, "
                                                           "for the `X-Waitlist-Token` header: "
                                                           "keep it like a password."}}}
    read = {"type": "object", "additionalProperties": False,
            "required": [*wishes, "status"],
            "properties": {**{name: dict(value) for name, value in wishes.items()},
                           "service_id": ID,
                           "status": {"type": "string", "enum": ["waiting", "left", "booked"],
                                      "description": "`waiting`: freed times that fit are "
                                                     "offered by email; `left`: off the list; "
                                                     "`booked`: a time was booked through an "
                                                     "offer."}},
            "example": {"service_id": 1, "practitioner_id": 1, "first_day": EXAMPLE_DAY,
                        "last_day": "2026-12-18", "weekdays": [0, 1, 2, 3, 4],
                        "earliest": "10:00", "latest": "19:00", "status": "waiting"}}
    token = {"name": "X-Waitlist-Token", "in": "header", "required": True,
             "description": "The entry's private token (`leave_token` of the join answer, the "
                            "last part of its leave link). In a header, never in the URL.",
             "schema": {"type": "string"}, "example": EXAMPLE_WAITLIST_TOKEN}
    no_token = _error("The X-Waitlist-Token header is missing (or the query holds a NUL "
                      "character).", ["bad_request"], fields=["X-Waitlist-Token"])
    no_entry = _error("No waitlist entry has this token.", ["not_found"],
                      example={"error": "not_found",
                               "message": "No waitlist entry has this token."})
    read_answer = {"headers": {**RATE_LIMIT_HEADERS, **PRIVATE},
                   "content": {"application/json": {"schema": read}}}
    return {"/waitlist": {"get": {
        "operationId": "getWaitlistEntry",
        "summary": "The waitlist entry behind a private token: its wishes and status",
        "parameters": [token],
        "responses": {"200": {"description": "The entry, as its leave page shows it.",
                              **read_answer},
                      "400": no_token, "404": no_entry, "429": THROTTLED},
    }, "post": {
        "operationId": "joinWaitlist",
        "summary": "Wait for a time that suits: freed times are offered by email",
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"type": "object", "additionalProperties": True,
                       "description": "Other properties are ignored.",
                       "required": ["service_id", "first_day", "last_day", "weekdays",
                                    "earliest", "latest", "patient", "consent"],
                       "properties": {**wishes, **CONSENT_LANGUAGE_PATIENT}},
            "example": {"service_id": 1, "first_day": EXAMPLE_DAY, "last_day": "2026-12-18",
                        "weekdays": [0, 1, 2, 3, 4], "earliest": "10:00", "latest": "19:00",
                        "patient": dict(EXAMPLE_PATIENT), "consent": True,
                        "language": "uk"}}}},
        "responses": {
            "201": {"description": "On the list; an email confirms it with the leave link.",
                    "headers": {**RATE_LIMIT_HEADERS, **PRIVATE},
                    "content": {"application/json": {"schema": entry}}},
            "400": NOT_AN_OBJECT,
            "404": _error("No such service can be booked online.", ["not_found"]),
            "413": TOO_LARGE,
            "422": _error("Wishes or details that break a rule: `fields` names each.",
                          ["invalid"], fields=[
                              "service_id", "practitioner_id", "first_day", "last_day",
                              "weekdays", "earliest", "latest", "consent", "patient",
                              *[f for f in BOOKING_FIELDS if f.startswith("patient.")]]),
            "429": THROTTLED},
    }}, "/waitlist/leave": {"post": {
        "operationId": "leaveWaitlist",
        "summary": "Leave the waitlist: no more offers; open ones end",
        "description": "Idempotent: leaving again, or after booking through an offer, changes "
                       "nothing and answers 200 with the entry as it is (`status` `left`, or "
                       "`booked`).",
        "parameters": [token],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"type": "object", "additionalProperties": True,
                       "description": "Other properties are ignored.",
                       "properties": {"language": CONSENT_LANGUAGE_PATIENT["language"]}},
            "example": {"language": "en"}}}},
        "responses": {
            "200": {"description": "Off the list: the entry as it is now.", **read_answer},
            "400": _error("The X-Waitlist-Token header is missing, or the body is not a JSON "
                          "object.", ["bad_request"], fields=["X-Waitlist-Token"]),
            "404": no_entry, "413": TOO_LARGE, "429": THROTTLED},
    }}}


def _course_schemas():
    service = _service_schema()
    course_service = {**service, "required": [*service["required"], "min_sessions",
                                              "max_sessions"],
                      "properties": {**service["properties"],
                                     "min_sessions": {"type": "integer", "minimum": 1},
                                     "max_sessions": {"type": "integer", "minimum": 1}}}
    course = {"type": "object", "additionalProperties": False,
              "required": ["reference", "manage_url", "manage_token", "status",
                           "practitioner_id", "sessions"],
              "properties": {"reference": REFERENCE, **MANAGE_LINK,
                             "status": {"type": "string", "enum": ["awaiting_review",
                                                                   "confirmed"],
                                        "description": "`awaiting_review`: held, until a "
                                                       "clinician confirms it."},
                             "practitioner_id": ID,
                             "sessions": {"type": "array", "items": SESSION}}}
    return {"CourseService": course_service, "Course": course,
            "ManagedBooking": _managed_schema()}


def openapi_document():
    slot = {"type": "object", "required": ["start", "end", "practitioner_id"],
            "additionalProperties": False,
            "properties": {"start": DATE_TIME, "end": DATE_TIME, "practitioner_id": ID}}
    in_ukrainian = "In Ukrainian; empty when the clinic gave none (then show the main one)."
    practitioner = {"type": "object",
                    "required": ["id", "name", "name_uk", "title", "title_uk"],
                    "additionalProperties": False,
                    "properties": {"id": ID, "name": {"type": "string", "maxLength": 120},
                                   "name_uk": {"type": "string", "maxLength": 120,
                                               "description": in_ukrainian},
                                   "title": {"type": "string", "maxLength": 120,
                                             "description": "May be empty."},
                                   "title_uk": {"type": "string", "maxLength": 120,
                                                "description": in_ukrainian}}}
    service_example = {"id": 1, "name": "First consultation",
                       "name_uk": "Первинна консультація", "description": "",
                       "description_uk": "",
                       "duration_minutes": 60, "grid_minutes": 30, "buffer_minutes": 0,
                       "practitioner_ids": [1, 2]}
    practitioners_example = [{"id": 1, "name": "Dr Neuro", "name_uk": "", "title": "",
                              "title_uk": ""},
                             {"id": 2, "name": "Dr Psych", "name_uk": "", "title": "",
                              "title_uk": ""}]
    date_note = f" Between {EARLIEST_DAY} and {LATEST_DAY}, else 422."
    return _finish({
        "openapi": "3.0.3",
        "info": {
            "title": "Expio booking API",
            "version": "1",
            "description": (
                "Book appointments at the Expio clinic (Kyiv). Opening hours Mon-Fri 10:00-19:00 "
                "Europe/Kyiv. Times are ISO 8601 with their UTC offset. No CSRF token is "
                "needed.\n\n"
                "Errors are JSON: `{\"error\": code, \"message\": text, \"fields\": {name: why}}` "
                "(`fields` only where a field or parameter is to blame). Besides the statuses "
                "listed per operation, a method a path does not offer gets 405 "
                "(`method_not_allowed`), an unknown path 404 (`not_found`), and an unexpected "
                "failure 500 (`server_error`), all in that shape; a database that is busy or "
                "away answers 503 (`unavailable`, with `Retry-After`). Messages come in the "
                "body's `language` (en, uk), else Accept-Language (or `?lang=`). A booking is "
                "read and changed with its private token in the `X-Manage-Token` header, a "
                "waitlist entry with its token in `X-Waitlist-Token` (never in a URL). Every "
                "POST takes an `Idempotency-Key`. Requests are rate-limited per address (429 "
                "`throttled`, with `Retry-After`); booking has a tighter limit."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/services": {"get": {
                "operationId": "listServices",
                "summary": "Services that can be booked online",
                "description": "Single appointments only: courses (several sessions) are not "
                               "booked here.",
                "responses": {
                    "200": _ok("The services, in the clinic's order.", {
                        "type": "object", "required": ["services"],
                        "additionalProperties": False,
                        "properties": {"services": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Service"}}}},
                        {"services": [service_example]}),
                    "400": NUL_IN_QUERY,
                    "429": THROTTLED,
                },
            }},
            "/practitioners": {"get": {
                "operationId": "listPractitioners",
                "summary": "Practitioners, optionally only those offering a service",
                "parameters": [_query("service", "A service id from /services.", ID_PARAM,
                                      example=1)],
                "responses": {
                    "200": _ok("The practitioners, by id.", {
                        "type": "object", "required": ["practitioners"],
                        "additionalProperties": False,
                        "properties": {"practitioners": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Practitioner"}}}},
                        {"practitioners": practitioners_example}),
                    "400": _bad_query(["service"]),
                    "404": _error(
                        "No such service can be booked online.", ["invalid"],
                        fields=["service"], fields_required=True,
                        example={"error": "invalid",
                                 "message": "No such service can be booked online.",
                                 "fields": {"service": "No such service can be booked online."}}),
                    "429": THROTTLED,
                },
            }},
            "/slots": {"get": {
                "operationId": "listSlots",
                "summary": "Free slots between two dates (both inclusive, at most 62 days)",
                "parameters": [
                    _query("service", "A service id from /services.", ID_PARAM,
                           required=True, example=1),
                    _query("from", "First day, clinic time (YYYY-MM-DD)." + date_note,
                           DATE_PARAM, required=True, example=EXAMPLE_DAY),
                    _query("to", "Last day, clinic time (YYYY-MM-DD), not before `from`, at most "
                           "62 days in all." + date_note, DATE_PARAM, required=True,
                           example=EXAMPLE_DAY),
                    _query("practitioner", "Only this practitioner's slots (one of the "
                           "service's practitioners).", ID_PARAM, example=2),
                ],
                "responses": {
                    "200": _ok("Free slots sorted by start; a time two practitioners have free "
                               "is listed once for each.", SLOTS_SCHEMA,
                               {"timezone": "Europe/Kyiv", "slots": [
                                   {"start": "2026-12-08T10:00:00+02:00",
                                    "end": "2026-12-08T11:00:00+02:00", "practitioner_id": 2},
                                   {"start": "2026-12-08T10:30:00+02:00",
                                    "end": "2026-12-08T11:30:00+02:00", "practitioner_id": 2}]}),
                    "400": _bad_query(["service", "from", "to", "practitioner"]),
                    "404": _error(
                        "No such service can be booked online, or the practitioner does not "
                        "offer it.", ["invalid"], fields=["service", "practitioner"],
                        fields_required=True,
                        example={"error": "invalid",
                                 "message": "No such practitioner offers this service.",
                                 "fields": {"practitioner":
                                            "No such practitioner offers this service."}}),
                    "422": RANGE_REFUSED,
                    "429": THROTTLED,
                },
            }},
            "/bookings": {"post": {
                "operationId": "createBooking",
                "summary": "Book a slot",
                "description": "The patient gets a confirmation email with the private link.",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/BookingRequest"},
                    "examples": {
                        "anyPractitioner": {
                            "summary": "Whoever is free at that time (201)",
                            "value": _booking_example()},
                        "takenSlot": {
                            "summary": "A time this practitioner already has booked (409)",
                            "value": _booking_example(practitioner_id=1)},
                        "outsideHours": {
                            "summary": "A time outside opening hours (422 outside_hours)",
                            "value": _booking_example(start="2026-12-08T09:30:00+02:00")},
                    },
                }}},
                "responses": {
                    "201": {
                        "description": "Booked.",
                        "headers": {**RATE_LIMIT_HEADERS, "Cache-Control": {
                            "description": "The body holds a private link.", "required": True,
                            "schema": {"type": "string", "enum": ["no-store"]}}},
                        "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Booking"},
                            "example": {
                                "reference": "EX-7K3M9Q",
                                "manage_url": "https://booking.expio.ua/manage/"
                                              + EXAMPLE_TOKEN,
                                "manage_token": EXAMPLE_TOKEN,
                                "start": "2026-12-08T10:00:00+02:00",
                                "end": "2026-12-08T11:00:00+02:00",
                                "practitioner_id": 2}}}},
                    "400": NOT_AN_OBJECT,
                    "404": _error(
                        "No such service can be booked online, or the practitioner does not "
                        "offer it.", ["not_found"],
                        example={"error": "not_found",
                                 "message": "No such service can be booked online."}),
                    "409": _error(
                        "The slot was taken: nobody asked for is free at that time any more.",
                        ["slot_taken"],
                        example={"error": "slot_taken", "message": "Sorry, that time has just "
                                 "been taken. Please choose another."}),
                    "413": TOO_LARGE,
                    "422": _error(
                        "`invalid`: fields are missing or wrong (`fields` names each). Or the "
                        "time breaks a clinic rule, named by `error`: `in_past`, `weekend`, "
                        "`outside_hours`, `off_grid` (not a start /slots offers), `too_soon` "
                        "(less than the minimum notice), `beyond_horizon` (too far ahead), "
                        "`unavailable` (nobody asked for works then); `fields.start` says why.",
                        ["invalid", *RULE_CODES], fields=BOOKING_FIELDS,
                        example={"error": "outside_hours",
                                 "message": "That time is outside the clinic's opening hours "
                                            "(Mon-Fri 10:00-19:00).",
                                 "fields": {"start": "That time is outside the clinic's opening "
                                                     "hours (Mon-Fri 10:00-19:00)."}}),
                    "429": THROTTLED,
                },
            }},
            **_manage_paths(),
            **_course_paths(),
            **_waitlist_path(),
            "/openapi.json": {"get": {
                "operationId": "getOpenApiDocument",
                "summary": "This document",
                "responses": {
                    "200": {"description": "OpenAPI 3 document.",
                            "headers": RATE_LIMIT_HEADERS,
                            "content": {"application/json": {"schema": {
                                "type": "object", "required": ["openapi", "info", "paths"],
                                "properties": {"openapi": {"type": "string",
                                                           "pattern": r"^3\.0\.\d+$"}}}}}},
                    "400": NUL_IN_QUERY,
                    "429": THROTTLED,
                },
            }},
        },
        "components": {"schemas": {
            "Error": {
                "type": "object", "required": ["error", "message"],
                "additionalProperties": False,
                "description": "The shape of every error; each response above lists its own "
                               "codes and the keys its `fields` can have.",
                "properties": {
                    "error": {"type": "string", "enum": ERROR_CODES},
                    "message": TEXT,
                    "fields": {"type": "object", "additionalProperties": TEXT, "minProperties": 1,
                               "description": "Which field or parameter is wrong, and why."}},
                "example": {"error": "slot_taken", "message": "Sorry, that time has just been "
                            "taken. Please choose another."}},
            "Service": _service_schema(),
            "Practitioner": practitioner,
            "Slot": slot,
            "BookingRequest": _booking_request_schema(EARLIEST_DAY, LATEST_DAY),
            "Booking": _booking_schema(),
            **_course_schemas(),
        }},
    })
