"""Registering, cancelling and the waiting list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Event, Registration
from ..models.registration import LIVE_STATUSES
from ..models.types import utcnow
from .outbox import queue_mail


class RegistrationClosed(Exception):
    """The event takes no registrations now (draft, cancelled, past or outside its window)."""


class EventFull(Exception):
    """The event is full and its organizer has turned the waiting list off."""


@dataclass
class RegistrationData:
    """What a registrant enters, already validated by the form or the API schema."""

    email: str
    family_name: str
    given_name: str
    organization: str = ""
    job_title: str = ""
    language: str = "en"
    privacy_consent: bool = False
    marketing_consent: bool = False


@dataclass
class RegistrationOutcome:
    """What became of a registration attempt.

    ``created`` is false when the address already had a live registration: nothing new was
    stored and the existing registrant was mailed their own link. Callers must tell the visitor
    the same in both cases, so that the form reveals nothing about who is registered.
    """

    registration: Registration
    created: bool


def normalize_email(email: str) -> str:
    return email.strip().lower()


def lock_event(event_id: int) -> Event:
    """Load the event and hold it until the commit, so seat counts cannot race.

    PostgreSQL takes a row lock; on SQLite every transaction already holds the write lock
    (see :mod:`eventsvc.database`).
    """
    return db.session.execute(
        select(Event).where(Event.id == event_id).with_for_update()
    ).scalar_one()


def confirmed_count(event: Event) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Registration).where(
            Registration.event_id == event.id, Registration.status == "confirmed"
        )
    )


def live_counts(event: Event) -> tuple[int, int]:
    """How many are confirmed and how many wait, in one query (it runs under the event lock)."""
    confirmed, waiting = db.session.execute(
        select(
            func.count().filter(Registration.status == "confirmed"),
            func.count().filter(Registration.status == "waitlisted"),
        ).where(Registration.event_id == event.id, Registration.status.in_(LIVE_STATUSES))
    ).one()
    return confirmed, waiting


def seats_left(event: Event) -> int | None:
    """Free seats, or ``None`` when the event has no capacity limit."""
    if event.capacity is None:
        return None
    return max(event.capacity - confirmed_count(event), 0)


def find_live_registration(event: Event, email: str) -> Registration | None:
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.email == normalize_email(email),
            Registration.status.in_(LIVE_STATUSES),
        )
    )


def register(event_id: int, data: RegistrationData, now: datetime | None = None) -> RegistrationOutcome:
    """Register a person for an event, or put them on its waiting list when it is full.

    One transaction holds the registration and its confirmation (or waitlisted) mail. A second
    attempt with the same address creates nothing and queues an "already registered" mail with
    the registrant's own link (at most one an hour).
    """
    db.session.rollback()  # start the transaction here, with the lock as its first statement
    event = lock_event(event_id)
    # The clock is read once the lock is held: registration times then follow the order in which
    # registrations took their seat or place in line, and a place shown never moves back.
    now = now or utcnow()
    if not event.registration_open(now):
        db.session.rollback()
        raise RegistrationClosed(event.slug)

    existing = find_live_registration(event, data.email)
    if existing is not None:
        queue_mail(existing, "already_registered", f"already_registered:{now:%Y%m%d%H}")
        db.session.commit()
        return RegistrationOutcome(existing, created=False)

    left, promoted = None, []
    if event.capacity is not None:
        confirmed, waiting = live_counts(event)
        left = max(event.capacity - confirmed, 0)
        if left and waiting:
            # Seats can come free without a promotion (capacity raised by an import or an edit
            # that did not go through set_capacity): whoever is waiting gets them first.
            promoted = promote_from_waitlist(event, now, left)
            left -= len(promoted)
    if left == 0 and not event.waitlist_enabled:
        if promoted:
            db.session.commit()  # those who waited keep their new seats; only the newcomer is refused
        else:
            db.session.rollback()
        raise EventFull(event.slug)
    registration = Registration(
        event=event,
        email=normalize_email(data.email),
        family_name=data.family_name.strip(),
        given_name=data.given_name.strip(),
        organization=data.organization.strip(),
        job_title=data.job_title.strip(),
        language=data.language,
        status="waitlisted" if left == 0 else "confirmed",
        privacy_consent_at=now,
        privacy_consent_version=current_app.config["PRIVACY_NOTICE_VERSION"],
        marketing_consent_at=now if data.marketing_consent else None,
        created_at=now,
    )
    db.session.add(registration)
    queue_mail(registration, "confirmation" if registration.status == "confirmed" else "waitlisted")
    try:
        db.session.commit()
    except IntegrityError:
        # Another request registered the same address at the same moment (possible only where
        # the event lock is not taken first, e.g. an older client); the database said no.
        db.session.rollback()
        existing = find_live_registration(db.session.get(Event, event_id), data.email)
        if existing is None:
            raise
        return RegistrationOutcome(existing, created=False)
    return RegistrationOutcome(registration, created=True)


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first in line; ``None`` when the registration is not waitlisted."""
    if registration.status != "waitlisted":
        return None
    ahead = db.session.scalar(
        select(func.count()).select_from(Registration).where(
            Registration.event_id == registration.event_id,
            Registration.status == "waitlisted",
            (Registration.created_at < registration.created_at)
            | ((Registration.created_at == registration.created_at) & (Registration.id < registration.id)),
        )
    )
    return ahead + 1


def promote_from_waitlist(event: Event, now: datetime | None = None,
                          left: int | None = None) -> list[Registration]:
    """Give free seats to the waiting list, first come first served; the caller commits.

    The event must be locked (:func:`lock_event`) in the current transaction. ``left`` saves
    counting the seats again when the caller has just done so.
    """
    now = now or utcnow()
    if event.status != "published" or event.starts_at <= now:
        # A seat freed once the event has begun helps nobody: no "you have a seat" mail then.
        return []
    limit = seats_left(event) if left is None else left
    if limit == 0:
        return []
    query = (
        select(Registration)
        .where(Registration.event_id == event.id, Registration.status == "waitlisted")
        .order_by(Registration.created_at, Registration.id)
    )
    if limit is not None:
        query = query.limit(limit)
    promoted = list(db.session.scalars(query))
    for registration in promoted:
        registration.status = "confirmed"
        registration.promoted_at = now
        queue_mail(registration, "promoted")
    return promoted


def cancel(registration_id: int, now: datetime | None = None) -> Registration:
    """Cancel a registration (seat or place in line) and give a freed seat to the next in line."""
    now = now or utcnow()
    db.session.rollback()
    registration = db.session.get(Registration, registration_id)
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.status == "cancelled":
        db.session.rollback()
        return registration
    registration.status = "cancelled"
    registration.cancelled_at = now
    queue_mail(registration, "cancelled")
    db.session.flush()
    promote_from_waitlist(event, now)
    db.session.commit()
    return registration


def set_language(registration_id: int, language: str) -> Registration:
    """Change the language of the registrant's pages and future mail."""
    registration = db.session.get(Registration, registration_id)
    registration.language = language
    db.session.commit()
    return registration


def set_capacity(event_id: int, capacity: int | None) -> list[Registration]:
    """Change an event's capacity; a raised capacity promotes as many as now fit."""
    db.session.rollback()
    event = lock_event(event_id)
    event.capacity = capacity
    db.session.flush()
    promoted = promote_from_waitlist(event)
    db.session.commit()
    return promoted
