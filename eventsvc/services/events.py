"""Finding events, and importing them from a YAML or JSON file (the bundled ones too).

A file is a list of event records (docs/architecture.md, "Events file"; the fields are those of
:mod:`eventsvc.services.event_values`). Times are local to the event's time zone and stored in
UTC. Events are matched by slug: a new slug creates an event, a known one is updated, through
the same save path as the organizer form (:func:`eventsvc.services.event_admin.save_event`). The
whole file is checked before anything is written: one bad event refuses the file, with a message
naming the event (slug or position) and the field. An update replaces every field, so an
optional field left out returns to its default (organizers' notes excepted).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml
from sqlalchemy import bindparam, select
from sqlalchemy.orm import load_only

from ..extensions import db
from ..models import Event, EventStatus
from ..models.event import registration_open
from ..models.types import utcnow
from .event_admin import save_event
from .event_values import EventValueError, EventValues, validate_event
from .transaction import transaction

#: The events ``flask events seed`` loads: the Hamburg launch and the follow-up events.
SEED_FILE = Path(__file__).resolve().parent.parent / "data" / "events.yaml"


class EventImportError(Exception):
    """The file cannot be imported; nothing of it was stored. The message lists every problem."""


@dataclass
class ImportResult:
    """Slugs of the events an import created, changed and left as they were."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


#: Every page of an event starts with this statement: built once, only the slug changes.
_EVENT_BY_SLUG = select(Event).where(Event.slug == bindparam("slug"))


def find_event(slug: str, *only) -> Event | None:
    """The event with this slug, or ``None`` (also for a slug no event can have).

    ``only``: the columns the caller reads, for a busy route that needs few of them (a door's
    scan); the others are loaded if asked for after all.
    """
    if "\x00" in slug:  # PostgreSQL refuses NUL in any query; no slug holds one
        return None
    query = _EVENT_BY_SLUG.options(load_only(*only)) if only else _EVENT_BY_SLUG
    return db.session.scalar(query, {"slug": slug})


@dataclass(frozen=True, slots=True)
class EventStamp:
    """What a page kept per version of an event needs to know first: which event, which version
    (``updated_at``), and whether it is visible and takes registrations."""

    id: int
    slug: str
    status: EventStatus
    updated_at: datetime
    starts_at: datetime
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None

    registration_open = registration_open


_events = Event.__table__.c
_STAMP_BY_SLUG = select(*(_events[name] for name in EventStamp.__slots__)).where(_events.slug == bindparam("slug"))


def event_stamp(slug: str, alone: bool = False) -> EventStamp | None:
    """The :class:`EventStamp` of the event with this slug, or ``None``.

    ``alone``: the stamp may be all the request asks of the database (a page that is kept). On
    PostgreSQL it is then read outside any transaction, without ``BEGIN`` and ``ROLLBACK``
    around one read. Otherwise, and always on the embedded SQLite database, it is read in the
    session's transaction, as every other read.
    """
    if "\x00" in slug:
        return None
    if alone and db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            row = connection.execute(_STAMP_BY_SLUG, {"slug": slug}).first()
    else:
        row = db.session.execute(_STAMP_BY_SLUG, {"slug": slug}).first()
    return None if row is None else EventStamp(*row)


_EVENT_BY_ID = (select(Event).where(Event.id == bindparam("event_id"))
                .execution_options(populate_existing=True))


def reload_event(event_id: int) -> Event:
    """The event ``event_id`` with every column read afresh (one loaded with few columns, whole)."""
    return db.session.scalars(_EVENT_BY_ID, {"event_id": event_id}).one()


def listed_events(now: datetime | None = None) -> tuple[list[Event], list[Event]]:
    """What the public list shows: upcoming events soonest first, then past ones latest first.

    Drafts are never listed; cancelled events are, marked as such.
    """
    now = now or utcnow()
    events = db.session.scalars(
        select(Event).where(Event.status != EventStatus.DRAFT).order_by(Event.starts_at, Event.id)
    ).all()
    upcoming = [event for event in events if not event.is_past(now)]
    past = [event for event in reversed(events) if event.is_past(now)]
    return upcoming, past


def events_for_organizers(event_ids: set[int] | None = None, now: datetime | None = None) -> list[Event]:
    """Every event (or those of ``event_ids``), the next to come first, then the past ones, latest first."""
    now = now or utcnow()
    query = select(Event).order_by(Event.starts_at)
    if event_ids is not None:
        query = query.where(Event.id.in_(event_ids))
    events = list(db.session.scalars(query))
    upcoming = [e for e in events if e.ends_at > now]
    past = sorted((e for e in events if e.ends_at <= now), key=lambda e: e.starts_at, reverse=True)
    return upcoming + past


def events_in_start_order(include_unpublished: bool) -> list[Event]:
    """Events by start time: the published ones, or (for organizers) every one."""
    query = select(Event).order_by(Event.starts_at, Event.id)
    if not include_unpublished:
        query = query.where(Event.status == EventStatus.PUBLISHED)
    return list(db.session.scalars(query))


def load_events_file(path: str | Path) -> list[dict]:
    """Read a list of events from a YAML or JSON file (by extension; YAML is a superset of JSON)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise EventImportError(f"cannot read the file: {error}") from error
    is_json = path.suffix.lower() == ".json"
    try:
        records = json.loads(text) if is_json else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise EventImportError(f"not valid {'JSON' if is_json else 'YAML'}: {error}") from error
    if not isinstance(records, list):
        raise EventImportError("the file must hold a list of events")
    return records


def validate_records(records: list) -> list[EventValues]:
    """Check every event of a file; returns their values or raises with all problems."""
    if not isinstance(records, list):
        raise EventImportError("the file must hold a list of events")
    problems, validated, seen = [], [], set()
    for position, record in enumerate(records, start=1):
        name = f"event {position}"
        if isinstance(record, dict) and isinstance(record.get("slug"), str):
            name += f" ({record['slug']})"
        try:
            values = validate_event(record)
        except EventValueError as error:
            problems.append(f"{name}: {error}")
            continue
        if values.slug in seen:
            problems.append(f"{name}: slug: appears twice in the file")
        seen.add(values.slug)
        validated.append(values)
    if problems:
        raise EventImportError("\n".join(problems))
    return validated


def import_events(records: list, now: datetime | None = None) -> ImportResult:
    """Create or update the events of a file in one transaction (all of them, or none).

    Published events whose time or venue change are noted for the "event changed" mail; a raised
    capacity gives the new seats to the waiting list; a published event set to cancelled is
    cancelled, which mails everyone.
    """
    now = now or utcnow()
    result = ImportResult()
    with transaction():
        for values in validate_records(records):
            event_id = db.session.scalar(select(Event.id).where(Event.slug == values.slug))
            outcome = save_event(values, event_id, now)
            getattr(result, outcome.change).append(values.slug)
    return result
