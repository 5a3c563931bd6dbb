"""The outbox: every mail is a row with a status before it is sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .statuses import MailKind, MailStatus, one_of
from .types import JSONType, UTCDateTime, utcnow

MAIL_KINDS = tuple(MailKind)
MAIL_STATUSES = tuple(MailStatus)


class OutboundMail(db.Model):
    """One mail to one registrant (or organizer), from the moment it is decided until it is sent or failed."""

    __tablename__ = "outbound_mails"
    __table_args__ = (
        UniqueConstraint("registration_id", "dedupe_key", name="uq_outbound_mails_dedupe"),
        CheckConstraint(one_of("status", MailStatus), name="status"),
        Index("ix_outbound_mails_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_outbound_mails_rate_key_sent_at", "rate_key", "sent_at"),
        CheckConstraint("registration_id IS NOT NULL OR organizer_id IS NOT NULL", name="recipient"),
        # The dedupe key of a mail to an organizer: the constraint above cannot hold it, because
        # its registration is empty (NULL), and two NULLs never clash.
        Index("uq_outbound_mails_organizer_dedupe", "organizer_id", "dedupe_key", unique=True,
              postgresql_where=text("registration_id IS NULL"), sqlite_where=text("registration_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The registrant it goes to; empty for a mail to an organizer (a password reset, a webhook
    #: endpoint switched off).
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    #: The organizer it goes to, for the mails about an organizer account.
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("organizers.id", ondelete="CASCADE"), index=True)
    #: What the mail is: confirmation, waitlisted, promoted, cancelled, reminder, report, ….
    kind: Mapped[str] = mapped_column(String(32))
    #: Unique per registrant (or organizer), so the same mail is never decided twice (``reminder:P7D``).
    dedupe_key: Mapped[str] = mapped_column(String(64))
    #: Values the mail needs beyond the registration, e.g. what changed about the event.
    payload: Mapped[dict | None] = mapped_column(JSONType)
    #: queued, sending, sent, failed or bounced.
    status: Mapped[str] = mapped_column(String(16), default=MailStatus.QUEUED)
    #: How many times a worker has claimed it.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Not to be sent before this time (retries wait here, not in the broker).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: While sending: when the claim lapses and the sweeper may take the mail back.
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The relay the last attempt went through (``host:port``), shown in the mail log.
    route: Mapped[str | None] = mapped_column(String(255))
    #: The recipient domain whose hourly cap (``MAIL_RATE_LIMITS``) this mail counts against.
    rate_key: Mapped[str | None] = mapped_column(String(255))
    #: The SMTP server's answer, the error of the last failed attempt, or the bounce's diagnostic.
    last_error: Mapped[str | None] = mapped_column(Text)
    #: The Message-ID header, stable across retries.
    message_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    registration = relationship("Registration", back_populates="mails")
    organizer = relationship("Organizer")

    def __repr__(self) -> str:
        return f"<OutboundMail {self.id} {self.kind} {self.status}>"
