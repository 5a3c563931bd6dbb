"""Calendar entries (ICS) for the mails, made with the icalendar library.

Every mail about one event carries the same UID (``event-<id>@<host of BASE_URL>``), so a calendar
updates its entry instead of adding a second one; ``SEQUENCE`` is the event's ``ics_sequence``,
which rises with every announced change. Times are written in UTC, which every client reads
without a VTIMEZONE block.
"""

from __future__ import annotations

from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event as CalendarEvent, vCalAddress, vText

from ..models import Event, Registration
from ..models.types import utcnow
from .names import full_name


def event_uid(event: Event) -> str:
    """The stable UID of ``event``'s calendar entry."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"event-{event.id}@{host}"


def build_ics(event: Event, registration: Registration, language: str,
              method: str = "REQUEST") -> bytes:
    """The ICS file for ``registration``: ``method`` is REQUEST (add or update) or CANCEL."""
    base_url = current_app.config["BASE_URL"]
    sender_name, sender_address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])

    calendar = Calendar()
    calendar.add("prodid", "-//OAV//eventsvc//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)

    entry = CalendarEvent()
    entry.add("uid", event_uid(event))
    entry.add("sequence", event.ics_sequence or 0)
    entry.add("dtstamp", utcnow())
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
    attendee = vCalAddress(f"mailto:{registration.email}")
    attendee.params["cn"] = vText(full_name(registration.family_name, registration.given_name))
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    entry.add("attendee", attendee)
    calendar.add_component(entry)
    return calendar.to_ical()
