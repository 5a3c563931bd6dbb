"""Importing events from a YAML or JSON file, and the bundled Smart City China events.

A file is a list of events (see DESIGN.md, "Events file"). Times are local to the event's time
zone and stored in UTC. Events are matched by slug: a new slug creates an event, a known one is
updated. The whole file is checked before anything is written: one bad event refuses the file,
with a message naming the event (slug or position) and the field.

Fields: ``slug``, ``title``, ``city``, ``country`` (DE or CN), ``timezone`` (IANA),
``starts_at`` and ``ends_at`` (local, no offset) are required; ``status`` (default draft),
``description`` and ``venue`` (translated, English required when given), ``capacity`` (absent or
null: unlimited), ``languages`` (default [en, zh]), ``waitlist`` (default true),
``reminder_offsets`` (ISO 8601, default [P7D, P1D]), ``registration_opens`` and
``registration_closes`` (local times) are optional. Any other key is refused as a likely typo.
An update replaces every field, so an optional field left out returns to its default.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from sqlalchemy import select

from ..extensions import db
from ..models import Event
from ..models.event import DEFAULT_REMINDER_OFFSETS, EVENT_STATUSES
from ..models.types import utcnow
from . import event_changes
from .registration import lock_event, promote_from_waitlist

#: The events ``flask events seed`` loads: the Hamburg launch and the follow-up events.
SEED_FILE = Path(__file__).resolve().parent.parent / "data" / "events.yaml"

LANGUAGES = ("en", "zh", "de")
COUNTRIES = ("DE", "CN")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: Reminder offsets: days, hours and minutes, as the reminder service reads them (P7D, PT3H).
ISO_OFFSET = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")

#: Longest text accepted per translated field (the model keeps JSON, this keeps pages sane).
TEXT_LIMITS = {"title": 300, "description": 10000, "venue": 500}
REQUIRED = ("slug", "title", "city", "country", "timezone", "starts_at", "ends_at")
OPTIONAL = (
    "status", "description", "venue", "capacity", "languages", "waitlist", "reminder_offsets",
    "registration_opens", "registration_closes",
)
#: Columns an import sets; an event is "unchanged" when none of them differs.
COLUMNS = (
    "title", "description", "venue", "city", "country", "timezone", "starts_at", "ends_at",
    "capacity", "waitlist_enabled", "registration_opens_at", "registration_closes_at",
    "languages", "status", "reminder_offsets",
)


class EventImportError(Exception):
    """The file cannot be imported; nothing of it was stored. The message lists every problem."""


@dataclass
class ImportResult:
    """Slugs of the events an import created, changed and left as they were."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


class _FieldError(Exception):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")


def listed_events(now: datetime | None = None) -> tuple[list[Event], list[Event]]:
    """What the public list shows: upcoming events soonest first, then past ones latest first.

    Drafts are never listed; cancelled events are, marked as such.
    """
    now = now or utcnow()
    events = db.session.scalars(
        select(Event).where(Event.status != "draft").order_by(Event.starts_at, Event.id)
    ).all()
    upcoming = [event for event in events if not event.is_past(now)]
    past = [event for event in reversed(events) if event.is_past(now)]
    return upcoming, past


