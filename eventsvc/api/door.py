"""The door's routes of API v1: the check-in list, scans, search, walk-ins, undo, live figures.

Each takes a token or the organizer's session (``auth.token_or_session``); the answers' shapes
are in docs/architecture.md, "The door", and in the OpenAPI document.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from datetime import datetime, timezone

from flask import Response, g, jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ..forms import RegistrationForm
from ..models import Event
from ..services import door, door_list, door_stats
from ..services.access import may_see
from ..services.events import find_event
from ..services.registration import EventFull, RegistrationClosed
from ..services.walk_ins import walk_in
from .auth import ORGANIZING_ROLES, not_found, token_or_session
from .blueprint import bp

#: Answers bigger than this are gzipped for a client that takes gzip.
GZIP_FROM = 1024


def _event_or_none(slug: str, *only) -> Event | None:
    event = find_event(slug, *only)
    return event if event is not None and may_see(g.api_event_ids, event) else None


def _json(body: dict, status: int = 200) -> Response:
    """JSON, gzipped when the client takes it and it is worth it (the whole list on a slow line)."""
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    response = Response(data, status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Accept-Encoding")
    if len(data) >= GZIP_FROM and "gzip" in request.headers.get("Accept-Encoding", ""):
        response.set_data(gzip.compress(data, compresslevel=6))
        response.headers["Content-Encoding"] = "gzip"
    return response


def _bad(error: str, message: str, status: int = 400, errors: dict | None = None):
    body = {"error": error, "message": message}
    if errors:
        body["errors"] = errors
    return jsonify(body), status


def encode_cursor(moment: datetime) -> str:
    micros = int(moment.timestamp() * 1_000_000)
    return base64.urlsafe_b64encode(f"t:{micros}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> datetime | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    kind, _sep, number = text.partition(":")
    if kind != "t" or not number.isdigit() or len(number) > 17:
        return None
    return datetime.fromtimestamp(int(number) / 1_000_000, timezone.utc)


@bp.get("/events/<slug>/checkin-list")
@token_or_session("read", "checkin")
def checkin_list(slug: str):
    """The event's check-in list, or with ``since`` what changed after that cursor."""
    event = _event_or_none(slug)
    if event is None:
        return not_found()
    since = None
    if request.args.get("since"):
        since = decode_cursor(request.args["since"])
        if since is None:
            return _bad("bad_cursor", _("The cursor is not one this server gave out."))
    items, cursor = door_list.checkin_list(event, since)
    return _json({"items": items, "cursor": encode_cursor(cursor)})


def search_registrations(slug: str):
    """``GET …/registrations?q=``: the door's search (called by that route when ``q`` is given)."""
    event = _event_or_none(slug)
    if event is None:
        return not_found()
    query = request.args.get("q", "")
    if len(query) > 200:
        return _bad("bad_request", _("Please search with at most 200 characters."))
    return _json({"items": door_list.search(event, query)})


def _parse_time(value) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None or not 2000 <= moment.year <= 2200:
        return None
    return moment.astimezone(timezone.utc)


def _text(scan: dict, name: str, errors: dict, where: str, required: bool = False, limit: int = 100) -> str:
    value = scan.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        errors[f"{where}.{name}"] = [_("Please send text of at most %(limit)s characters.", limit=limit)]
        return ""
    return value.strip()


def _flag(scan: dict, name: str, errors: dict, where: str) -> bool:
    value = scan.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        errors[f"{where}.{name}"] = [_("Please send true or false.")]
    return value is True


def parse_batch(body) -> tuple[list[door.Scan], dict]:
    """The batch's scans, or the errors that refuse the whole batch (by ``scans[i].field``)."""
    if not isinstance(body, dict) or not isinstance(body.get("scans"), list):
        return [], {"scans": [_("Please send a JSON object with a list “scans”.")]}
    scans, errors = [], {}
    for index, raw in enumerate(body["scans"]):
        where = f"scans[{index}]"
        if not isinstance(raw, dict):
            errors[where] = [_("Each scan is an object with id, code and scanned_at.")]
            continue
        scan_id = raw.get("id")
        if not isinstance(scan_id, str) or not door.SCAN_ID.match(scan_id):
            errors[f"{where}.id"] = [_("A scan id has 1 to 64 letters, digits or . _ : -")]
        code = _text(raw, "code", errors, where, required=True, limit=2000)
        scanned_at = _parse_time(raw.get("scanned_at"))
        if scanned_at is None:
            errors[f"{where}.scanned_at"] = [_("Please send the time as ISO 8601 with its offset, "
                                               "e.g. 2026-03-14T18:02:11+01:00.")]
        door_name = _text(raw, "door", errors, where)
        device = _text(raw, "device", errors, where)
        offline, exit_scan = _flag(raw, "offline", errors, where), _flag(raw, "exit", errors, where)
        if not any(key.startswith(where) for key in errors):
            scans.append(door.Scan(scan_id, code, scanned_at, door_name, device, offline, exit_scan))
    return scans, errors


