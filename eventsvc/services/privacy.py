"""The registrant's rights and the retention promise of the privacy notice (GDPR; PIPL).

- :func:`registrant_data`: everything stored about a registration, for ``GET /r/<token>/data``.
- :func:`erase`: the registrant erases their data. A live registration is cancelled first (its
  seat goes to the waiting list), queued mail and the address's follow-up consent are dropped, the personal fields are anonymised (the
  row stays, so that counts of registrations and check-ins stay right), and one last mail says it
  is done; the manage link then shows a page saying the data is gone.
- :func:`purge`: registrations of events that ended more than a number of days ago are
  anonymised and their mail rows deleted (``flask privacy purge``, and daily by beat with
  ``PRIVACY_RETENTION_DAYS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from ..extensions import db
from ..models import Event, FeedbackResponse, FollowUpConsent, MailKind, MailStatus, OutboundMail, Registration
from ..models.registration import new_token
from ..models.types import utcnow
from .mailing.outbox import queue_mail
from .registration import cancel
from .transaction import end_read, locked, transaction
from .webhooks import forget_registration

#: Registrations anonymised per transaction in a purge.
PURGE_BATCH = 500


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def registrant_data(registration: Registration) -> dict:
    """The registration, its consents (time and notice version) and every mail it was sent."""
    event = registration.event
    mails = db.session.scalars(select(OutboundMail).where(OutboundMail.registration_id == registration.id)
                               .order_by(OutboundMail.id))
    follow_up = db.session.scalar(select(FollowUpConsent).where(FollowUpConsent.email == registration.email))
    feedback = db.session.scalar(select(FeedbackResponse).where(FeedbackResponse.registration_id == registration.id))
    return {
        "registration": {
            "id": registration.public_id, "event": event.slug, "event_title": event.title,
            "status": registration.status, "email": registration.email,
            "family_name": registration.family_name, "given_name": registration.given_name,
            "organization": registration.organization, "job_title": registration.job_title,
            "language": registration.language, "answers": registration.answers or {},
            "registered_at": _time(registration.created_at),
            "promoted_at": _time(registration.promoted_at), "cancelled_at": _time(registration.cancelled_at),
            "checked_in_at": _time(registration.checked_in_at),
        },
        "feedback": ({"answers": feedback.answers, "given_at": _time(feedback.created_at),
                      "changed_at": _time(feedback.updated_at)} if feedback else None),
        "consents": {
            "privacy_notice": {"given_at": _time(registration.privacy_consent_at),
                               "notice_version": registration.privacy_consent_version},
            "follow_up_events": {
                "given_at": _time(registration.marketing_consent_at),
                "requested_at": _time(follow_up.requested_at) if follow_up else None,
                "confirmed_at": _time(follow_up.confirmed_at) if follow_up else None,
                "notice_version": follow_up.notice_version if follow_up else None,
                "withdrawn_at": _time(follow_up.withdrawn_at) if follow_up else None,
            },
            "unsubscribed_at": _time(registration.unsubscribed_at),
        },
        "mails": [{"kind": mail.kind, "status": mail.status, "queued_at": _time(mail.created_at),
                   "sent_at": _time(mail.sent_at)} for mail in mails],
    }


def _anonymise(registration: Registration, now: datetime) -> None:
    """Personal fields out; status, times and consent records stay (counts stay right)."""
    registration.email = f"erased-{registration.public_id}@erased.invalid".lower()
    registration.family_name = ""
    registration.given_name = ""
    registration.organization = ""
    registration.job_title = ""
    registration.answers = {}  # the organizer's questions may ask for anything personal
    registration.marketing_consent_at = None
    registration.email_bounced_at = None
    registration.unsubscribed_at = registration.unsubscribed_at or now
    registration.checkin_code = new_token()
    registration.certificate_id = None  # its verification page would confirm an erased name
    # Feedback may hold anything the registrant wrote about themselves.
    db.session.execute(delete(FeedbackResponse).where(FeedbackResponse.registration_id == registration.id)
                       .execution_options(synchronize_session=False))
    registration.erased_at = now
    forget_registration(registration)


def erase(registration_id: int, now: datetime | None = None) -> bool:
    """Erase a registrant's data at their request; returns whether there was anything to erase."""
    now = now or utcnow()
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.erased_at is not None:
        return False
    with transaction():
        if registration.is_live:
            cancel(registration_id, now)  # the seat goes to the next in line
        with locked(Registration, registration_id) as registration:
            address, language = registration.email, registration.language
            # Mail not yet in a worker's hands is dropped: it would carry the data being erased.
            db.session.execute(delete(OutboundMail).where(
                OutboundMail.registration_id == registration_id, OutboundMail.status == MailStatus.QUEUED))
            db.session.execute(update(OutboundMail).where(OutboundMail.registration_id == registration_id)
                               .values(payload=None, last_error=None).execution_options(synchronize_session=False))
            # The address's consent to hear about follow-up events goes with it.
            db.session.execute(delete(FollowUpConsent).where(FollowUpConsent.email == address))
            _anonymise(registration, now)
            # The last mail, to the address as it was (held in the mail row until the purge).
            queue_mail(registration, MailKind.ERASED, payload={"to": address, "language": language})
    return True


@dataclass
class PurgeResult:
    registrations: int
    mails: int


def purge(ended_before_days: int, now: datetime | None = None) -> PurgeResult:
    """Anonymise registrations of events that ended more than ``ended_before_days`` ago and
    delete their mail rows; also forget the address held by erasure mails already sent."""
    now = now or utcnow()
    cutoff = now - timedelta(days=ended_before_days)
    ended = select(Event.id).where(Event.ends_at < cutoff)
    anonymised = 0
    while True:
        with transaction():
            batch = list(db.session.scalars(
                select(Registration).where(Registration.event_id.in_(ended), Registration.erased_at.is_(None))
                .order_by(Registration.id).limit(PURGE_BATCH)))
            for registration in batch:
                _anonymise(registration, now)
            # A follow-up consent outlives the registration it was asked from, but can no longer
            # be addressed through it (invitations go to the registration's address).
            db.session.execute(update(FollowUpConsent).where(
                FollowUpConsent.registration_id.in_([r.id for r in batch])).values(registration_id=None)
                .execution_options(synchronize_session=False))
        anonymised += len(batch)
        end_read()
        if len(batch) < PURGE_BATCH:
            break
    with transaction():
        of_ended = select(Registration.id).where(Registration.event_id.in_(ended))
        mails = db.session.execute(delete(OutboundMail).where(OutboundMail.registration_id.in_(of_ended))
                                   .execution_options(synchronize_session=False)).rowcount
        # Mail rows of erased registrations stay (counts); what a server wrote back about them
        # and the address an erasure's goodbye went to do not.
        erased = select(Registration.id).where(Registration.erased_at.is_not(None))
        db.session.execute(update(OutboundMail).where(
            OutboundMail.registration_id.in_(erased), OutboundMail.status != MailStatus.QUEUED,
            OutboundMail.status != MailStatus.SENDING).values(payload=None, last_error=None)
            .execution_options(synchronize_session=False))
    return PurgeResult(anonymised, mails)
