"""What an event may be: one validation for every way an event is written.

The events file (``flask events import``), the organizer's event form and anything else that
writes events describe an event as a *record*, a mapping in the shape of the events file, and
:func:`validate_event` turns it into :class:`EventValues` or raises :class:`EventValueError`
naming the field. The form builds the same record from its fields, so both accept exactly the
same events, with the same limits and the same messages.

Record fields: ``slug``, ``title``, ``city``, ``country`` (DE or CN), ``timezone`` (IANA),
``starts_at`` and ``ends_at`` (local, no offset) are required; ``status`` (default draft),
``description`` and ``venue`` (translated, English required when given), ``capacity`` (absent or
null: unlimited), ``languages`` (default [en, zh]), ``waitlist`` (default true),
``reminder_offsets`` (ISO 8601 or words, default [P7D, P1D]), ``registration_opens`` and
``registration_closes`` (local times), ``questions`` (the organizer's own questions on the form,
see :func:`_questions`), ``feedback`` (questions asked after the event, the same shape plus the
type ``rating``) and ``notes`` (for organizers; left as it is when absent) are optional. Any other key is refused as a likely typo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..config import LANGUAGES
from ..models.event import DEFAULT_REMINDER_OFFSETS
from ..models.statuses import EventStatus
from .durations import DurationError, parse_reminder_offsets

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
COUNTRIES = ("DE", "CN")
#: Mail language pairs (every ordered pair of two languages): the first is the fallback for
#: readers of a third language. The order is the organizer form's.
LANGUAGE_PAIRS = (("en", "zh"), ("zh", "en"), ("en", "de"), ("de", "en"), ("de", "zh"), ("zh", "de"))
#: Longest text per translated field, and of the other texts.
TEXT_LIMITS = {"title": 300, "description": 10000, "venue": 1000}
MAX_SLUG, MAX_CITY, MAX_NOTES, MAX_ZONE = 100, 100, 5000, 64
MAX_CAPACITY = 1_000_000

REQUIRED = ("slug", "title", "city", "country", "timezone", "starts_at", "ends_at")
OPTIONAL = (
    "status", "description", "venue", "capacity", "languages", "waitlist", "reminder_offsets",
    "registration_opens", "registration_closes", "questions", "feedback", "notes",
)
QUESTION_TYPES = ("text", "choice", "multiple", "yes_no")
#: Feedback questions (asked after the event) may also ask for a rating from 1 to 5.
FEEDBACK_TYPES = QUESTION_TYPES + ("rating",)
RATING_SCALE = (1, 2, 3, 4, 5)
#: A question's or a choice's key: it names the form field ``q_<key>`` and the export column.
QUESTION_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_QUESTIONS, MAX_CHOICES, MAX_LABEL = 20, 30, 300


class EventValueError(ValueError):
    """One field of an event record is not acceptable.

    ``field`` is the record's field (``title.en``, ``starts_at``), ``code`` says what is wrong
    (for a translated message on the form), ``params`` fill that message; ``str()`` is English.
    """

    def __init__(self, field: str, code: str, message: str, **params: Any) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.code, self.message, self.params = field, code, message, params


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


#: A value the record did not give: the stored one stays.
UNSET: Any = _Unset()


@dataclass(frozen=True)
class EventValues:
    """A validated event: column values, times as aware UTC datetimes."""

    slug: str
    title: dict
    description: dict
    venue: dict
    city: str
    country: str
    timezone: str
    #: None: the status stays as it is (the organizer form publishes with buttons of its own).
    status: str | None
    starts_at: datetime
    ends_at: datetime
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    capacity: int | None
    waitlist_enabled: bool
    languages: list
    reminder_offsets: list
    questions: list = field(default_factory=list)
    feedback: list = field(default_factory=list)
    notes: str | None = UNSET

    def columns(self) -> dict:
        """The model columns to write (``notes`` and ``status`` only when they are given)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        if values["notes"] is UNSET:
            del values["notes"]
        if values["status"] is None:
            del values["status"]
        return values


def valid_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone this machine knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return bool(name)


