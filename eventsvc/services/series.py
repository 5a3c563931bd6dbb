"""The series: every event of this service belongs to the report's one series of launches.

The missed-you mail names the next ones a reader can still register for.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import Event, EventStatus
from ..models.types import utcnow

#: How many next events a mail names.
NEXT_EVENTS = 3


def next_events(event: Event, now: datetime | None = None, limit: int = NEXT_EVENTS) -> list[Event]:
    """The other published events that take registrations now, soonest first."""
    now = now or utcnow()
    candidates = db.session.scalars(
        select(Event).where(Event.id != event.id, Event.status == EventStatus.PUBLISHED, Event.starts_at > now)
        .order_by(Event.starts_at, Event.id).limit(limit * 4))
    return [candidate for candidate in candidates if candidate.registration_open(now)][:limit]
