"""Events: what people register for."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint, Integer, String, Text, Boolean
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .statuses import EventStatus, one_of
from .types import JSONType, UTCDateTime, utcnow

EVENT_STATUSES = tuple(EventStatus)

#: Reminders go out this long before an event unless the organizer says otherwise (ISO 8601).
DEFAULT_REMINDER_OFFSETS = ["P7D", "P1D"]


def translated(value: dict | None, language: str, fallback: str = "en") -> str:
    """The text of a translated field in ``language``, else in English, else any text at all."""
    if not value:
        return ""
    return value.get(language) or value.get(fallback) or next(iter(value.values()), "")


class Event(db.Model):
    """An event people register for, e.g. the Hamburg launch of the Smart City China report."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(one_of("status", EventStatus), name="status"),
        CheckConstraint("country IN ('DE', 'CN')", name="country"),
        CheckConstraint("ends_at >= starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: URL name, stable across edits and imports.
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    #: Translated texts: ``{"en": …, "zh": …, "de": …}``, falling back to English.
    title: Mapped[dict] = mapped_column(JSONType)
    #: Translated description, plain text with blank lines between paragraphs.
    description: Mapped[dict] = mapped_column(JSONType, default=dict)
    #: Translated venue: name and address, one line each.
    venue: Mapped[dict] = mapped_column(JSONType, default=dict)
    #: City in English, for lists and exports.
    city: Mapped[str] = mapped_column(String(100))
    #: ISO 3166 country code: DE or CN.
    country: Mapped[str] = mapped_column(String(2))
    #: IANA time zone the event's times are entered and shown in.
    timezone: Mapped[str] = mapped_column(String(64))
    #: Start and end, stored in UTC.
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Seats; empty means unlimited.
    capacity: Mapped[int | None] = mapped_column(Integer)
    #: Whether registrations beyond capacity go on a waiting list (else the form says "full").
    waitlist_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Registration window; empty opening means open now, empty closing means until the start.
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The language pair every mail of this event carries, e.g. ``["en", "zh"]``.
    languages: Mapped[list] = mapped_column(JSONType, default=lambda: ["en", "zh"])
    #: draft, published or cancelled.
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.DRAFT)
    #: ISO 8601 durations before the start at which reminders go out.
    reminder_offsets: Mapped[list] = mapped_column(
        JSONType, default=lambda: list(DEFAULT_REMINDER_OFFSETS)
    )
    #: The organizer's own questions on the form (docs/architecture.md, "Events file").
    questions: Mapped[list] = mapped_column(JSONType, default=list)
    #: Questions asked after the event (``/r/<token>/feedback``): the shape of ``questions``,
    #: plus the type ``rating`` (1 to 5).
    feedback: Mapped[list] = mapped_column(JSONType, default=list)
    #: The organizer's own paragraph for the thank-you and missed-you mails, per language.
    follow_up_texts: Mapped[dict] = mapped_column(JSONType, default=dict)
    #: When the thank-you and missed-you mails were queued (beat sends them once).
    follow_up_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: ICS SEQUENCE; rises whenever time or venue change, so calendars update the entry.
    ics_sequence: Mapped[int] = mapped_column(Integer, default=0)
    #: When a pending "event changed" notice is due (several edits in a row send one mail).
    change_notice_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: What changed since the last notice: the old time and venue, for the "changed" mail.
    change_notice_before: Mapped[dict | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    #: Free text for organizers, never shown to attendees.
    notes: Mapped[str | None] = mapped_column(Text)

    registrations = relationship("Registration", back_populates="event", lazy="dynamic")

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def text(self, field: str, language: str) -> str:
        """A translated field (``title``, ``description``, ``venue``) in ``language``."""
        return translated(getattr(self, field), language)

    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    def local_end(self) -> datetime:
        return self.ends_at.astimezone(self.zone)

    def is_past(self, now: datetime | None = None) -> bool:
        return self.ends_at <= (now or utcnow())

    def registration_open(self, now: datetime | None = None) -> bool:
        """Whether the form takes registrations now (published, in the window, not started)."""
        return registration_open(self, now)


def registration_open(event, now: datetime | None = None) -> bool:
    """Whether the form of ``event`` (an :class:`Event`, or anything with its status, start and
    registration window) takes registrations now."""
    now = now or utcnow()
    closes = event.registration_closes_at or event.starts_at
    opens = event.registration_opens_at
    return event.status == EventStatus.PUBLISHED and (opens is None or opens <= now) and now < closes