def local_to_utc(value: datetime, zone: ZoneInfo, field: str = "time") -> datetime:
    """A wall-clock time in ``zone`` as an aware UTC datetime.

    A time that does not exist (skipped when the clocks go forward) or that happens twice (when
    they go back) is refused: storing a guess would move the event by an hour.
    """
    first, second = value.replace(tzinfo=zone, fold=0), value.replace(tzinfo=zone, fold=1)
    shown = f"{value:%Y-%m-%d %H:%M}"
    if first.utcoffset() != second.utcoffset():
        if first.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != value:
            raise EventValueError(
                field, "time_missing",
                f"{shown} does not exist in {zone.key}: the clocks go forward at that hour; "
                "choose a time before or after the change", time=shown, zone=zone.key)
        raise EventValueError(
            field, "time_twice",
            f"{shown} happens twice in {zone.key}: the clocks go back at that hour; "
            "choose a time outside the hour of the change", time=shown, zone=zone.key)
    return first.astimezone(timezone.utc)


def _translated(record: dict, name: str, required: bool) -> dict:
    value = record.get(name)
    if value is None:
        if required:
            raise EventValueError(name, "required", "is required")
        return {}
    if not isinstance(value, dict):
        raise EventValueError(name, "mapping", "must map languages (en, zh, de) to texts")
    result = {}
    for language, text in value.items():
        where = f"{name}.{language}"
        if language not in LANGUAGES:
            raise EventValueError(where, "language", "unknown language (use en, zh, de)")
        if text is None:
            continue
        if not isinstance(text, str):
            raise EventValueError(where, "text", "must be text")
        # Browsers send CRLF line breaks: as LF, an untouched venue saved again is unchanged.
        text = text.replace("\r\n", "\n").strip()
        if "\x00" in text:
            raise EventValueError(where, "nul", "contains a NUL character")
        limit = TEXT_LIMITS[name]
        if len(text) > limit:
            raise EventValueError(where, "too_long", f"longer than {limit} characters", max=limit)
        if text:
            result[language] = text
    if (result or required) and not result.get("en"):
        raise EventValueError(f"{name}.en", "english_required", "the English text is required")
    return result


def _local_time(record: dict, name: str, zone: ZoneInfo, required: bool) -> datetime | None:
    """A local time in ``zone`` without an offset, as an aware UTC datetime."""
    value = record.get(name)
    if value in (None, ""):
        if required:
            raise EventValueError(name, "required", "is required")
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise EventValueError(name, "time_format",
                                  f"not a date and time like 2027-03-14T18:00:00: {value!r}") from None
    elif isinstance(value, date) and not isinstance(value, datetime):
        raise EventValueError(name, "time_format", "needs a time of day, e.g. 2027-03-14T18:00:00")
    if not isinstance(value, datetime):
        raise EventValueError(name, "time_format", "must be a local date and time, e.g. 2027-03-14T18:00:00")
    if value.tzinfo is not None:
        raise EventValueError(name, "time_offset", "must be local time in the event's time zone, without an offset")
    return local_to_utc(value, zone, name)


def _label(value, where: str) -> dict:
    if not isinstance(value, dict) or not value:
        raise EventValueError(where, "mapping", "must map languages (en, zh, de) to texts")
    result = {}
    for language, text in value.items():
        if language not in LANGUAGES:
            raise EventValueError(f"{where}.{language}", "language", "unknown language (use en, zh, de)")
        if not isinstance(text, str) or "\x00" in text or len(text.strip()) > MAX_LABEL:
            raise EventValueError(f"{where}.{language}", "text", f"must be text of at most {MAX_LABEL} characters")
        if text.strip():
            result[language] = " ".join(text.split())
    if not result.get("en"):
        raise EventValueError(f"{where}.en", "english_required", "the English text is required")
    return result


