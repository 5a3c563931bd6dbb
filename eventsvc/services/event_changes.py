"""Announcing changes to an event: new time or venue, or cancellation.

Interface used by the events import and the organizer pages: take ``snapshot(event)`` before
editing, then call ``note_event_change(event, before)`` before committing; ``cancel_event(event_id)``
cancels and mails everyone; beat runs ``send_due_change_notices()`` (through the reminders run).

Several edits in a row send one mail: each edit of an announced field moves the notice to
:data:`QUIET_PERIOD` after the edit, and the "before" of the FIRST edit is kept, so the mail says
what changed since registrants last heard, not since the last keystroke. An edit that puts
everything back as it was sends nothing.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import LIVE_STATUSES, Event, EventStatus, MailKind, Registration
from ..models.types import utcnow
from .mailing.bulk import queue_for_each
from .transaction import end_read, locked
from .webhooks import emit_event_changed

#: The fields whose change every live registrant is told about.
ANNOUNCED_FIELDS = ("starts_at", "ends_at", "timezone", "venue")
#: How long after the last edit the "event changed" mail is queued.
QUIET_PERIOD = timedelta(minutes=10)


def snapshot(event: Event) -> dict:
    """The announced fields of ``event`` as they are now, to compare after an edit."""
    # A deep copy: an edit that changes the venue dict in place must still count as a change.
    return {field: copy.deepcopy(getattr(event, field)) for field in ANNOUNCED_FIELDS}


def _serialise(before: dict) -> dict:
    """The snapshot as JSON: datetimes as ISO 8601 strings."""
    return {key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in before.items()}


def _differs(event: Event, stored: dict) -> bool:
    current = _serialise(snapshot(event))
    return any(current[field] != stored.get(field) for field in ANNOUNCED_FIELDS)


def note_event_change(event: Event, before: dict, now: datetime | None = None) -> bool:
    """Record that a published event's time or venue changed; the caller commits.

    Raises the ICS sequence at once (the registrant's page and any later mail carry the new
    one) and schedules the notice for the end of the quiet period. Returns whether anything
    announced changed.
    """
    changed = any(getattr(event, field) != before[field] for field in ANNOUNCED_FIELDS)
    if changed:
        now = now or utcnow()
        event.ics_sequence = (event.ics_sequence or 0) + 1
        if event.change_notice_before is None:
            event.change_notice_before = _serialise(before)
        event.change_notice_due_at = now + QUIET_PERIOD
    return changed


def _live_registration_ids(event_id: int):
    """The live registrations of the event, as a query for a bulk insert."""
    return select(Registration.id).where(Registration.event_id == event_id,
                                         Registration.status.in_(LIVE_STATUSES))


def cancel_event(event_id: int, now: datetime | None = None) -> int:
    """Cancel the event and queue one cancellation mail per live registrant; returns that count.

    The calendar entry in the mail is a METHOD:CANCEL of the same UID with a higher SEQUENCE.
    A pending "changed" notice is dropped, and no reminder goes out afterwards (reminders are
    only queued, and only sent, for published events). Cancelling twice mails nobody twice.
    """
    with locked(Event, event_id) as event:
        if event.status == EventStatus.CANCELLED:
            return 0
        event.status = EventStatus.CANCELLED
        event.ics_sequence = (event.ics_sequence or 0) + 1
        event.change_notice_due_at = None
        event.change_notice_before = None
        event.updated_at = now or utcnow()
        emit_event_changed(event, now)
        return queue_for_each(_live_registration_ids(event.id), MailKind.EVENT_CANCELLED, "event_cancelled")


def send_due_change_notices(now: datetime | None = None) -> int:
    """Queue the "event changed" mails whose quiet period has passed; returns how many."""
    now = now or utcnow()
    due = list(db.session.scalars(
        select(Event.id).where(Event.change_notice_due_at.is_not(None), Event.change_notice_due_at <= now)
    ))
    end_read()
    queued = 0
    for event_id in due:
        with locked(Event, event_id) as event:
            if event.change_notice_due_at is None or event.change_notice_due_at > now:
                continue  # another run took it
            before = event.change_notice_before or {}
            event.change_notice_due_at = None
            event.change_notice_before = None
            if event.status == EventStatus.PUBLISHED and _differs(event, before):
                payload = {"before": before, "sequence": event.ics_sequence}
                queued += queue_for_each(_live_registration_ids(event.id), MailKind.EVENT_CHANGED,
                                         f"event_changed:{event.ics_sequence}", payload)
    return queued