def result_json(result: door.ScanResult, zone) -> dict:
    body = {
        "id": result.scan_id,
        "outcome": result.outcome,
        "checked_in_at": result.checked_in_at.astimezone(zone).isoformat() if result.checked_in_at else None,
        "door": result.door,
        "name": result.name,
    }
    if result.error == "scan_id_reused":
        body.update(error=result.error, message=_("This scan id was sent before with another code."))
    elif result.error == "scanned_in_future":
        body.update(error=result.error, message=_("The scan's time is in the future: please check the "
                                                  "device's clock."))
    return body


@bp.post("/events/<slug>/checkins")
@token_or_session("write", "checkin")
def record_checkins(slug: str):
    """A batch of scans (up to 1,000): each answered in order, each stored once."""
    event = _event_or_none(slug, Event.id, Event.slug, Event.timezone)
    if event is None:
        return not_found()
    body = request.get_json(silent=True)
    if isinstance(body, dict) and isinstance(body.get("scans"), list) and len(body["scans"]) > door.MAX_SCANS:
        return _bad("too_many_scans", _("Please send at most %(limit)s scans at a time.", limit=door.MAX_SCANS), 413)
    scans, errors = parse_batch(body)
    if errors:
        return _bad("bad_batch", _("The batch is not in the expected shape; nothing of it was stored."),
                    errors=errors)
    zone, event_id, organizer_id = event.zone, event.id, g.api_organizer.id  # read before the commit expires them
    results = door.record_scans(event_id, scans, organizer_id)
    return _json({"results": [result_json(result, zone) for result in results]})


@bp.get("/events/<slug>/checkin-stats")
@token_or_session("read", "checkin")
def checkin_stats(slug: str):
    """The live view's figures: checked in of expected, per door, arrivals, scans per minute."""
    event = _event_or_none(slug)
    if event is None:
        return not_found()
    return _json(door_stats.live_figures(event).as_json(event))


@bp.post("/events/<slug>/checkins/undo")
@token_or_session("write", roles=ORGANIZING_ROLES)
def undo_checkin(slug: str):
    """Take a check-in back, with a reason that stays in the log."""
    event = _event_or_none(slug)
    if event is None:
        return not_found()
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    code, reason = body.get("code"), body.get("reason")
    errors = {}
    if not isinstance(code, str) or not code.strip() or len(code) > 2000:
        errors["code"] = [_("Please send the guest's code.")]
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        errors["reason"] = [_("Please give a reason (at most 500 characters).")]
    if errors:
        return _bad("bad_request", _("Please correct the marked fields."), errors=errors)
    try:
        registration = door.undo_checkin(event.id, code, reason.strip(), g.api_organizer.id)
    except door.NotCheckedIn:
        return _bad("not_checked_in", _("This guest is not checked in."), 409)
    if registration is None:
        return _bad("unknown", _("No registration of this event has this code."), 404)
    return _json({"item": door_list.item_of(registration, event)})


WALK_IN_FIELDS = ("email", "family_name", "given_name", "organization", "job_title", "language")


@bp.post("/events/<slug>/walk-ins")
@token_or_session("write", roles=ORGANIZING_ROLES)
def register_walk_in(slug: str):
    """Register a person at the door (capacity applies, the mail goes) and check them in."""
    event = _event_or_none(slug)
    if event is None:
        return not_found()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(errors={"_body": [_("Please send a JSON object with the registration fields.")]}), 400
    data, errors = MultiDict(), {}
    for name in WALK_IN_FIELDS:
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            errors[name] = [_("Please send text.")]
            continue
        data[name] = value
    if body.get("privacy_consent") is True:
        data["privacy_consent"] = "y"
    door_name = body.get("door") if isinstance(body.get("door"), str) else ""
    device = body.get("device") if isinstance(body.get("device"), str) else ""
    # The plain form: the organizer's own questions are for the form online, not the door.
    form = RegistrationForm(formdata=data, meta={"csrf": False}, language=str(get_locale() or "en"))
    if not form.validate() or errors:
        return jsonify(errors={**{k: [str(m) for m in v] for k, v in form.errors.items()}, **errors}), 400
    try:
        outcome, registration = walk_in(event.id, form.registration_data(), door_name[:100], device[:100],
                                        g.api_organizer.id)
    except EventFull:
        return _bad("event_full", _("Sorry, this event is full."), 409)
    except RegistrationClosed:
        return _bad("registration_closed", _("This event takes no registrations."), 409)
    return _json({"outcome": outcome, "item": door_list.item_of(registration, event)}, 201)
