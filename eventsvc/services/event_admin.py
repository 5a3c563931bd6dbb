"""Creating, editing, publishing and cancelling events from the organizer pages.

Edits of a published event go through :mod:`eventsvc.services.event_changes`, so registrants
hear about a new time or venue; a capacity change takes the event lock and promotes from the
waiting list, exactly as :func:`eventsvc.services.registration.set_capacity` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Event
from ..models.types import utcnow
from . import event_changes
from .registration import lock_event, promote_from_waitlist

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: Zones offered first in the form; any other IANA zone may be typed in.
SUGGESTED_ZONES = ("Europe/Berlin", "Asia/Shanghai", "Asia/Hong_Kong", "Europe/London", "UTC")
#: Mail language pairs an organizer can choose: the first is the fallback for other readers.
LANGUAGE_PAIRS = (("en", "zh"), ("zh", "en"), ("en", "de"), ("de", "en"), ("de", "zh"), ("zh", "de"))

_UNITS = {
    "w": ("D", 7), "week": ("D", 7), "weeks": ("D", 7),
    "d": ("D", 1), "day": ("D", 1), "days": ("D", 1),
    "h": ("H", 1), "hour": ("H", 1), "hours": ("H", 1),
    "m": ("M", 1), "min": ("M", 1), "minute": ("M", 1), "minutes": ("M", 1),
}
_OFFSET_PART = re.compile(r"^\s*(\d{1,4})\s*([a-z]+)\s*$")
_ISO_OFFSET = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


class EventAdminError(ValueError):
    """The event cannot be saved as entered; ``field`` names the form field at fault."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


@dataclass
class EventData:
    """What the organizer's event form holds, times local to ``timezone``."""

    slug: str
    title: dict
    city: str
    country: str
    timezone: str
    starts_local: datetime
    ends_local: datetime
    description: dict = field(default_factory=dict)
    venue: dict = field(default_factory=dict)
    capacity: int | None = None
    waitlist_enabled: bool = True
    reminder_offsets: list[str] = field(default_factory=lambda: ["P7D", "P1D"])
    languages: list[str] = field(default_factory=lambda: ["en", "zh"])
    registration_opens_local: datetime | None = None
    registration_closes_local: datetime | None = None
    notes: str | None = None


def valid_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone this machine knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return bool(name)


def parse_reminder_offsets(text: str) -> list[str]:
    """"7 days, 1 day, 3 hours" (or ISO "P7D, PT3H") -> ``["P7D", "P1D", "PT3H"]``, longest first."""
    offsets: dict[str, timedelta] = {}
    for part in filter(None, (p.strip() for p in re.split(r"[,;]", text or ""))):
        iso = _ISO_OFFSET.match(part.upper())
        if iso and any(iso.groups()):
            days, hours, minutes = (int(x or 0) for x in iso.groups())
        else:
            match = _OFFSET_PART.match(part.lower())
            if not match or match.group(2) not in _UNITS:
                raise EventAdminError("reminder_offsets", part)
            unit, factor = _UNITS[match.group(2)]
            amount = int(match.group(1)) * factor
            days, hours, minutes = (amount if unit == u else 0 for u in ("D", "H", "M"))
        delta = timedelta(days=days, hours=hours, minutes=minutes)
        if delta <= timedelta(0) or delta > timedelta(days=365):
            raise EventAdminError("reminder_offsets", part)
        offsets[iso_duration(delta)] = delta
    return sorted(offsets, key=offsets.get, reverse=True)


def iso_duration(delta: timedelta) -> str:
    """A positive timedelta as an ISO 8601 duration of days, hours and minutes (``P1DT2H``)."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    time_part = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return "P" + (f"{days}D" if days else "") + (f"T{time_part}" if time_part else "")


def describe_offset(iso: str) -> str:
    """``P7D`` -> "7 days", for the form's text field (English units, which the parser reads)."""
    match = _ISO_OFFSET.match(iso or "")
    if not match:
        return iso
    parts = []
    for amount, unit in zip(match.groups(), ("day", "hour", "minute")):
        if amount and int(amount):
            parts.append(f"{int(amount)} {unit}{'' if int(amount) == 1 else 's'}")
    return " ".join(parts)


