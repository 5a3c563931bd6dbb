"""The OpenAPI 3.1 document of API v1, served at ``GET /api/v1/openapi.json``."""

from __future__ import annotations

from flask import current_app

from .openapi_door import SCHEMAS as DOOR_SCHEMAS
from .openapi_door import door_paths
from .openapi_writes import SCHEMAS as WRITE_SCHEMAS
from .openapi_writes import write_paths

_TEXT_BY_LANGUAGE = {
    "type": "object",
    "description": "Text per language, falling back to English.",
    "properties": {lang: {"type": "string"} for lang in ("en", "zh", "de")},
    "additionalProperties": False,
}
_TIME = {"type": ["string", "null"], "format": "date-time",
         "description": "ISO 8601 with the UTC offset of the event's time zone."}
_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                   "description": "Messages per field."},
    },
}


def _error_response(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def openapi_document() -> dict:
    """Every API route, its parameters, bodies, answers and security."""
    base_url = current_app.config["BASE_URL"]
    slug = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"},
            "description": "The event's address name, e.g. hamburg-launch-2019."}
    unauthorized = {
        "description": "No token, or a wrong, expired or revoked one; no data.",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": 'Bearer realm="eventsvc"'}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "eventsvc API",
            "version": "1",
            "description": "Events of the Smart City China report, registrations, and the "
                           "organizers' view of them. Organizer routes need "
                           "`Authorization: Bearer <token>` (tokens are made on the organizer "
                           "pages or with `flask organizers token EMAIL`).",
        },
        "servers": [{"url": f"{base_url}/api/v1"}],
        "components": {
            "securitySchemes": {
                "organizerToken": {"type": "http", "scheme": "bearer",
                                   "description": "An organizer API token (scopes read, write, checkin)."},
                "organizerSession": {"type": "apiKey", "in": "cookie", "name": "session",
                                     "description": "The organizer pages' login session (the door's routes "
                                                    "only); a POST carries the page's CSRF token in X-CSRFToken."},
            },
            "schemas": {
                "Error": _ERROR,
                **DOOR_SCHEMAS,
                **WRITE_SCHEMAS,
                "FieldErrors": {
                    "type": "object",
                    "required": ["errors"],
                    "properties": {"errors": {"type": "object", "additionalProperties": {
                        "type": "array", "items": {"type": "string"}}}},
                },
                "Event": {
                    "type": "object",
                    "properties": {
                        "slug": {"type": "string"},
                        "status": {"type": "string", "enum": ["draft", "published", "cancelled"]},
                        "title": _TEXT_BY_LANGUAGE, "description": _TEXT_BY_LANGUAGE,
                        "venue": _TEXT_BY_LANGUAGE,
                        "city": {"type": "string"},
                        "country": {"type": "string", "enum": ["DE", "CN"]},
                        "timezone": {"type": "string", "description": "IANA time zone."},
                        "starts_at": _TIME, "ends_at": _TIME,
                        "capacity": {"type": ["integer", "null"], "description": "null: unlimited."},
                        "waitlist_enabled": {"type": "boolean"},
                        "languages": {"type": "array", "items": {"type": "string", "enum": ["en", "zh", "de"]}},
                        "registration_open": {"type": "boolean"},
                    },
                },
                "Registration": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string", "description": "Public registration id."},
                        "status": {"type": "string", "enum": ["confirmed", "waitlisted", "cancelled"]},
                        "family_name": {"type": "string"}, "given_name": {"type": "string"},
                        "email": {"type": "string", "format": "email"},
                        "email_status": {"type": "string", "enum": ["ok", "bouncing"],
                                         "description": "bouncing: mail to the address came back for good."},
                        "organization": {"type": "string"}, "job_title": {"type": "string"},
                        "language": {"type": "string", "enum": ["en", "zh", "de"]},
                        "marketing_consent": {"type": "boolean"},
                        "answers": {"type": "object", "description": "Answers to the event's own questions by key: "
                                    "text, a choice key, or a list of choice keys."},
                        "registered_at": _TIME, "checked_in_at": _TIME, "cancelled_at": _TIME,
                    },
                },
                "NewRegistration": {
                    "type": "object",
                    "required": ["email", "family_name", "given_name", "privacy_consent"],
                    "properties": {
                        "email": {"type": "string", "format": "email", "maxLength": 254},
                        "family_name": {"type": "string", "maxLength": 100},
                        "given_name": {"type": "string", "maxLength": 100},
                        "organization": {"type": "string", "maxLength": 200},
                        "job_title": {"type": "string", "maxLength": 200},
                        "language": {"type": "string", "enum": ["en", "zh", "de"], "default": "en"},
                        "privacy_consent": {"type": "boolean", "const": True,
                                            "description": "Must be true: the privacy notice is accepted."},
                        "marketing_consent": {"type": "boolean", "default": False,
                                              "description": "Optional: hear about follow-up events."},
                        "altcha": {"type": "string", "maxLength": 2000,
                                   "description": "A solved challenge from GET /challenge; needed only "
                                                  "after several registrations in a short while."},
                    },
                },
            },
        },
        "paths": {
            "/events": {
                "get": {
                    "operationId": "listEvents",
                    "summary": "Events: published ones for everyone, all of them with an organizer token.",
                    "security": [{}, {"organizerToken": []}],
                    "responses": {
                        "200": {"description": "The events, earliest first.", "content": {"application/json": {
                            "schema": {"type": "object", "properties": {
                                "data": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}}}}}},
                        "401": unauthorized,
                    },
                },
            },
            "/events/{slug}/registrations": {
                "get": {
                    "operationId": "listRegistrations",
                    "summary": "Registrations of an event, in registration order, a page at a time; "
                               "with `q` the door's search instead (`items` of DoorItem, at most 50).",
                    "security": [{"organizerToken": []}, {"organizerSession": []}],
                    "parameters": [
                        slug,
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                     "maximum": 500, "default": 100}},
                        {"name": "cursor", "in": "query", "schema": {"type": "string"},
                         "description": "`next_cursor` of the previous page (opaque)."},
                        {"name": "status", "in": "query",
                         "schema": {"type": "string", "enum": ["confirmed", "waitlisted", "cancelled"]}},
                        {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200},
                         "description": "Search by name (also toneless pinyin, ASCII umlauts), organization "
                                        "or address; the only use of this route for `checkin` tokens."},
                    ],
                    "responses": {
                        "200": {"description": "One page; `next_cursor` is null on the last. With `q`: `items`.",
                                "content": {"application/json": {"schema": {"type": "object", "properties": {
                                    "data": {"type": "array", "items": {"$ref": "#/components/schemas/Registration"}},
                                    "next_cursor": {"type": ["string", "null"]},
                                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/DoorItem"}}}}}}},
                        "400": _error_response("A bad limit, status or cursor."),
                        "401": unauthorized,
                        "404": _error_response("No such event."),
                    },
                },
                "post": {
                    "operationId": "register",
                    "summary": "Register for an event (same rules as the form); no token needed.",
                    "security": [{}],
                    "parameters": [slug],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/NewRegistration"}}}},
                    "responses": {
                        "201": {"description": "Received: the registrant learns by mail whether they have a seat "
                                               "or a place on the waiting list. An address already registered "
                                               "gets the same answer (and a mail with its own link); "
                                               "no id, which would tell the two apart.",
                                "content": {"application/json": {"schema": {"type": "object", "properties": {
                                    "status": {"type": "string", "const": "received"}}}}}},
                        "400": {"description": "Invalid fields, with messages per field in the caller's language "
                                               "(`?lang=` or Accept-Language); `_body` for the body as a whole.",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FieldErrors"}}}},
                        "404": _error_response("No such event, or not published."),
                        "409": {"description": "The event takes no registrations now, or is full without a waiting list "
                                               "(for an address already registered too: it gets its link by mail).",
                                "content": {"application/json": {"schema": {"type": "object", "properties": {
                                    "error": {"type": "string", "enum": ["registration_closed", "event_full"]},
                                    "message": {"type": "string"}}}}}},
                        "429": {"description": "Too many registrations from this client or for this address in a "
                                               "short time (wait and try again), or `challenge_required`: solve "
                                               "a challenge from `GET /challenge` and send it as `altcha`.",
                                "content": {"application/json": {"schema": {"type": "object", "properties": {
                                    "error": {"type": "string"}, "message": {"type": "string"}}}}}},
                    },
                },
            },
            **door_paths(slug, unauthorized, _error_response),
            **write_paths(slug, unauthorized, _error_response),
            "/challenge": {
                "get": {
                    "operationId": "challenge",
                    "summary": "A proof-of-work challenge (ALTCHA v1), needed by a client that registered "
                               "several times in a short while: find `number` in 0..maxnumber with "
                               "SHA-256(salt + number) = challenge, and send base64 of the JSON "
                               "{algorithm, challenge, number, salt, signature} as `altcha`.",
                    "security": [{}],
                    "responses": {"200": {"description": "The challenge.", "content": {"application/json": {
                        "schema": {"type": "object", "required": ["algorithm", "challenge", "maxnumber", "salt", "signature"],
                                   "properties": {"algorithm": {"type": "string", "const": "SHA-256"},
                                                  "challenge": {"type": "string"}, "maxnumber": {"type": "integer"},
                                                  "salt": {"type": "string"}, "signature": {"type": "string"}}}}}}},
                },
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "security": [{}],
                    "responses": {"200": {"description": "OpenAPI 3.1 document."}},
                },
            },
        },
    }
