"""Invitations to follow-up events, to addresses whose owners asked for them twice.

Ticking "hear about follow-up events" on the form only requests it: a mail with a link
(``/consent/<token>``) asks the person to confirm, and only a confirmed consent that was not
withdrawn counts (double opt-in; the request time, the confirmation time and the notice version
are kept as proof). ``flask events invite SLUG`` and the button on the event's page mail every
such address once per event, except those already registered for it; each invitation carries a
one-click unsubscribe (RFC 8058, ``/unsubscribe/<withdraw token>``) with a token of its own that
can only withdraw the consent: the consent link itself, which also confirms and shows the
address, never leaves in an invitation.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import LIVE_STATUSES, Event, EventStatus, FollowUpConsent, MailKind, OutboundMail, Registration
from ..models.types import utcnow
from .mailing.bulk import queue_for_each
from .mailing.outbox import queue_mail
from .transaction import transaction


def request_consent(registration: Registration, now: datetime) -> None:
    """The box was ticked: ask the address to confirm, unless its consent is in force already.

    Runs in the registration's transaction; the confirmation mail goes out with it.
    """
    consent = db.session.scalar(select(FollowUpConsent).where(FollowUpConsent.email == registration.email))
    if consent is not None and consent.in_force:
        return
    if consent is None:
        consent = FollowUpConsent(email=registration.email)
        db.session.add(consent)
    consent.registration = registration
    consent.requested_at = now
    consent.confirmed_at = consent.withdrawn_at = None
    queue_mail(registration, MailKind.CONSENT, f"consent:{now:%Y%m%d%H%M%S}")


def find_consent(token: str) -> FollowUpConsent | None:
    if not token or len(token) > 64 or "\x00" in token:
        return None
    return db.session.scalar(select(FollowUpConsent).where(FollowUpConsent.token == token))


def find_by_withdraw_token(token: str) -> FollowUpConsent | None:
    """The consent behind an invitation's unsubscribe link (a token that can only withdraw)."""
    if not token or len(token) > 64 or "\x00" in token:
        return None
    return db.session.scalar(select(FollowUpConsent).where(FollowUpConsent.withdraw_token == token))


def confirm(consent_id: int, now: datetime | None = None) -> FollowUpConsent:
    """The link was followed: the consent counts from now, under the current notice."""
    with transaction():
        consent = db.session.get(FollowUpConsent, consent_id)
        if not consent.in_force:
            consent.confirmed_at = now or utcnow()
            consent.withdrawn_at = None
            consent.notice_version = current_app.config["PRIVACY_NOTICE_VERSION"]
    return consent


def withdraw(consent_id: int, now: datetime | None = None) -> FollowUpConsent:
    """No more invitations (safe to call twice: the first time is kept)."""
    with transaction():
        consent = db.session.get(FollowUpConsent, consent_id)
        if consent.withdrawn_at is None:
            consent.withdrawn_at = now or utcnow()
    return consent


def withdraw_for_address(email: str, now: datetime | None = None) -> None:
    """The registrant unsubscribed: their address gets no invitations either."""
    consent = db.session.scalar(select(FollowUpConsent).where(FollowUpConsent.email == email))
    if consent is not None and consent.withdrawn_at is None:
        consent.withdrawn_at = now or utcnow()


def invitation_key(event: Event) -> str:
    return f"invitation:{event.id}"


def invite(event_id: int, now: datetime | None = None) -> int:
    """Invite every address with a consent in force to the event, once; returns how many.

    A draft, cancelled or past event, or one that takes no registrations now, invites nobody.
    """
    now = now or utcnow()
    event = db.session.get(Event, event_id)
    if event.status != EventStatus.PUBLISHED or not event.registration_open(now):
        return 0
    registered = select(Registration.email).where(Registration.event_id == event.id,
                                                  Registration.status.in_(LIVE_STATUSES))
    invited = (select(Registration.email).join(OutboundMail, OutboundMail.registration_id == Registration.id)
               .where(OutboundMail.dedupe_key == invitation_key(event)))
    recipients = select(FollowUpConsent.registration_id).where(
        FollowUpConsent.confirmed_at.is_not(None), FollowUpConsent.withdrawn_at.is_(None),
        FollowUpConsent.registration_id.is_not(None),
        FollowUpConsent.email.not_in(registered), FollowUpConsent.email.not_in(invited),
    )
    return queue_for_each(recipients, MailKind.INVITATION, invitation_key(event), {"event_id": event.id})
