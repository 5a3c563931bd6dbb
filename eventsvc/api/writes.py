"""The API that writes: events from the events file's record, and cancellations.

Both need a ``write`` token (``require_scope``); a ``read`` or ``checkin`` token gets 403
``insufficient_scope``. A token reaches the events its owner may work on, narrowed to its one
event if it has one; another event is a 404, as an unknown one. Creating an event needs an
admin's token for every event.

``PUT /events/<slug>`` takes one record of the events file (docs/architecture.md, "Events
file"; local times in the event's zone) and goes through the same validation and the same save
path as the file and the organizer form (``event_values``, ``event_admin.save_event``): a record
with problems answers 422 with every one of them by field, and stores nothing.
"""

from __future__ import annotations

from flask import g, jsonify, request

from ..models import OrganizerRole
from ..services.access import may_see
from ..services.attendees import find_registration
from ..services.event_admin import save_event
from ..services.event_values import EventValueError, event_problems, validate_event
from ..services.events import find_event
from ..services.registration import cancel
from .auth import require_scope
from .blueprint import bp
from .organizer_api import event_json, registration_json


def _not_found(message: str):
    return jsonify(error="not_found", message=message), 404


def _invalid(problems: dict[str, list[str]]):
    return jsonify(error="invalid_event", message="The event record has problems; nothing was stored.",
                   errors=problems), 422


@bp.put("/events/<slug>")
@require_scope("write")
def put_event(slug: str):
    """Create the event ``slug`` or write the record over it (every field, as an import does)."""
    record = request.get_json(silent=True)
    if not isinstance(record, dict):
        return _invalid({"_body": ["must be a JSON object with the fields of an events-file record"]})
    if "slug" in record and record["slug"] != slug:
        return _invalid({"slug": ["must be the slug of the URL (renaming is not done through the API)"]})
    record = {**record, "slug": slug}
    event = find_event(slug)
    if event is None:
        if g.api_event_ids is not None or g.api_organizer.role != OrganizerRole.ADMIN:
            return jsonify(error="forbidden", message="Only an admin's token for every event may create events."), 403
    elif not may_see(g.api_event_ids, event) or g.api_organizer.role == OrganizerRole.CHECKIN:
        return _not_found(f"No event has the slug {slug!r}.")
    problems = event_problems(record)
    if problems:
        return _invalid(problems)
    try:
        outcome = save_event(validate_event(record), event.id if event else None)
    except EventValueError as error:
        return _invalid({error.field: [error.message]})
    status = 201 if outcome.change == "created" else 200
    return jsonify(event_json(outcome.event)), status


@bp.post("/events/<slug>/registrations/<registration_id>/cancel")
@require_scope("write")
def cancel_registration(slug: str, registration_id: str):
    """Cancel a registration (its seat goes to the next in line; the registrant is mailed).
    Cancelling a cancelled registration changes nothing and answers the same."""
    event = find_event(slug)
    if event is None or not may_see(g.api_event_ids, event) or g.api_organizer.role == OrganizerRole.CHECKIN:
        return _not_found(f"No event has the slug {slug!r}.")
    registration = find_registration(event, registration_id)
    if registration is None or registration.erased_at is not None:
        return _not_found(f"The event has no registration {registration_id!r}.")
    registration = cancel(registration.id)
    return jsonify(registration_json(registration, event))
