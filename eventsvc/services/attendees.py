"""The attendee list of an event as organizers see it: search, filter, pages, and actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import Event, MailKind, OutboundMail, Registration, RegistrationStatus
from ..models.registration import REGISTRATION_STATUSES
from ..models.event import translated
from ..models.types import utcnow
from .mailing.outbox import queue_mail
from .transaction import locked

PER_PAGE = 50


@dataclass
class AttendeePage:
    """One page of a filtered attendee list."""

    registrations: list[Registration]
    total: int
    page: int
    pages: int


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_attendees(event: Event, query: str = "", status: str | None = None,
                     page: int = 1, per_page: int = PER_PAGE) -> AttendeePage:
    """Registrations of ``event`` whose name, address or organization contains ``query``."""
    conditions = [Registration.event_id == event.id]
    if status in REGISTRATION_STATUSES:
        conditions.append(Registration.status == status)
    query = (query or "").strip()[:200]
    if query:
        pattern = _like(query.lower())
        full_name = func.lower(Registration.family_name + Registration.given_name)
        conditions.append(or_(
            func.lower(Registration.family_name).like(pattern, escape="\\"),
            func.lower(Registration.given_name).like(pattern, escape="\\"),
            func.lower(Registration.given_name + " " + Registration.family_name).like(pattern, escape="\\"),
            full_name.like(pattern, escape="\\"),
            Registration.email.like(pattern, escape="\\"),
            func.lower(Registration.organization).like(pattern, escape="\\"),
        ))
    total = db.session.scalar(select(func.count()).select_from(Registration).where(*conditions))
    pages = max((total + per_page - 1) // per_page, 1)
    page = min(max(page, 1), pages)
    registrations = list(db.session.scalars(
        select(Registration).where(*conditions)
        .order_by(Registration.family_name, Registration.given_name, Registration.id)
        .offset((page - 1) * per_page).limit(per_page)
    ))
    return AttendeePage(registrations, total, page, pages)


def answers_of(registration: Registration, language: str, yes_no: dict[str, str]) -> list[tuple[str, str | None]]:
    """The event's questions with the registrant's answers, in ``language``: (label, answer or None).

    Choice keys are shown by their labels; a key no longer among the choices as it is.
    """
    rows = []
    for question in registration.event.questions or []:
        labels = {choice["key"]: translated(choice["label"], language) for choice in question.get("choices", [])}
        labels.update(yes_no if question["type"] == "yes_no" else {})
        answer = (registration.answers or {}).get(question["key"])
        if isinstance(answer, list):
            answer = ", ".join(labels.get(key, key) for key in answer)
        elif answer is not None:
            answer = labels.get(answer, answer)
        rows.append((translated(question["label"], language), answer or None))
    return rows


def find_registration(event: Event, public_id: str) -> Registration | None:
    """The registration of ``event`` with this public id, or ``None``."""
    if "\x00" in public_id:  # PostgreSQL refuses NUL in any query; no id holds one
        return None
    return db.session.scalar(
        select(Registration).where(Registration.public_id == public_id, Registration.event_id == event.id)
    )


def registrations_after(event: Event, after_id: int, status: str | None, limit: int) -> list[Registration]:
    """Up to ``limit`` registrations of ``event`` in registration order, after id ``after_id``."""
    query = select(Registration).where(Registration.event_id == event.id, Registration.id > after_id)
    if status:
        query = query.where(Registration.status == status)
    return list(db.session.scalars(query.order_by(Registration.id).limit(limit)))


def mails_of(registration: Registration) -> list[OutboundMail]:
    """Every mail decided for the registrant, oldest first."""
    return list(db.session.scalars(
        select(OutboundMail).where(OutboundMail.registration_id == registration.id).order_by(OutboundMail.id)
    ))


def resend_confirmation(registration_id: int, now: datetime | None = None) -> OutboundMail | None:
    """Queue the confirmation again (the waitlisted mail for someone still waiting).

    An organizer resends after checking the address (or correcting it), so a bounce recorded
    for it is forgotten. Returns ``None`` for a cancelled registration, which has nothing to
    confirm.
    """
    now = now or utcnow()
    with locked(Registration, registration_id) as registration:
        if not registration.is_live:
            return None
        registration.email_bounced_at = None
        kind = (MailKind.CONFIRMATION if registration.status == RegistrationStatus.CONFIRMED
                else MailKind.WAITLISTED)
        return queue_mail(registration, kind, f"{kind}:resend:{now:%Y%m%dT%H%M%S.%f}")
