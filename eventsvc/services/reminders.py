"""Reminders before an event, queued by beat (``flask reminders run`` does the same by hand).

For each published event and each of its reminder offsets (ISO 8601 durations such as ``P7D``
or ``PT3H``), the reminder is due at start minus offset. A run queues it, keyed
``reminder:<offset>``, for every confirmed registrant who

* registered before that moment (whoever registered later has just had the confirmation),
* has not unsubscribed,

and only while more than half the offset is still left before the start: an event created two
days ahead gets no seven-day reminder, and a beat that was down for a week does not send the
seven-day reminder on the eve of the event. Waitlisted people get no reminder: they have no
seat. Cancelled events get none. Safe to run any number of times.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Event, EventStatus, MailKind, Registration, RegistrationStatus
from ..models.types import utcnow
from .durations import DurationError, parse_duration
from .event_changes import send_due_change_notices
from .mailing.bulk import queue_for_each
from .transaction import end_read
#: The longest offset looked at, so the query only reads events that start soon enough.
LONGEST_OFFSET = timedelta(days=60)


def due_offsets(event: Event, now: datetime) -> list[tuple[str, datetime]]:
    """The event's reminders whose moment has come and that still make sense: (key, moment)."""
    due = []
    for value in event.reminder_offsets or []:
        try:
            offset = parse_duration(value)
        except DurationError:
            continue  # stored before the offsets were checked; nothing sensible to send
        moment = event.starts_at - offset
        if moment <= now and event.starts_at - now > offset / 2:
            due.append((value, moment))
    return due


def run_due(now: datetime | None = None) -> int:
    """Queue every reminder and event-change notice that is due; returns how many mails."""
    now = now or utcnow()
    queued = send_due_change_notices(now)
    events = list(db.session.scalars(
        select(Event).where(
            Event.status == EventStatus.PUBLISHED, Event.starts_at > now, Event.starts_at <= now + LONGEST_OFFSET
        )
    ))
    for event in events:
        for key, moment in due_offsets(event, now):
            recipients = select(Registration.id).where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED,
                Registration.unsubscribed_at.is_(None),
                Registration.created_at <= moment,
            )
            queued += queue_for_each(recipients, MailKind.REMINDER, f"reminder:{key}")
    end_read()
    return queued
