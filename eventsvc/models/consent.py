"""Consent to hear about follow-up events, given at registration and confirmed by mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .registration import new_token
from .types import UTCDateTime, utcnow


class FollowUpConsent(db.Model):
    """One address's consent to invitations (double opt-in: it counts once confirmed).

    German law (UWG § 7, DSGVO Art. 7) wants the organizer to be able to prove it: the time of the
    request, of the confirmation through the link, and the version of the notice are kept.
    """

    __tablename__ = "follow_up_consents"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The address, trimmed and lower-cased; one consent per address.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: The secret of the confirmation and withdrawal link ``/consent/<token>``.
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    #: The secret of the invitations' one-click unsubscribe ``/unsubscribe/<token>``: it can only
    #: withdraw and shows nothing personal (an invitation is read by mail providers too).
    withdraw_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    #: The registration it was asked from; invitations are addressed through it.
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id", ondelete="SET NULL"))
    #: When the box was ticked (the latest time, if ticked again).
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When the link in the confirmation mail was followed; empty: it does not count.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The privacy notice version in force at the confirmation.
    notice_version: Mapped[str | None] = mapped_column(String(20))
    #: When it was withdrawn (one-click unsubscribe, or the link); empty: in force once confirmed.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    registration = relationship("Registration")

    @property
    def in_force(self) -> bool:
        return self.confirmed_at is not None and self.withdrawn_at is None
