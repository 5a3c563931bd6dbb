"""What a door device keeps: the event's check-in list, what changed since its last fetch, and
the search of the door (docs/architecture.md, "The door")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Event, Registration
from ..models.types import utcnow
from .door_search import matches, rank, search_form, search_keys
from .names import full_name

#: ``since`` answers what changed after the cursor minus this much: a change whose transaction
#: stamped its time before the cursor but committed after it is sent again, never missed.
CURSOR_OVERLAP = timedelta(seconds=30)
#: The most answers a search gives.
SEARCH_LIMIT = 50

_COLUMNS = (Registration.checkin_code, Registration.family_name, Registration.given_name,
            Registration.organization, Registration.email, Registration.status,
            Registration.checked_in_at, Registration.checkin_door)


def item_of(row: Any, event: Event) -> dict:
    """One registration as the door sees it (a row of :data:`_COLUMNS` or a Registration)."""
    checked_in_at = row.checked_in_at
    return {
        "code": row.checkin_code,
        "name": full_name(row.family_name, row.given_name),
        "organization": row.organization or "",
        "status": str(row.status),
        "checked_in_at": checked_in_at.astimezone(event.zone).isoformat() if checked_in_at else None,
        "door": row.checkin_door or None if checked_in_at else None,
        "search": search_keys(row.family_name or "", row.given_name or "", row.organization or "", row.email or ""),
    }


def checkin_list(event: Event, since: datetime | None = None) -> tuple[list[dict], datetime]:
    """Every registration of the event, or those changed after ``since``; and the next cursor.

    The cursor is the time the read began: what a later transaction changes has a later time.
    """
    cursor = utcnow()
    query = select(*_COLUMNS).where(Registration.event_id == event.id)
    if since is not None:
        query = query.where(Registration.updated_at > since - CURSOR_OVERLAP)
    rows = db.session.execute(query.order_by(Registration.id)).all()
    return [item_of(row, event) for row in rows], cursor


def search(event: Event, query: str, limit: int = SEARCH_LIMIT) -> list[dict]:
    """Registrations whose keys hold the query's search form, names typed from their start first."""
    form = search_form(query)
    if not form:
        return []
    found = []
    for row in db.session.execute(select(*_COLUMNS).where(Registration.event_id == event.id)):
        keys = search_keys(row.family_name or "", row.given_name or "", row.organization or "", row.email or "")
        if matches(form, keys):
            found.append((rank(form, keys), full_name(row.family_name, row.given_name).casefold(), row))
    found.sort(key=lambda entry: entry[:2])
    return [item_of(row, event) for _rank, _name, row in found[:limit]]
