"""The writing routes' part of the OpenAPI document (``openapi.py`` merges it in)."""

from __future__ import annotations

from ..services.event_values import (MAX_CAPACITY, MAX_CITY, MAX_NOTES, MAX_SLUG, QUESTION_TYPES,
                                     TEXT_LIMITS)


def _texts(limit: int) -> dict:
    return {"type": "object", "description": "Text per language (en, zh, de); English required.",
            "properties": {lang: {"type": ["string", "null"], "maxLength": limit} for lang in ("en", "zh", "de")},
            "additionalProperties": False}


_LOCAL_TIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$", "description": "Local date and time in the event's zone, no offset: "
                                                "2027-03-14T18:00:00."}

SCHEMAS = {
    "EventRecord": {
        "type": "object",
        "description": "One record of the events file (docs/architecture.md, \"Events file\"). A PUT "
                       "writes every field: one left out returns to its default (notes excepted).",
        "required": ["title", "city", "country", "timezone", "starts_at", "ends_at"],
        "properties": {
            "slug": {"type": "string", "maxLength": MAX_SLUG, "description": "If given, the URL's slug."},
            "status": {"type": "string", "enum": ["draft", "published", "cancelled"], "default": "draft"},
            "title": _texts(TEXT_LIMITS["title"]), "description": _texts(TEXT_LIMITS["description"]),
            "venue": _texts(TEXT_LIMITS["venue"]),
            "city": {"type": "string", "maxLength": MAX_CITY},
            "country": {"type": "string", "enum": ["DE", "CN"]},
            "timezone": {"type": "string", "description": "IANA time zone, e.g. Europe/Berlin."},
            "starts_at": _LOCAL_TIME, "ends_at": _LOCAL_TIME,
            "registration_opens": {**_LOCAL_TIME, "type": ["string", "null"]},
            "registration_closes": {**_LOCAL_TIME, "type": ["string", "null"]},
            "capacity": {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_CAPACITY,
                         "description": "null or absent: unlimited."},
            "waitlist": {"type": "boolean", "default": True},
            "languages": {"type": "array", "items": {"type": "string", "enum": ["en", "zh", "de"]},
                          "minItems": 2, "maxItems": 2, "description": "The pair every mail carries."},
            "reminder_offsets": {"type": "array", "items": {"type": "string"},
                                 "description": "ISO 8601 durations before the start, e.g. [P7D, P1D]."},
            "questions": {"type": "array", "items": {"type": "object", "properties": {
                "key": {"type": "string"}, "type": {"type": "string", "enum": list(QUESTION_TYPES)},
                "required": {"type": "boolean"}, "label": {"type": "object"}, "choices": {"type": "array"}}}},
            "notes": {"type": ["string", "null"], "maxLength": MAX_NOTES},
        },
        "additionalProperties": False,
    },
    "RecordErrors": {
        "type": "object", "required": ["error", "errors"],
        "properties": {"error": {"type": "string", "const": "invalid_event"}, "message": {"type": "string"},
                       "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                                  "description": "Every problem, by field (`title.en`, `starts_at`, `_body`)."}},
    },
}


def write_paths(slug: dict, unauthorized: dict, error_response) -> dict:
    """``PUT /events/{slug}`` and ``POST /events/{slug}/registrations/{registration_id}/cancel``."""
    forbidden = error_response("The token's scope is not `write` (`insufficient_scope`), or, to create an "
                               "event, it is not an admin's token for every event.")
    return {
        "/events/{slug}": {
            "put": {
                "operationId": "putEvent",
                "summary": "Create or update an event from an events-file record (a `write` token).",
                "security": [{"organizerToken": []}],
                "parameters": [slug],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/EventRecord"}}}},
                "responses": {
                    "200": {"description": "Updated.", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Event"}}}},
                    "201": {"description": "Created.", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Event"}}}},
                    "400": error_response("The body is not JSON."),
                    "401": unauthorized,
                    "403": forbidden,
                    "404": error_response("An event the token does not reach."),
                    "422": {"description": "The record has problems; nothing was stored.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RecordErrors"}}}},
                },
            },
        },
        "/events/{slug}/registrations/{registration_id}/cancel": {
            "post": {
                "operationId": "cancelRegistration",
                "summary": "Cancel a registration (a `write` token); its seat goes to the next in line.",
                "security": [{"organizerToken": []}],
                "parameters": [slug, {"name": "registration_id", "in": "path", "required": True, "schema": {"type": "string"},
                                      "description": "The registration's id, as in the API and the export."}],
                "responses": {
                    "200": {"description": "Cancelled (also when it already was).", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Registration"}}}},
                    "401": unauthorized,
                    "403": forbidden,
                    "404": error_response("No such event or registration, or one the token does not reach."),
                },
            },
        },
    }