def _questions(value, name: str = "questions", types: tuple = QUESTION_TYPES) -> list[dict]:
    """The organizer's questions: ``key`` (a plain identifier), ``type`` (text, choice, multiple,
    yes_no; for ``feedback`` also rating), ``required`` (default false), ``label`` (translated)
    and, for choice and multiple, ``choices`` (each a ``key`` and a ``label``)."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_QUESTIONS:
        raise EventValueError(name, "questions", f"must be a list of at most {MAX_QUESTIONS} questions")
    questions, keys = [], set()
    for number, question in enumerate(value, start=1):
        where = f"{name}.{number}"
        if not isinstance(question, dict):
            raise EventValueError(where, "questions", "must be a mapping with key, type, label")
        unknown = sorted(set(question) - {"key", "type", "required", "label", "choices"}, key=str)
        if unknown:
            raise EventValueError(f"{where}.{unknown[0]}", "unknown", "unknown field")
        key = question.get("key")
        if not isinstance(key, str) or not QUESTION_KEY.match(key):
            raise EventValueError(f"{where}.key", "question_key",
                                  "must be a plain identifier: lower-case letters, digits, _ (e.g. dinner)", key=str(key))
        if key in keys:
            raise EventValueError(f"{where}.key", "question_key_twice", f"{key} appears twice", key=key)
        keys.add(key)
        kind = question.get("type")
        if kind not in types:
            raise EventValueError(f"{where}.type", "question_type" if types == QUESTION_TYPES else "feedback_type",
                                  f"must be one of {', '.join(types)}")
        required = question.get("required", False)
        if not isinstance(required, bool):
            raise EventValueError(f"{where}.required", "waitlist", "must be true or false")
        clean = {"key": key, "type": kind, "required": required, "label": _label(question.get("label"), f"{where}.label")}
        choices = question.get("choices")
        if kind in ("choice", "multiple"):
            if not isinstance(choices, list) or not 1 <= len(choices) <= MAX_CHOICES:
                raise EventValueError(f"{where}.choices", "choices", f"a {kind} question needs 1 to {MAX_CHOICES} choices")
            choice_keys, clean["choices"] = set(), []
            for position, choice in enumerate(choices, start=1):
                at = f"{where}.choices.{position}"
                choice_key = choice.get("key") if isinstance(choice, dict) else None
                if not isinstance(choice_key, str) or not QUESTION_KEY.match(choice_key) or choice_key in choice_keys:
                    raise EventValueError(f"{at}.key", "question_key",
                                          "must be a plain identifier, once per question", key=str(choice_key))
                choice_keys.add(choice_key)
                clean["choices"].append({"key": choice_key, "label": _label(choice.get("label"), f"{at}.label")})
        elif choices is not None:
            raise EventValueError(f"{where}.choices", "choices", f"a {kind} question has no choices")
        questions.append(clean)
    return questions


def _text(record: dict, name: str, limit: int) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not value.strip() or "\x00" in value or len(value.strip()) > limit:
        raise EventValueError(name, name, f"must be a name of at most {limit} characters", max=limit)
    return value.strip()


def validate_event(record: Any) -> EventValues:
    """One event record as :class:`EventValues`; raises :class:`EventValueError` on the first problem."""
    values, _problems = _check(record, first_only=True)
    return values


def event_problems(record: Any) -> dict[str, list[str]]:
    """Every problem of an event record, by field, as English text (the API lists them all);
    empty when :func:`validate_event` would accept it."""
    return _check(record, first_only=False)[1]


def _check(record: Any, first_only: bool) -> tuple[EventValues | None, dict[str, list[str]]]:
    """The checks of a record, in the order of the fields; the first problem raises when
    ``first_only``, else every independent check runs and the problems are collected."""
    problems: dict[str, list[str]] = {}

    def run(check, *args, **kwargs):
        try:
            return check(*args, **kwargs)
        except EventValueError as error:
            if first_only:
                raise
            problems.setdefault(error.field, []).append(error.message)
            return _FAILED

    if not isinstance(record, dict):
        error = EventValueError("event", "mapping", "must be a mapping of fields")
        if first_only:
            raise error
        return None, {"event": [error.message]}
    for name in sorted(set(record) - set(REQUIRED) - set(OPTIONAL), key=str):
        run(_refuse, str(name), "unknown", "unknown field")
    for name in REQUIRED:
        if record.get(name) in (None, ""):
            run(_refuse, name, "required", "is required")
    missing = set(problems)
    slug = run(_slug, record) if "slug" not in missing else _FAILED
    status = run(_status, record)
    city = run(_text, record, "city", MAX_CITY) if "city" not in missing else _FAILED
    if "country" not in missing:
        run(_country, record)
    zone = run(_zone, record) if "timezone" not in missing else _FAILED
    starts_at = ends_at = opens = closes = _FAILED
    if zone is not _FAILED:
        if "starts_at" not in missing:
            starts_at = run(_local_time, record, "starts_at", zone, required=True)
        if "ends_at" not in missing:
            ends_at = run(_local_time, record, "ends_at", zone, required=True)
        if _FAILED not in (starts_at, ends_at) and ends_at < starts_at:
            run(_refuse, "ends_at", "ends_before_start", "is before starts_at")
        opens = run(_local_time, record, "registration_opens", zone, required=False)
        closes = run(_local_time, record, "registration_closes", zone, required=False)
        if opens not in (None, _FAILED) and closes not in (None, _FAILED) and closes < opens:
            run(_refuse, "registration_closes", "closes_before_opens", "is before registration_opens")
    capacity = run(_capacity, record)
    waitlist = run(_waitlist, record)
    languages = run(_languages, record)
    offsets = run(_offsets, record)
    notes = run(_notes, record)
    title = run(_translated, record, "title", required=True) if "title" not in missing else _FAILED
    description = run(_translated, record, "description", required=False)
    venue = run(_translated, record, "venue", required=False)
    questions = run(_questions, record.get("questions"))
    feedback = run(_questions, record.get("feedback"), "feedback", FEEDBACK_TYPES)
    if problems:
        return None, problems
    return EventValues(
        slug=slug, title=title, description=description, venue=venue,
        city=city, country=record["country"], timezone=zone.key, status=str(status),
        starts_at=starts_at, ends_at=ends_at, registration_opens_at=opens, registration_closes_at=closes,
        capacity=capacity, waitlist_enabled=waitlist, languages=list(languages),
        reminder_offsets=offsets, questions=questions, feedback=feedback, notes=notes,
    ), {}


#: A check that failed (its problem is recorded); ``None`` is a value of its own.
_FAILED: Any = object()


def _refuse(field: str, code: str, message: str):
    raise EventValueError(field, code, message)


def _slug(record: dict) -> str:
    slug = record["slug"]
    if not isinstance(slug, str) or len(slug) > MAX_SLUG or not SLUG.match(slug):
        raise EventValueError("slug", "slug", "use lower-case letters, digits and single hyphens (at most 100)")
    return slug


def _status(record: dict) -> str:
    status = record.get("status", EventStatus.DRAFT)
    if status not in tuple(EventStatus):
        raise EventValueError("status", "status", f"must be one of {', '.join(EventStatus)}")
    return status


def _country(record: dict) -> None:
    if record["country"] not in COUNTRIES:
        raise EventValueError("country", "country", "must be DE or CN")


def _zone(record: dict) -> ZoneInfo:
    zone_name = record["timezone"]
    if not isinstance(zone_name, str) or len(zone_name) > MAX_ZONE or not valid_zone(zone_name.strip()):
        raise EventValueError("timezone", "timezone", f"unknown IANA time zone {zone_name!r}")
    return ZoneInfo(zone_name.strip())


def _capacity(record: dict) -> int | None:
    capacity = record.get("capacity")
    if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int)
                                 or not 0 <= capacity <= MAX_CAPACITY):
        raise EventValueError("capacity", "capacity",
                              f"must be a whole number of seats from 0 to {MAX_CAPACITY:,} (empty: unlimited)")
    return capacity


def _waitlist(record: dict) -> bool:
    waitlist = record.get("waitlist", True)
    if not isinstance(waitlist, bool):
        raise EventValueError("waitlist", "waitlist", "must be true or false")
    return waitlist


def _languages(record: dict) -> list:
    languages = record.get("languages", ["en", "zh"])
    if not isinstance(languages, (list, tuple)) or tuple(languages) not in LANGUAGE_PAIRS:
        raise EventValueError("languages", "languages", "must be two different languages of en, zh, de, e.g. [en, zh]")
    return languages


def _offsets(record: dict) -> list:
    offsets = record.get("reminder_offsets", list(DEFAULT_REMINDER_OFFSETS))
    try:
        if not isinstance(offsets, (list, str)):
            raise DurationError(repr(offsets))
        return parse_reminder_offsets(offsets)
    except DurationError as error:
        raise EventValueError("reminder_offsets", "reminder_offsets",
                              f"cannot read {error}: use ISO 8601 durations of at most a year, "
                              "e.g. [P7D, P1D, PT3H]", part=str(error)) from None


def _notes(record: dict):
    notes = record.get("notes", UNSET)
    if notes is not UNSET:
        if notes is not None and (not isinstance(notes, str) or "\x00" in notes or len(notes) > MAX_NOTES):
            raise EventValueError("notes", "notes", f"must be text of at most {MAX_NOTES} characters", max=MAX_NOTES)
        notes = (notes or "").replace("\r\n", "\n").strip() or None
    return notes
