"""Registering, cancelling and the waiting list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from ..extensions import db
from ..models import LIVE_STATUSES, Event, EventStatus, MailKind, Registration, RegistrationStatus
from ..models.registration import IS_LIVE
from ..models.types import utcnow
from .mailing.outbox import queue_first_mail, queue_mail
from .webhooks import emit_registration, listening as webhooks_listening
from .follow_up import request_consent
from .seats import live_counts, seats_left, waitlist_position
from .transaction import in_transaction, lock, locked, transaction

__all__ = [
    "EventFull", "RegistrationClosed", "RegistrationData", "RegistrationOutcome", "cancel",
    "find_live_registration", "normalize_email", "promote_from_waitlist", "register",
    "seats_left", "set_capacity", "set_language", "waitlist_position",
]


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
    #: Answers to the event's own questions, by key (checked by the form against the questions).
    answers: dict = field(default_factory=dict)


@dataclass
class RegistrationOutcome:
    """What became of a registration attempt.

    ``created`` is false when the address already had a live registration: nothing new was
    stored and the existing registrant was mailed their own link. Callers must tell the visitor
    the same in both cases, so that the form reveals nothing about who is registered (and show
    no id of the registration: it would tell an earlier registration from a new one). On a full
    event without a waiting list, an address already registered gets :class:`EventFull` like a
    new one, and its link by mail.
    """

    registration: Registration
    created: bool


def normalize_email(email: str) -> str:
    return email.strip().lower()


# The statements of every registration, built once (only their values change).
#: The id of the address's live registration: most addresses are new, and a row of every
#: column costs more than its answer.
_LIVE_REGISTRATION_ID = select(Registration.id).where(
    Registration.event_id == bindparam("event_id"),
    Registration.email == bindparam("email"),
    Registration.status.in_(LIVE_STATUSES),
    IS_LIVE,  # the index's own condition: a lookup in it, not a scan of the event
)
#: The event's lock, whether any webhook endpoint listens to it, and the id of the address's
#: live registration, in one round trip. The address is read in the statement's snapshot, taken
#: before the lock was granted: a registration of the same address committed while this one
#: waited is not seen here, but the unique index refuses the second, and :func:`register`
#: tries again (then it is seen).
_LOCK_EVENT = (select(Event, webhooks_listening(Event.id), _LIVE_REGISTRATION_ID.scalar_subquery())
               .where(Event.id == bindparam("event_id"))
               .with_for_update(of=Event).execution_options(populate_existing=True))
#: A new registration, handed back whole (its tokens and public id are made by the column
#: defaults): one statement on the table, without the unit of work's bookkeeping.
_INSERT_REGISTRATION = insert(Registration.__table__).returning(*Registration.__table__.c)
#: The attribute of each column :data:`_INSERT_REGISTRATION` hands back, in its order.
_REGISTRATION_ATTRIBUTES = tuple(Registration.__mapper__.get_property_by_column(column).key
                                 for column in Registration.__table__.c)


def _insert_registration(values: dict) -> Registration:
    """Insert a registration and put it in the session as a stored one (as a query would)."""
    row = db.session.execute(_INSERT_REGISTRATION, values).one()
    registration = Registration(**dict(zip(_REGISTRATION_ATTRIBUTES, row)))
    make_transient_to_detached(registration)
    db.session.add(registration)
    return registration


def find_live_registration(event: Event, email: str) -> Registration | None:
    registration_id = db.session.scalar(_LIVE_REGISTRATION_ID,
                                        {"event_id": event.id, "email": normalize_email(email)})
    return None if registration_id is None else db.session.get(Registration, registration_id)


def register(event_id: int, data: RegistrationData, now: datetime | None = None,
             at_the_door: bool = False) -> RegistrationOutcome:
    """Register a person for an event, or put them on its waiting list when it is full.

    One transaction holds the registration and its confirmation (or waitlisted) mail. A second
    attempt with the same address creates nothing and queues an "already registered" mail with
    the registrant's own link (at most one an hour). ``at_the_door``: an organizer registers a
    walk-in, so the registration window does not apply (a published event is still required).
    """
    try:
        return _register(event_id, data, now, at_the_door)
    except IntegrityError:
        # Another request registered the same address at the same moment (it committed while
        # this one waited for the event's lock); the database said no. Once more: now it is
        # seen, and answered as any address registered already. Inside a caller's transaction
        # nothing can be tried again (it is spoilt): the caller's block rolls back.
        if in_transaction() or find_live_registration(db.session.get(Event, event_id), data.email) is None:
            raise
        return _register(event_id, data, now, at_the_door)


def _register(event_id: int, data: RegistrationData, now: datetime | None,
              at_the_door: bool = False) -> RegistrationOutcome:
    promoted: list[Registration] = []
    with transaction():
        event, listening, existing_id = db.session.execute(
            _LOCK_EVENT, {"event_id": event_id, "email": normalize_email(data.email)}).one()
        # The clock is read once the lock is held: registration times then follow the order in
        # which registrations took their seat or place in line, and a place shown never moves back.
        now = now or utcnow()
        if not (event.status == EventStatus.PUBLISHED if at_the_door else event.registration_open(now)):
            raise RegistrationClosed(event.slug)
        existing = None if existing_id is None else db.session.get(Registration, existing_id)
        if existing is not None:
            queue_mail(existing, MailKind.ALREADY_REGISTERED, f"already_registered:{now:%Y%m%d%H}")
            if not _newcomer_would_be_turned_away(event):
                return RegistrationOutcome(existing, created=False)
        left = None if existing is None else 0
        if event.capacity is not None:
            confirmed, waiting = live_counts(event)
            left = max(event.capacity - confirmed, 0)
            if left and waiting:
                # Seats can come free without a promotion (capacity raised by an import or an
                # edit that did not go through set_capacity): whoever is waiting gets them first.
                promoted = promote_from_waitlist(event, now, left)
                left -= len(promoted)
        if existing is None and (left != 0 or event.waitlist_enabled):
            registration = _insert_registration({
                "event_id": event.id,
                "email": normalize_email(data.email),
                "family_name": data.family_name.strip(),
                "given_name": data.given_name.strip(),
                "organization": data.organization.strip(),
                "job_title": data.job_title.strip(),
                "language": data.language,
                "status": RegistrationStatus.WAITLISTED if left == 0 else RegistrationStatus.CONFIRMED,
                "privacy_consent_at": now,
                "privacy_consent_version": current_app.config["PRIVACY_NOTICE_VERSION"],
                "marketing_consent_at": now if data.marketing_consent else None,
                "created_at": now,
                "answers": dict(data.answers),
            })
            queue_first_mail(registration, MailKind.CONFIRMATION if registration.status == RegistrationStatus.CONFIRMED
                             else MailKind.WAITLISTED)
            if listening:
                emit_registration("registration.created", registration, now)
            if data.marketing_consent:  # double opt-in: a mail asks to confirm it
                request_consent(registration, now)
            return RegistrationOutcome(registration, created=True)
    # Full, and no waiting list: those who waited keep the seats just given to them (committed
    # above); only the newcomer is turned away. So is an address that is registered already (its
    # own link went out by mail above): both must get the same answer.
    raise EventFull(event.slug)


def _newcomer_would_be_turned_away(event: Event) -> bool:
    """Whether a new address would get :class:`EventFull` now (the event is locked)."""
    if event.capacity is None or event.waitlist_enabled:
        return False
    confirmed, waiting = live_counts(event)
    return event.capacity - confirmed - waiting <= 0


def promote_from_waitlist(event: Event, now: datetime | None = None,
                          left: int | None = None) -> list[Registration]:
    """Give free seats to the waiting list, first come first served, in the caller's transaction.

    The event must be locked (:func:`eventsvc.services.transaction.lock`) in that transaction. ``left`` saves
    counting the seats again when the caller has just done so.
    """
    now = now or utcnow()
    if event.status != EventStatus.PUBLISHED or event.starts_at <= now:
        # A seat freed once the event has begun helps nobody: no "you have a seat" mail then.
        return []
    limit = seats_left(event) if left is None else left
    if limit == 0:
        return []
    query = (
        select(Registration)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.created_at, Registration.id)
    )
    if limit is not None:
        query = query.limit(limit)
    promoted = list(db.session.scalars(query))
    for registration in promoted:
        registration.status = RegistrationStatus.CONFIRMED
        registration.promoted_at = now
        queue_mail(registration, MailKind.PROMOTED)
        emit_registration("registration.promoted", registration, now)
    return promoted


def cancel(registration_id: int, now: datetime | None = None) -> Registration:
    """Cancel a registration (seat or place in line) and give a freed seat to the next in line."""
    now = now or utcnow()
    event_id = db.session.scalar(select(Registration.event_id).where(Registration.id == registration_id))
    with locked(Event, event_id) as event:
        registration = lock(Registration, registration_id)
        if registration.status == RegistrationStatus.CANCELLED:
            return registration
        registration.status = RegistrationStatus.CANCELLED
        registration.cancelled_at = now
        queue_mail(registration, MailKind.CANCELLED)
        emit_registration("registration.cancelled", registration, now)
        db.session.flush()
        promote_from_waitlist(event, now)
    return registration


def set_language(registration_id: int, language: str) -> Registration:
    """Change the language of the registrant's pages and future mail."""
    with locked(Registration, registration_id) as registration:
        registration.language = language
    return registration


def set_capacity(event_id: int, capacity: int | None) -> list[Registration]:
    """Change an event's capacity; a raised capacity promotes as many as now fit."""
    with locked(Event, event_id) as event:
        event.capacity = capacity
        db.session.flush()
        promoted = promote_from_waitlist(event)
    return promoted