def load_events_file(path: str | Path) -> list[dict]:
    """Read a list of events from a YAML or JSON file (by extension; YAML is a superset of JSON)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise EventImportError(f"cannot read the file: {error}") from error
    try:
        if path.suffix.lower() == ".json":
            records = json.loads(text)
        else:
            records = yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise EventImportError(f"not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: {error}") from error
    if not isinstance(records, list):
        raise EventImportError("the file must hold a list of events")
    return records


def _translated(record: dict, name: str, required: bool) -> dict:
    value = record.get(name)
    if value is None:
        if required:
            raise _FieldError(name, "is required")
        return {}
    if not isinstance(value, dict):
        raise _FieldError(name, "must map languages (en, zh, de) to texts")
    result = {}
    for language, text in value.items():
        if language not in LANGUAGES:
            raise _FieldError(f"{name}.{language}", "unknown language (use en, zh, de)")
        if not isinstance(text, str):
            raise _FieldError(f"{name}.{language}", "must be text")
        text = text.strip()
        if "\x00" in text:
            raise _FieldError(f"{name}.{language}", "contains a NUL character")
        if len(text) > TEXT_LIMITS[name]:
            raise _FieldError(f"{name}.{language}", f"longer than {TEXT_LIMITS[name]} characters")
        if text:
            result[language] = text
    if not result.get("en"):
        raise _FieldError(f"{name}.en", "the English text is required")
    return result


def _local_time(record: dict, name: str, zone: ZoneInfo, required: bool) -> datetime | None:
    """A local time in ``zone`` without an offset, as an aware UTC datetime."""
    value = record.get(name)
    if value is None:
        if required:
            raise _FieldError(name, "is required")
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise _FieldError(name, f"not a date and time like 2027-03-14T18:00:00: {value!r}") from None
    elif isinstance(value, date) and not isinstance(value, datetime):
        raise _FieldError(name, "needs a time of day, e.g. 2027-03-14T18:00:00")
    if not isinstance(value, datetime):
        raise _FieldError(name, "must be a local date and time, e.g. 2027-03-14T18:00:00")
    if value.tzinfo is not None:
        raise _FieldError(name, "must be local time in the event's time zone, without an offset")
    aware = value.replace(tzinfo=zone)
    utc = aware.astimezone(timezone.utc)
    if utc.astimezone(zone).replace(tzinfo=None) != value:
        raise _FieldError(name, f"{value.isoformat()} does not exist in {zone.key} (clock change)")
    return utc


def _validate(record, now: datetime) -> dict:
    """One event record as model column values; raises :class:`_FieldError`."""
    if not isinstance(record, dict):
        raise _FieldError("event", "must be a mapping of fields")
    unknown = sorted(set(record) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise _FieldError(unknown[0], "unknown field")
    for name in REQUIRED:
        if record.get(name) in (None, ""):
            raise _FieldError(name, "is required")
    slug = record["slug"]
    if not isinstance(slug, str) or len(slug) > 100 or not SLUG.match(slug):
        raise _FieldError("slug", "use lower-case letters, digits and single hyphens (at most 100)")
    status = record.get("status", "draft")
    if status not in EVENT_STATUSES:
        raise _FieldError("status", f"must be one of {', '.join(EVENT_STATUSES)}")
    city = record["city"]
    if not isinstance(city, str) or len(city.strip()) > 100 or not city.strip() or "\x00" in city:
        raise _FieldError("city", "must be a name of at most 100 characters")
    if record["country"] not in COUNTRIES:
        raise _FieldError("country", "must be DE or CN")
    try:
        zone = ZoneInfo(str(record["timezone"]))
    except (ZoneInfoNotFoundError, ValueError):
        raise _FieldError("timezone", f"unknown IANA time zone {record['timezone']!r}") from None
    values = {
        "title": _translated(record, "title", required=True),
        "description": _translated(record, "description", required=False),
        "venue": _translated(record, "venue", required=False),
        "city": city.strip(),
        "country": record["country"],
        "timezone": zone.key,
        "status": status,
        "starts_at": _local_time(record, "starts_at", zone, required=True),
        "ends_at": _local_time(record, "ends_at", zone, required=True),
        "registration_opens_at": _local_time(record, "registration_opens", zone, required=False),
        "registration_closes_at": _local_time(record, "registration_closes", zone, required=False),
    }
    if values["ends_at"] < values["starts_at"]:
        raise _FieldError("ends_at", "is before starts_at")
    opens, closes = values["registration_opens_at"], values["registration_closes_at"]
    if opens and closes and closes < opens:
        raise _FieldError("registration_closes", "is before registration_opens")
    capacity = record.get("capacity")
    if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0):
        raise _FieldError("capacity", "must be a whole number of seats, 0 or more (empty: unlimited)")
    values["capacity"] = capacity
    waitlist = record.get("waitlist", True)
    if not isinstance(waitlist, bool):
        raise _FieldError("waitlist", "must be true or false")
    values["waitlist_enabled"] = waitlist
    languages = record.get("languages", ["en", "zh"])
    if (not isinstance(languages, list) or len(languages) != 2 or len(set(languages)) != 2
            or any(language not in LANGUAGES for language in languages)):
        raise _FieldError("languages", "must be two different languages of en, zh, de, e.g. [en, zh]")
    values["languages"] = list(languages)
    offsets = record.get("reminder_offsets", list(DEFAULT_REMINDER_OFFSETS))
    if not isinstance(offsets, list) or any(
        not isinstance(o, str) or not (m := ISO_OFFSET.match(o)) or not any(m.groups()) for o in offsets
    ):
        raise _FieldError("reminder_offsets", "must be a list of ISO 8601 durations, e.g. [P7D, P1D, PT3H]")
    values["reminder_offsets"] = list(offsets)
    return values


def validate_records(records: list, now: datetime | None = None) -> list[tuple[str, dict]]:
    """Check every event of a file; returns ``(slug, column values)`` or raises with all problems."""
    now = now or utcnow()
    if not isinstance(records, list):
        raise EventImportError("the file must hold a list of events")
    problems, validated, seen = [], [], set()
    for position, record in enumerate(records, start=1):
        name = f"event {position}"
        if isinstance(record, dict) and isinstance(record.get("slug"), str):
            name += f" ({record['slug']})"
        try:
            values = _validate(record, now)
        except _FieldError as error:
            problems.append(f"{name}: {error}")
            continue
        if record["slug"] in seen:
            problems.append(f"{name}: slug: appears twice in the file")
        seen.add(record["slug"])
        validated.append((record["slug"], values))
    if problems:
        raise EventImportError("\n".join(problems))
    return validated


def import_events(records: list, now: datetime | None = None) -> ImportResult:
    """Create or update the events of a file in one transaction (all of them, or none).

    Published events whose time or venue change are noted for the "event changed" mail; a raised
    capacity gives the new seats to the waiting list; a published event set to cancelled is
    cancelled through :func:`event_changes.cancel_event` after the commit, which mails everyone.
    """
    now = now or utcnow()
    validated = validate_records(records, now)
    result = ImportResult()
    to_cancel: list[int] = []
    db.session.rollback()
    try:
        for slug, values in validated:
            event = db.session.scalar(select(Event).where(Event.slug == slug))
            if event is None:
                db.session.add(Event(slug=slug, **values))
                result.created.append(slug)
                continue
            if all(getattr(event, column) == values[column] for column in COLUMNS):
                result.unchanged.append(slug)
                continue
            result.updated.append(slug)
            event = lock_event(event.id)  # seat counts and promotions must not race registrations
            was_published = event.status == "published"
            if was_published and values["status"] == "cancelled":
                # cancel_event sets the status and mails every live registrant once.
                values = {**values, "status": "published"}
                to_cancel.append(event.id)
            before = event_changes.snapshot(event)
            capacity_before = event.capacity
            for column in COLUMNS:
                setattr(event, column, values[column])
            if was_published and event.status == "published":
                event_changes.note_event_change(event, before, now)
            if event.capacity != capacity_before:
                db.session.flush()
                promote_from_waitlist(event, now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for event_id in to_cancel:
        event_changes.cancel_event(event_id, now)
    return result
