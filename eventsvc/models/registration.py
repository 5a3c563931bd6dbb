"""Registrations: one person's place (or place in line) at one event."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, literal_column, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .statuses import LIVE_STATUSES, RegistrationStatus, one_of
from .types import JSONType, UTCDateTime, utcnow

REGISTRATION_STATUSES = tuple(RegistrationStatus)


def new_token() -> str:
    """An unguessable URL-safe token of 256 bits."""
    return secrets.token_urlsafe(32)


def new_public_id() -> str:
    return uuid.uuid4().hex


class Registration(db.Model):
    """A person's registration for an event."""

    __tablename__ = "registrations"
    __table_args__ = (
        CheckConstraint(one_of("status", RegistrationStatus), name="status"),
        CheckConstraint("language IN ('en', 'zh', 'de')", name="language"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_has_time"
        ),
        # One live registration per event and address, said in the database itself.
        Index(
            "uq_registrations_live_email",
            "event_id",
            "email",
            unique=True,
            postgresql_where=text("status <> 'cancelled'"),
            sqlite_where=text("status <> 'cancelled'"),
        ),
        Index("ix_registrations_event_status_created", "event_id", "status", "created_at"),
        Index("ix_registrations_event_updated", "event_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The id shown outside (API, exports); reveals nothing about how many there are.
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    #: Address, trimmed and lower-cased, so matching is case-insensitive.
    email: Mapped[str] = mapped_column(String(254))
    #: Family name first: that is the order for Chinese names, and exports sort by it.
    family_name: Mapped[str] = mapped_column(String(100))
    given_name: Mapped[str] = mapped_column(String(100))
    organization: Mapped[str] = mapped_column(String(200), default="")
    job_title: Mapped[str] = mapped_column(String(200), default="")
    #: The language the registrant reads: pages and the first half of every mail.
    language: Mapped[str] = mapped_column(String(5), default="en")
    #: confirmed, waitlisted or cancelled.
    status: Mapped[str] = mapped_column(String(16), default=RegistrationStatus.CONFIRMED)
    #: When the person was let in at the door (the earliest entry scan's time).
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The door of that scan ("North", "北门"); empty when none was named.
    checkin_door: Mapped[str | None] = mapped_column(String(100))
    #: When the person accepted the privacy notice, and which version of it.
    privacy_consent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    privacy_consent_version: Mapped[str] = mapped_column(String(20))
    #: Separate, optional consent to hear about follow-up events (empty: not given or withdrawn).
    marketing_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The secret in the registrant's own link ``/r/<token>``.
    manage_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    #: The secret of the unsubscribe link (``List-Unsubscribe``, seen by mail providers): it can
    #: unsubscribe and do nothing else, show nothing personal.
    unsubscribe_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    #: The secret in the check-in QR code.
    checkin_code: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    #: The id in the certificate of attendance's verification link (``/certificates/<id>``),
    #: given when the first certificate is made; random, so one certificate tells nothing of another's.
    certificate_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    #: Answers to the event's own questions, by question key (a list for a multiple choice).
    answers: Mapped[dict] = mapped_column(JSONType, default=dict)
    #: When a mail to this address last bounced for good (empty: the address works, as far as we
    #: know). A new registration or an organizer's resend clears it.
    email_bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the registrant asked for no more non-essential mail (RFC 8058 one-click).
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Whether the registrant wants the Chinese edition of the report when it appears.
    wants_report: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When anything of the registration last changed: the door's check-in list sends what
    #: changed since a device's last fetch.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    #: When a waitlisted registration got its seat.
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the personal fields were anonymised (the registrant's erasure, or the retention purge).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    event = relationship("Event", back_populates="registrations")
    feedback = relationship("FeedbackResponse", back_populates="registration", uselist=False,
                            cascade="all, delete-orphan", passive_deletes=True)
    mails = relationship(
        "OutboundMail", back_populates="registration", lazy="dynamic", order_by="OutboundMail.id"
    )

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.status}>"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def email_status(self) -> str:
        """``bouncing`` once a mail to the address bounced for good, else ``ok``."""
        return "bouncing" if self.email_bounced_at is not None else "ok"

    @property
    def marketing_consent(self) -> bool:
        return self.marketing_consent_at is not None


#: The condition of the one-live-registration index (``uq_registrations_live_email``), with the
#: value written into the SQL as in the index. A lookup by event and address that carries it can
#: use that index in every plan; ``status IN (…)`` with bound values cannot in a prepared
#: statement's generic plan, which then reads every registration of the event.
IS_LIVE = Registration.status != literal_column(f"'{RegistrationStatus.CANCELLED}'")
