"""Announcing changes to an event: new time or venue, or cancellation.

Interface used by the events import and the organizer pages (the mail engineer fills it in):
take ``snapshot(event)`` before editing, then call ``note_event_change(event, before)`` before
committing; ``cancel_event(event_id)`` cancels and mails everyone; beat runs
``send_due_change_notices()``.
"""

from __future__ import annotations

from datetime import datetime

from ..models import Event

#: The fields whose change every live registrant is told about.
ANNOUNCED_FIELDS = ("starts_at", "ends_at", "timezone", "venue")


def snapshot(event: Event) -> dict:
    """The announced fields of ``event`` as they are now, to compare after an edit."""
    return {field: getattr(event, field) for field in ANNOUNCED_FIELDS}


def note_event_change(event: Event, before: dict, now: datetime | None = None) -> bool:
    """Record that a published event's time or venue changed; the caller commits.

    Returns whether anything announced changed.
    """
    changed = any(getattr(event, field) != before[field] for field in ANNOUNCED_FIELDS)
    if changed:
        event.ics_sequence = (event.ics_sequence or 0) + 1
    return changed


def cancel_event(event_id: int, now: datetime | None = None) -> int:
    """Cancel the event and queue one cancellation mail per live registrant; returns that count."""
    raise NotImplementedError


def send_due_change_notices(now: datetime | None = None) -> int:
    """Queue the "event changed" mails whose quiet period has passed; returns how many."""
    return 0
