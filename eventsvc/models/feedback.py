"""Feedback after an event: one answer set per registration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import JSONType, UTCDateTime, utcnow


class FeedbackResponse(db.Model):
    """What one registrant answered to the event's feedback questions (changeable for a while)."""

    __tablename__ = "feedback_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: One answer set per registration: a second submission replaces the first.
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), unique=True)
    #: The event, for counts and averages without a join.
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    #: Answers by question key: text, a choice key, a list of them, or a rating 1 to 5.
    answers: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    registration = relationship("Registration", back_populates="feedback")

    def __repr__(self) -> str:
        return f"<FeedbackResponse {self.id} of registration {self.registration_id}>"
