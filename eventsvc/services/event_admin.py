"""Writing events: the one save path of the events file, the organizer pages and the API.

Every write of an event's fields goes through :func:`save_event` with :class:`EventValues` from
:func:`eventsvc.services.event_values.validate_event`. Saving a published event announces a new
time or venue (:mod:`eventsvc.services.event_changes`); a new capacity or a publication gives free
seats to the waiting list; a published event saved as cancelled is cancelled with a mail to
every registrant.
"""

from __future__ import annotations

from copy import deepcopy as copy_value
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Event, EventStatus
from ..models.types import utcnow
from . import event_changes
from .webhooks import emit_event_changed
from .event_values import MAX_SLUG, EventValueError, EventValues
from .registration import promote_from_waitlist
from .transaction import lock, locked, transaction

#: Zones offered first in the form; any other IANA zone may be typed in.
SUGGESTED_ZONES = ("Europe/Berlin", "Asia/Shanghai", "Asia/Hong_Kong", "Europe/London", "UTC")

#: Columns whose equality makes a save "unchanged".
_COMPARED = (
    "title", "description", "venue", "city", "country", "timezone", "starts_at", "ends_at",
    "capacity", "waitlist_enabled", "registration_opens_at", "registration_closes_at",
    "languages", "status", "reminder_offsets", "questions", "feedback", "notes",
)


@dataclass
class SaveOutcome:
    """What :func:`save_event` did: ``created``, ``updated`` or ``unchanged``."""

    event: Event
    change: str


def _same_minute(stored: datetime | None, entered: datetime | None) -> datetime | None:
    """The stored time when the new one is the same to the minute (the form has no seconds)."""
    if stored is not None and entered is not None and stored.replace(second=0, microsecond=0) == entered:
        return stored
    return entered


def _slug_taken(slug: str, event_id: int | None) -> bool:
    clash = db.session.scalar(select(Event.id).where(Event.slug == slug))
    return clash is not None and clash != event_id


def save_event(values: EventValues, event_id: int | None = None, now: datetime | None = None) -> SaveOutcome:
    """Create the event (``event_id`` None) or write ``values`` over event ``event_id``.

    Runs in the caller's transaction when there is one (the events import saves a whole file
    in one). Raises :class:`EventValueError` on ``slug`` when another event has the slug.
    """
    now = now or utcnow()
    if _slug_taken(values.slug, event_id):
        raise EventValueError("slug", "slug_taken", "another event already has this slug")
    columns = values.columns()
    with transaction():
        if event_id is None:
            event = Event(**{"status": EventStatus.DRAFT, **columns})
            db.session.add(event)
            db.session.flush()
            return SaveOutcome(event, "created")
        event = lock(Event, event_id)  # seat counts and promotions must not race registrations
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            columns[name] = _same_minute(getattr(event, name), columns[name])
        if all(getattr(event, name) == columns[name] for name in _COMPARED if name in columns) \
                and event.slug == columns["slug"]:
            return SaveOutcome(event, "unchanged")
        was_published = event.status == EventStatus.PUBLISHED
        cancelling = was_published and columns.get("status") == EventStatus.CANCELLED
        if cancelling:
            columns["status"] = EventStatus.PUBLISHED  # cancel_event below sets it, and mails everyone
        before = event_changes.snapshot(event)
        texts_before = (copy_value(event.title), copy_value(event.description))
        capacity_before = event.capacity
        for name, value in columns.items():
            setattr(event, name, value)
        if was_published and event.status == EventStatus.PUBLISHED:
            announced = event_changes.note_event_change(event, before, now)
            if not announced and (event.title != texts_before[0] or event.description != texts_before[1]):
                # Nobody is mailed about a new title, but subscribed calendars take it only
                # when the SEQUENCE rises.
                event.ics_sequence = (event.ics_sequence or 0) + 1
        if event.capacity != capacity_before or (not was_published and event.status == EventStatus.PUBLISHED):
            db.session.flush()
            promote_from_waitlist(event, now)
        if cancelling:
            event_changes.cancel_event(event.id, now)  # which tells the webhooks
        elif event.status != EventStatus.DRAFT or was_published:
            emit_event_changed(event, now)
    return SaveOutcome(event, "updated")


def create_event(values: EventValues) -> Event:
    """Create an event from the organizer form: always a draft, nobody sees it until published."""
    return _saved(lambda: save_event(replace(values, status=EventStatus.DRAFT)))


def update_event(event_id: int, values: EventValues) -> Event:
    """Save an edit from the organizer form (the status stays; it has buttons of its own)."""
    return _saved(lambda: save_event(replace(values, status=None), event_id))


def _saved(save) -> Event:
    """Two organizers saving the same new slug at once: the second is told it is taken."""
    try:
        return save().event
    except IntegrityError as error:
        raise EventValueError("slug", "slug_taken", "another event already has this slug") from error


#: Fields a copy takes over: texts and settings, not the status, registrations or history.
_COPIED = ("title", "description", "venue", "city", "country", "timezone", "starts_at", "ends_at",
           "capacity", "waitlist_enabled", "registration_opens_at", "registration_closes_at",
           "languages", "reminder_offsets", "questions", "feedback", "notes")


def copy_event(event_id: int) -> Event:
    """A new draft with the event's texts and settings (next year's edition), under a free slug
    ``<slug>-copy``, ``<slug>-copy-2``, …; the organizer then sets its dates and publishes it."""
    with transaction():
        source = db.session.get(Event, event_id)
        stem = f"{source.slug[:MAX_SLUG - 9]}-copy"
        taken = set(db.session.scalars(select(Event.slug).where(Event.slug.like(f"{stem}%"))))
        slug = next(s for s in [stem, *(f"{stem}-{n}" for n in range(2, 1000))] if s not in taken)
        copy = Event(slug=slug, status=EventStatus.DRAFT,
                     **{name: copy_value(getattr(source, name)) for name in _COPIED})
        db.session.add(copy)
    return copy


def publish_event(event_id: int) -> Event:
    """Open a draft event to the public (a cancelled event stays cancelled)."""
    with locked(Event, event_id) as event:
        if event.status == EventStatus.DRAFT:
            event.status = EventStatus.PUBLISHED
            emit_event_changed(event)
            db.session.flush()
            # Anyone who was waiting while the event was hidden gets a free seat now.
            promote_from_waitlist(event)
    return event


def unpublish_event(event_id: int) -> Event:
    """Hide a published event again (registrations stay as they are)."""
    with locked(Event, event_id) as event:
        if event.status == EventStatus.PUBLISHED:
            event.status = EventStatus.DRAFT
            event.updated_at = utcnow()
            emit_event_changed(event)
    return event


def cancel_event(event_id: int) -> int:
    """Cancel the event and mail every live registrant; returns how many were mailed."""
    return event_changes.cancel_event(event_id)
