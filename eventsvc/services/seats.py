"""Counting seats and places in line (reads only; the writes are in :mod:`.registration`)."""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import LIVE_STATUSES, Event, Registration, RegistrationStatus


def confirmed_count(event: Event) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Registration).where(
            Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED
        )
    )


def live_counts(event: Event) -> tuple[int, int]:
    """How many are confirmed and how many wait, in one query (it runs under the event lock)."""
    confirmed, waiting = db.session.execute(
        select(
            func.count().filter(Registration.status == RegistrationStatus.CONFIRMED),
            func.count().filter(Registration.status == RegistrationStatus.WAITLISTED),
        ).where(Registration.event_id == event.id, Registration.status.in_(LIVE_STATUSES))
    ).one()
    return confirmed, waiting


def seats_left(event: Event) -> int | None:
    """Free seats, or ``None`` when the event has no capacity limit."""
    if event.capacity is None:
        return None
    return max(event.capacity - confirmed_count(event), 0)


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first in line; ``None`` when the registration is not waitlisted."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = db.session.scalar(
        select(func.count()).select_from(Registration).where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            (Registration.created_at < registration.created_at)
            | ((Registration.created_at == registration.created_at) & (Registration.id < registration.id)),
        )
    )
    return ahead + 1
