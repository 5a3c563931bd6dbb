"""Figures about stored things, read from the database when Prometheus scrapes ``/metrics``.

Read at scrape time rather than counted in each process, so that every web worker on every host
answers with the same numbers, and nothing is lost when a process restarts. Each figure is one
grouped query over indexed columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..extensions import db
from ..models import Event, MailStatus, OutboundMail, Registration
from ..models.types import utcnow
from .transaction import end_read


@dataclass
class StoredFigures:
    #: (event slug, status) → registrations.
    registrations: dict[tuple[str, str], int]
    #: (status, relay) → mails in the outbox; relay is "" before the first attempt.
    outbox: dict[tuple[str, str], int]
    #: Seconds the longest-waiting mail that is due has waited (0: none waits).
    oldest_queued_seconds: float
    #: (relay, result) → mails the relay accepted ("sent", bounced ones too) or refused for good ("failed").
    mail_results: dict[tuple[str, str], int]
    #: Mails that were accepted and then came back as a hard bounce.
    bounces: int
    #: (event slug, door) → registrants checked in.
    checkins: dict[tuple[str, str], int]


def _door_column():
    """The door a check-in happened at, where the schema records it (else one unnamed door)."""
    return getattr(Registration, "checkin_door", None)


def stored_figures(now: datetime | None = None) -> StoredFigures:
    now = now or utcnow()
    session = db.session
    try:
        registrations = {
            (slug, status): count for slug, status, count in session.execute(
                select(Event.slug, Registration.status, func.count())
                .join(Registration, Registration.event_id == Event.id)
                .group_by(Event.slug, Registration.status))
        }
        route = func.coalesce(OutboundMail.route, "")
        outbox = {
            (status, relay): count for status, relay, count in session.execute(
                select(OutboundMail.status, route, func.count()).group_by(OutboundMail.status, route))
        }
        oldest = session.scalar(
            select(func.min(OutboundMail.next_attempt_at))
            .where(OutboundMail.status == MailStatus.QUEUED, OutboundMail.next_attempt_at <= now))
        accepted = {
            (relay, "sent"): count for relay, count in session.execute(
                select(route, func.count()).where(OutboundMail.sent_at.is_not(None)).group_by(route))
        }
        refused = {
            (relay, "failed"): count for relay, count in session.execute(
                select(OutboundMail.route, func.count())
                .where(OutboundMail.status == MailStatus.FAILED, OutboundMail.route.is_not(None))
                .group_by(OutboundMail.route))
        }
        bounces = session.scalar(
            select(func.count()).select_from(OutboundMail).where(OutboundMail.status == MailStatus.BOUNCED))
        door = _door_column()
        door = func.coalesce(door, "") if door is not None else None
        checkin_query = (select(Event.slug, *([door] if door is not None else []), func.count())
                         .join(Registration, Registration.event_id == Event.id)
                         .where(Registration.checked_in_at.is_not(None))
                         .group_by(Event.slug, *([door] if door is not None else [])))
        checkins = {}
        for row in session.execute(checkin_query):
            slug, *place, count = row
            checkins[(slug, place[0] if place else "")] = count
    finally:
        end_read()
    waited = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return StoredFigures(registrations, outbox, waited, {**accepted, **refused}, bounces or 0, checkins)
