"""Organizer API v1: events, registrations behind an organizer token, the OpenAPI document.

``Authorization: Bearer <token>``; tokens are made on the organizer pages or with
``flask organizers token EMAIL`` and stored hashed. A missing, wrong, expired or revoked token
gets a 401 with ``WWW-Authenticate`` and never any data. A token reaches what its owner may see
(``services/access.py``), narrowed to one event when it was made for one; any other event is a
404, as an unknown one. ``GET /events`` is public for published events;
with a token it lists drafts and cancelled events too.
"""

from __future__ import annotations

import base64
import binascii

from flask import g, jsonify, request

from ..models import Event, EventStatus, OrganizerRole, Registration, TokenScope
from ..models.registration import REGISTRATION_STATUSES
from ..services.attendees import registrations_after
from ..services.events import events_in_start_order, find_event
from ..services.access import may_see
from .auth import authenticate, not_found, token_or_session
from .blueprint import bp
from .door import search_registrations
from .openapi import openapi_document

DEFAULT_LIMIT = 100
MAX_LIMIT = 500


def _bad_request(message: str, field: str | None = None):
    body = {"error": "bad_request", "message": message}
    if field:
        body["errors"] = {field: [message]}
    return jsonify(body), 400


def event_json(event: Event) -> dict:
    """An event as the API shows it; times in ISO 8601 with the event zone's offset."""
    return {
        "slug": event.slug,
        "status": event.status,
        "title": event.title or {},
        "description": event.description or {},
        "venue": event.venue or {},
        "city": event.city,
        "country": event.country,
        "timezone": event.timezone,
        "starts_at": event.local_start().isoformat(),
        "ends_at": event.local_end().isoformat(),
        "capacity": event.capacity,
        "waitlist_enabled": event.waitlist_enabled,
        "languages": event.languages or [],
        "registration_open": event.registration_open(),
    }


def registration_json(registration: Registration, event: Event) -> dict:
    zone = event.zone

    def local(value):
        return value.astimezone(zone).isoformat() if value else None

    return {
        "id": registration.public_id,
        "status": registration.status,
        "family_name": registration.family_name,
        "given_name": registration.given_name,
        "email": registration.email,
        "email_status": registration.email_status,
        "organization": registration.organization,
        "job_title": registration.job_title,
        "language": registration.language,
        "marketing_consent": registration.marketing_consent,
        "answers": registration.answers or {},
        "registered_at": local(registration.created_at),
        "checked_in_at": local(registration.checked_in_at),
        "cancelled_at": local(registration.cancelled_at),
    }


def encode_cursor(last_id: int) -> str:
    """An opaque cursor: clients pass it back and never read it."""
    return base64.urlsafe_b64encode(f"r:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    kind, _, number = text.partition(":")
    if kind != "r" or not number.isdigit() or len(number) > 18:
        return None
    return int(number)


@bp.get("/events")
def list_events():
    """Published events for everyone; with a token also the drafts and cancelled events it reaches."""
    refusal = authenticate(required=False)
    if refusal is not None:
        return refusal
    if g.api_token is None:
        events = events_in_start_order(include_unpublished=False)
    else:
        events = [event for event in events_in_start_order(include_unpublished=True)
                  if event.status == EventStatus.PUBLISHED or may_see(g.api_event_ids, event)]
    return jsonify(data=[event_json(event) for event in events])


@bp.get("/events/<slug>/registrations")
@token_or_session("read", "checkin")
def list_registrations(slug: str):
    """Registrations of an event in registration order, ``limit`` at a time, after ``cursor``;
    with ``?q=`` the door's search instead (which ``checkin`` tokens and accounts may use)."""
    if "q" in request.args:
        return search_registrations(slug)
    if (g.api_token is not None and g.api_token.scope == TokenScope.CHECKIN) or \
            g.api_organizer.role == OrganizerRole.CHECKIN:
        return not_found()
    event = find_event(slug)
    if event is None or not may_see(g.api_event_ids, event):
        return jsonify(error="not_found", message=f"No event has the slug {slug!r}."), 404
    try:
        limit = int(request.args.get("limit", DEFAULT_LIMIT))
    except ValueError:
        return _bad_request("limit must be a whole number.", "limit")
    if not 1 <= limit <= MAX_LIMIT:
        return _bad_request(f"limit must be between 1 and {MAX_LIMIT}.", "limit")
    status = request.args.get("status")
    if status is not None and status not in REGISTRATION_STATUSES:
        return _bad_request(f"status must be one of {', '.join(REGISTRATION_STATUSES)}.", "status")
    after = 0
    if request.args.get("cursor"):
        after = decode_cursor(request.args["cursor"])
        if after is None:
            return _bad_request("The cursor is not one this API gave out.", "cursor")
    # One row more than asked tells whether another page follows.
    rows = registrations_after(event, after, status, limit + 1)
    page, more = rows[:limit], len(rows) > limit
    return jsonify(
        data=[registration_json(r, event) for r in page],
        next_cursor=encode_cursor(page[-1].id) if more else None,
    )


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of every API route."""
    return jsonify(openapi_document())
