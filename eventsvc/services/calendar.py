"""Calendar entries (ICS) for the mails, made with the icalendar library.

Every mail about one event carries the same UID (``event-<id>@<host of BASE_URL>``), so a calendar
updates its entry instead of adding a second one; ``SEQUENCE`` is the event's ``ics_sequence``,
which rises with every announced change. Times are written in UTC, which every client reads
without a VTIMEZONE block.

The subscribed feed (:func:`build_feed`, ``GET /calendar.ics``) carries the same UIDs, so an
event a member registered for stays one entry in their calendar; its times are written in the
event's own zone with a VTIMEZONE block, so a calendar shows "18:00 Berlin" however its owner's
zone changes (summer time, travel).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Event, EventStatus, Registration
from ..models.types import utcnow
from .names import full_name


def event_uid(event: Event) -> str:
    """The stable UID of ``event``'s calendar entry."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"event-{event.id}@{host}"


def build_ics(event: Event, registration: Registration, language: str,
              method: str = "REQUEST") -> bytes:
    """The ICS file for ``registration``: ``method`` is REQUEST (add or update) or CANCEL."""
    name = full_name(registration.family_name, registration.given_name)
    return _calendar(event, language, method, registration.email, name, utcnow()).to_ical()


def _attendee(email: str, name: str):
    from icalendar import vCalAddress, vText

    attendee = vCalAddress(f"mailto:{email}")
    attendee.params["cn"] = vText(name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    return attendee


def _calendar(event: Event, language: str, method: str, email: str, name: str, stamp):
    # icalendar is imported where a calendar file is made, not by every web worker.
    from icalendar import Calendar, Event as CalendarEvent, vCalAddress, vText

    base_url = current_app.config["BASE_URL"]
    sender_name, sender_address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])

    calendar = Calendar()
    calendar.add("prodid", "-//OAV//eventsvc//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)

    entry = CalendarEvent()
    entry.add("uid", event_uid(event))
    entry.add("sequence", event.ics_sequence or 0)
    entry.add("dtstamp", stamp)
    entry.add("dtstart", event.starts_at)
    entry.add("dtend", event.ends_at)
    entry.add("summary", event.text("title", language))
    venue = " ".join(event.text("venue", language).split())
    if venue:
        entry.add("location", venue)
    # The event's public page: the file travels (calendars sync, invitations are forwarded), so it
    # carries no link that could cancel or show the registration.
    entry.add("description", f"{base_url}/events/{event.slug}")
    entry.add("url", f"{base_url}/events/{event.slug}")
    entry.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{sender_address}")
    if sender_name:
        organizer.params["cn"] = vText(sender_name)
    entry.add("organizer", organizer)
    entry.add("attendee", _attendee(email, name))
    calendar.add_component(entry)
    return calendar


class CalendarTemplate:
    """The calendar file of one event, language and method, built once for all its readers.

    Only two lines differ between readers: ``DTSTAMP`` (when the file was made) and ``ATTENDEE``
    (the reader). :meth:`fill` has icalendar write those two lines as it writes them in a whole
    file (escaped and folded alike) and puts them in their places: the bytes are those of
    :func:`build_ics`.
    """

    def __init__(self, event: Event, language: str, method: str) -> None:
        ics = _calendar(event, language, method, "reader@invalid", "reader", utcnow()).to_ical()
        # Logical lines, each still folded as icalendar folded it (a fold is CRLF and a space).
        self._lines = re.split(rb"\r\n(?! )", ics)
        self._stamp_at = next(i for i, line in enumerate(self._lines) if line.startswith(b"DTSTAMP"))
        self._attendee_at = next(i for i, line in enumerate(self._lines) if line.startswith(b"ATTENDEE"))
        #: The DTSTAMP line of the last second a file was stamped in (the line counts whole
        #: seconds; the readers stamped in one second share it).
        self._stamp: tuple[datetime, bytes] | None = None

    def fill(self, email: str, name: str) -> bytes:
        """The file for the reader ``name`` at ``email``, stamped now."""
        from icalendar import Event as CalendarEvent

        now = utcnow().replace(microsecond=0)
        entry = CalendarEvent()
        if self._stamp is None or self._stamp[0] != now:
            entry.add("dtstamp", now)
            self._stamp = (now, entry.content_line("DTSTAMP", entry["DTSTAMP"]).to_ical())
        entry.add("attendee", _attendee(email, name))
        lines = list(self._lines)
        lines[self._stamp_at] = self._stamp[1]
        lines[self._attendee_at] = entry.content_line("ATTENDEE", entry["ATTENDEE"]).to_ical()
        return b"\r\n".join(lines)


#: How far back the feed reaches: last year's events stay in a subscriber's calendar.
FEED_PAST = timedelta(days=365)


def build_feed(events: list[Event], language: str) -> bytes:
    """A calendar of ``events`` in ``language`` (``PUBLISH``: a subscription, not an invitation).

    ``DTSTAMP`` and ``LAST-MODIFIED`` are the event's last change, so the feed is the same bytes
    until something changes and a calendar that compares them fetches nothing new.
    """
    from icalendar import Calendar, Event as CalendarEvent

    base_url = current_app.config["BASE_URL"]
    calendar = Calendar()
    calendar.add("prodid", "-//OAV//eventsvc//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Smart City China")
    calendar.add("x-published-ttl", "PT1H")  # how often Apple's and Outlook's calendars poll
    for event in events:
        entry = CalendarEvent()
        entry.add("uid", event_uid(event))
        entry.add("sequence", event.ics_sequence or 0)
        changed = event.updated_at or event.created_at
        entry.add("dtstamp", changed)
        entry.add("last-modified", changed)
        entry.add("dtstart", event.local_start())
        entry.add("dtend", event.local_end())
        entry.add("summary", event.text("title", language))
        venue = " ".join(event.text("venue", language).split())
        if venue:
            entry.add("location", venue)
        link = f"{base_url}/events/{event.slug}?lang={language}"
        description = event.text("description", language).strip()
        entry.add("description", f"{description}\n\n{link}" if description else link)
        entry.add("url", link)
        entry.add("status", "CANCELLED" if event.status == EventStatus.CANCELLED else "CONFIRMED")
        entry.add("transp", "OPAQUE")
        calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def feed_events(now: datetime | None = None) -> list[Event]:
    """What the feed holds: every published or cancelled event that ended less than a year ago
    (drafts never), in start order."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(Event).where(Event.status != EventStatus.DRAFT, Event.ends_at >= now - FEED_PAST)
        .order_by(Event.starts_at, Event.id)))