def local_to_utc(value: datetime | None, zone_name: str) -> datetime | None:
    """A wall-clock time in the event's zone as an aware datetime (stored in UTC by the model)."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(zone_name))


def _validate(data: EventData, event_id: int | None) -> None:
    if not SLUG_PATTERN.match(data.slug or "") or len(data.slug) > 100:
        raise EventAdminError("slug", "slug")
    clash = db.session.scalar(select(Event.id).where(Event.slug == data.slug))
    if clash is not None and clash != event_id:
        raise EventAdminError("slug", "slug_taken")
    if not valid_zone(data.timezone):
        raise EventAdminError("timezone", "timezone")
    if data.ends_local < data.starts_local:
        raise EventAdminError("ends_at", "ends_before_start")
    if data.capacity is not None and data.capacity < 0:
        raise EventAdminError("capacity", "capacity")
    if not (data.title or {}).get("en"):
        raise EventAdminError("title_en", "title")


def _texts(values: dict) -> dict:
    """Translated texts without empty languages, with the browser's CRLF line breaks as LF:
    otherwise saving an untouched venue would count as a change and mail every registrant."""
    return {lang: text.replace("\r\n", "\n").strip() for lang, text in values.items() if text and text.strip()}


def _same_minute(stored: datetime | None, entered: datetime | None) -> datetime | None:
    """The stored time when the form shows it unchanged (the form has no seconds), else the new one."""
    if stored is not None and entered is not None and stored.replace(second=0, microsecond=0) == entered:
        return stored
    return entered


def _apply(event: Event, data: EventData) -> None:
    zone = data.timezone
    event.slug = data.slug
    event.title = _texts(data.title)
    event.description = _texts(data.description)
    event.venue = _texts(data.venue)
    event.city = data.city
    event.country = data.country
    event.timezone = zone
    event.starts_at = _same_minute(event.starts_at, local_to_utc(data.starts_local, zone))
    event.ends_at = _same_minute(event.ends_at, local_to_utc(data.ends_local, zone))
    event.waitlist_enabled = data.waitlist_enabled
    event.reminder_offsets = list(data.reminder_offsets)
    event.languages = list(data.languages)
    event.registration_opens_at = _same_minute(event.registration_opens_at,
                                               local_to_utc(data.registration_opens_local, zone))
    event.registration_closes_at = _same_minute(event.registration_closes_at,
                                                local_to_utc(data.registration_closes_local, zone))
    event.notes = (data.notes or "").replace("\r\n", "\n") or None


def create_event(data: EventData) -> Event:
    """Create an event as a draft: nobody sees it until it is published."""
    _validate(data, None)
    event = Event(status="draft", capacity=data.capacity)
    _apply(event, data)
    db.session.add(event)
    _commit_or_slug_taken()
    return event


def _commit_or_slug_taken() -> None:
    """Commit; two organizers saving the same new slug at once get "taken", not an error page."""
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise EventAdminError("slug", "slug_taken") from error


def update_event(event_id: int, data: EventData) -> Event:
    """Save an edit. Registrants of a published event hear about a new time or venue; a raised
    capacity gives the new seats to the waiting list, first come first served."""
    _validate(data, event_id)
    db.session.rollback()  # the event lock is the transaction's first statement
    event = lock_event(event_id)
    before = event_changes.snapshot(event)
    _apply(event, data)
    event.capacity = data.capacity
    db.session.flush()
    promote_from_waitlist(event)
    if event.status == "published":
        event_changes.note_event_change(event, before)
    _commit_or_slug_taken()
    return event


def publish_event(event_id: int) -> Event:
    """Open a draft event to the public (a cancelled event stays cancelled)."""
    db.session.rollback()
    event = lock_event(event_id)
    if event.status == "draft":
        event.status = "published"
        db.session.flush()
        # Anyone who was waiting while the event was hidden gets a free seat now.
        promote_from_waitlist(event)
    db.session.commit()
    return event


def unpublish_event(event_id: int) -> Event:
    """Hide a published event again (registrations stay as they are)."""
    event = db.session.get(Event, event_id)
    if event.status == "published":
        event.status = "draft"
        event.updated_at = utcnow()
    db.session.commit()
    return event


def cancel_event(event_id: int) -> int:
    """Cancel the event and mail every live registrant; returns how many were mailed."""
    return event_changes.cancel_event(event_id)


def events_for_organizers() -> list[Event]:
    """Every event, the next to come first, then the past ones, latest first."""
    now = utcnow()
    events = list(db.session.scalars(select(Event).order_by(Event.starts_at)))
    upcoming = [e for e in events if e.ends_at > now]
    past = sorted((e for e in events if e.ends_at <= now), key=lambda e: e.starts_at, reverse=True)
    return upcoming + past
