"""The door's part of the OpenAPI document (``openapi.py`` merges it in)."""

from __future__ import annotations

from ..services.door import MAX_SCANS

_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time",
                  "description": "ISO 8601 with the UTC offset of the event's time zone."}
_OUTCOMES = ["checked_in", "already_checked_in", "cancelled", "waitlisted", "not_for_this_event", "unknown", "exited"]

SCHEMAS = {
    "DoorItem": {
        "type": "object",
        "required": ["code", "name", "organization", "status", "checked_in_at", "door", "search"],
        "properties": {
            "code": {"type": "string", "description": "The check-in code (the QR code's content)."},
            "name": {"type": "string", "description": "The name in its bearer's order (王丽, Anna Schmidt)."},
            "organization": {"type": "string"},
            "status": {"type": "string", "enum": ["confirmed", "waitlisted", "cancelled"]},
            "checked_in_at": _NULLABLE_TIME,
            "door": {"type": ["string", "null"], "description": "The door of the check-in."},
            "search": {"type": "string", "description": "Search keys, space-separated, in search form "
                       "(docs/architecture.md, \"The door\"): a query matches when its search form is in a key."},
        },
    },
    "Scan": {
        "type": "object",
        "required": ["id", "code", "scanned_at"],
        "properties": {
            "id": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,64}$",
                   "description": "Made on the device (a UUID): the same id again counts once."},
            "code": {"type": "string", "maxLength": 2000, "description": "A code, or a URL holding one."},
            "scanned_at": {"type": "string", "format": "date-time", "description": "With its offset."},
            "door": {"type": "string", "maxLength": 100},
            "device": {"type": "string", "maxLength": 100},
            "offline": {"type": "boolean", "description": "Decided on the device without the server."},
            "exit": {"type": "boolean", "description": "A scan of a device in exit mode."},
        },
    },
    "ScanResult": {
        "type": "object",
        "required": ["id", "outcome", "checked_in_at", "door", "name"],
        "properties": {
            "id": {"type": "string"},
            "outcome": {"type": ["string", "null"], "enum": [*_OUTCOMES, None],
                        "description": "null when the scan was refused (see error)."},
            "checked_in_at": _NULLABLE_TIME,
            "door": {"type": ["string", "null"]},
            "name": {"type": ["string", "null"]},
            "error": {"type": "string", "enum": ["scan_id_reused", "scanned_in_future"]},
            "message": {"type": "string"},
        },
    },
    "CheckinStats": {
        "type": "object",
        "required": ["expected", "checked_in", "inside", "doors", "arrivals"],
        "properties": {
            "expected": {"type": "integer", "description": "Confirmed registrations."},
            "checked_in": {"type": "integer"},
            "inside": {"type": "integer", "description": "Checked in and not seen leaving by an exit-mode device."},
            "doors": {"type": "array", "items": {"type": "object", "properties": {
                "door": {"type": "string"}, "checked_in": {"type": "integer"},
                "scans_per_minute": {"type": "array", "items": {"type": "integer"},
                                     "description": "The last five minutes, oldest first."}}}},
            "arrivals": {"type": "array", "items": {"type": "object", "properties": {
                "from": {"type": "string", "format": "date-time"}, "count": {"type": "integer"}}},
                "description": "Check-ins per five minutes."},
        },
    },
}


