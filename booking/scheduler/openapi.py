"""The OpenAPI 3 description of /api/v1, served at /api/v1/openapi.json.

Written by hand next to the API so a reviewer sees both at once; a test checks that every route
of the API blueprint is described here and that the examples match real responses.
"""

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "example": "slot_taken"},
        "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "Which field or parameter is wrong, and why."},
    },
}


def _error(description):
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _query(name, description, schema, required=False):
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema}


def openapi_document():
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Expio booking API",
            "version": "1",
            "description": (
                "Book appointments at the Expio clinic (Kyiv). Opening hours Mon-Fri 10:00-19:00 "
                "Europe/Kyiv. Times are ISO 8601 with their UTC offset. No CSRF token is needed."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/services": {"get": {
                "summary": "Services that can be booked online",
                "responses": {"200": {"description": "The services", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "services": {"type": "array",
                                     "items": {"$ref": "#/components/schemas/Service"}}}}}}}},
            }},
            "/practitioners": {"get": {
                "summary": "Practitioners, optionally only those offering a service",
                "parameters": [_query("service", "A service id", {"type": "integer"})],
                "responses": {
                    "200": {"description": "The practitioners", "content": {
                        "application/json": {"schema": {"type": "object", "properties": {
                            "practitioners": {"type": "array", "items": {
                                "$ref": "#/components/schemas/Practitioner"}}}}}}},
                    "400": _error("A parameter is malformed"),
                    "404": _error("Unknown service"),
                },
            }},
            "/slots": {"get": {
                "summary": "Free slots between two dates (both inclusive, at most 62 days)",
                "parameters": [
                    _query("service", "A service id", {"type": "integer"}, required=True),
                    _query("from", "First day, clinic time", {"type": "string", "format": "date"},
                           required=True),
                    _query("to", "Last day, clinic time", {"type": "string", "format": "date"},
                           required=True),
                    _query("practitioner", "Only this practitioner's slots", {"type": "integer"}),
                ],
                "responses": {
                    "200": {"description": "Free slots sorted by start", "content": {
                        "application/json": {"schema": {"type": "object", "properties": {
                            "timezone": {"type": "string", "example": "Europe/Kyiv"},
                            "slots": {"type": "array",
                                      "items": {"$ref": "#/components/schemas/Slot"}}}}}}},
                    "400": _error("A parameter is missing or malformed"),
                    "404": _error("Unknown service or practitioner"),
                    "422": _error("The range is reversed or longer than 62 days"),
                },
            }},
            "/bookings": {"post": {
                "summary": "Book a slot",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/BookingRequest"}}}},
                "responses": {
                    "201": {"description": "Booked", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Booking"}}}},
                    "400": _error("The body is not a JSON object"),
                    "404": _error("Unknown service or practitioner"),
                    "409": _error("The slot was taken (error: slot_taken)"),
                    "422": _error("Invalid field, or a time outside opening hours, in the past, "
                                  "off the grid or beyond the booking horizon"),
                },
            }},
            "/openapi.json": {"get": {
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3 document"}},
            }},
        },
        "components": {"schemas": {
            "Error": ERROR,
            "Service": {"type": "object", "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"},
                "description": {"type": "string"}, "duration_minutes": {"type": "integer"},
                "grid_minutes": {"type": "integer"}, "buffer_minutes": {"type": "integer"},
                "practitioner_ids": {"type": "array", "items": {"type": "integer"}}}},
            "Practitioner": {"type": "object", "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"},
                "title": {"type": "string"}}},
            "Slot": {"type": "object", "properties": {
                "start": {"type": "string", "format": "date-time",
                          "example": "2026-12-01T10:00:00+02:00"},
                "end": {"type": "string", "format": "date-time"},
                "practitioner_id": {"type": "integer"}}},
            "BookingRequest": {"type": "object",
                               "required": ["service_id", "start", "patient", "consent"],
                               "properties": {
                "service_id": {"type": "integer"},
                "practitioner_id": {"type": "integer",
                                    "description": "Leave out for any free practitioner"},
                "start": {"type": "string", "format": "date-time"},
                "consent": {"type": "boolean", "enum": [True],
                            "description": "Consent to the processing of personal data"},
                "language": {"type": "string", "enum": ["en", "uk"]},
                "patient": {"type": "object",
                            "required": ["full_name", "email", "phone", "date_of_birth"],
                            "properties": {
                    "full_name": {"type": "string", "maxLength": 120},
                    "email": {"type": "string", "format": "email"},
                    "phone": {"type": "string", "example": "+380501234567"},
                    "date_of_birth": {"type": "string", "format": "date"}}}}},
            "Booking": {"type": "object", "properties": {
                "reference": {"type": "string", "example": "EX-7K3M9Q"},
                "manage_url": {"type": "string", "format": "uri",
                               "description": "Private link: show it only to the patient"},
                "start": {"type": "string", "format": "date-time"},
                "end": {"type": "string", "format": "date-time"},
                "practitioner_id": {"type": "integer"}}},
        }},
    }