def _json_body(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def door_paths(slug: dict, unauthorized: dict, error) -> dict:
    """The door's routes; ``error(description)`` makes an answer with the Error schema."""
    security = [{"organizerToken": []}, {"organizerSession": []}]
    forbidden = error("The token's scope does not reach this route (a read token on a write).")
    item = {"$ref": "#/components/schemas/DoorItem"}
    return {
        "/events/{slug}/checkin-list": {"get": {
            "operationId": "checkinList",
            "summary": "The event's check-in list for a door device, or what changed since a cursor.",
            "security": security,
            "parameters": [slug, {"name": "since", "in": "query", "schema": {"type": "string"},
                                  "description": "`cursor` of an earlier answer (opaque)."}],
            "responses": {
                "200": _json_body({"type": "object", "required": ["items", "cursor"], "properties": {
                    "items": {"type": "array", "items": item}, "cursor": {"type": "string"}}},
                    "Every registration (or those changed since), and the cursor for the next fetch."),
                "400": error("A cursor this server did not give out."),
                "401": unauthorized, "403": forbidden, "404": error("No such event (or not this account's)."),
            },
        }},
        "/events/{slug}/checkins": {"post": {
            "operationId": "recordCheckins",
            "summary": f"A batch of up to {MAX_SCANS} scans; each answered in order, each stored once, "
                       "the earliest scan of a guest wins.",
            "security": security,
            "parameters": [slug],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["scans"], "properties": {
                    "scans": {"type": "array", "items": {"$ref": "#/components/schemas/Scan"}}}}}}},
            "responses": {
                "200": _json_body({"type": "object", "properties": {
                    "results": {"type": "array", "items": {"$ref": "#/components/schemas/ScanResult"}}}},
                    "One result per scan, in order."),
                "400": error("Not in the batch's shape (`errors` by `scans[i].field`), or a session's "
                             "request without its CSRF token; nothing stored."),
                "401": unauthorized, "403": forbidden, "404": error("No such event (or not this account's)."),
                "413": error(f"More than {MAX_SCANS} scans; nothing stored."),
            },
        }},
        "/events/{slug}/checkins/undo": {"post": {
            "operationId": "undoCheckin",
            "summary": "Take a check-in back (organizers and admins), with a reason kept in the log.",
            "security": security,
            "parameters": [slug],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["code", "reason"], "properties": {
                    "code": {"type": "string", "maxLength": 2000},
                    "reason": {"type": "string", "minLength": 1, "maxLength": 500}}}}}},
            "responses": {
                "200": _json_body({"type": "object", "properties": {"item": item}}, "The guest, no longer checked in."),
                "400": error("No code or no reason."),
                "401": unauthorized, "403": forbidden,
                "404": error("No such event, or no guest of it has this code."),
                "409": error("The guest is not checked in."),
            },
        }},
        "/events/{slug}/walk-ins": {"post": {
            "operationId": "registerWalkIn",
            "summary": "Register a person at the door (organizers and admins) and check them in: capacity "
                       "and the waiting list apply, the confirmation mail goes, the registration window does not.",
            "security": security,
            "parameters": [slug],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["email", "family_name", "given_name", "privacy_consent"],
                "properties": {
                    "email": {"type": "string", "format": "email", "maxLength": 254},
                    "family_name": {"type": "string", "maxLength": 100},
                    "given_name": {"type": "string", "maxLength": 100},
                    "organization": {"type": "string", "maxLength": 200},
                    "job_title": {"type": "string", "maxLength": 200},
                    "language": {"type": "string", "enum": ["en", "zh", "de"], "default": "en"},
                    "privacy_consent": {"type": "boolean", "const": True},
                    "door": {"type": "string", "maxLength": 100}, "device": {"type": "string", "maxLength": 100},
                }}}}},
            "responses": {
                "201": _json_body({"type": "object", "properties": {
                    "outcome": {"type": "string", "enum": ["checked_in", "already_checked_in", "waitlisted",
                                                           "cancelled"]}, "item": item}},
                    "Registered (or found registered) and, with a seat, checked in."),
                "400": {"description": "Invalid fields, with messages per field.", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/FieldErrors"}}}},
                "401": unauthorized, "403": forbidden, "404": error("No such event (or not this account's)."),
                "409": error("Full without a waiting list, or not published."),
            },
        }},
        "/events/{slug}/checkin-stats": {"get": {
            "operationId": "checkinStats",
            "summary": "The live view: checked in of expected, per door, arrivals per five minutes, "
                       "scans per minute, inside now.",
            "security": security,
            "parameters": [slug],
            "responses": {
                "200": _json_body({"$ref": "#/components/schemas/CheckinStats"}, "The figures now."),
                "401": unauthorized, "403": forbidden, "404": error("No such event (or not this account's)."),
            },
        }},
    }
