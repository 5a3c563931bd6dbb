"""Messages organizers write to the attendees of an event ("the venue entrance has moved")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import JSONType, UTCDateTime, utcnow

#: Who a message goes to: every live registration, or one part of them.
AUDIENCES = ("all", "confirmed", "waitlisted", "checked_in", "not_checked_in")


class Message(db.Model):
    """One message, as sent: its texts per language and who it went to."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(f"audience IN ({', '.join(repr(a) for a in AUDIENCES)})", name="audience"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    #: Subject per language of the event's mail, ``{"en": …, "zh": …}``.
    subjects: Mapped[dict] = mapped_column(JSONType)
    #: The text per language, plain text or Markdown, as the organizer wrote it.
    bodies: Mapped[dict] = mapped_column(JSONType)
    #: One of :data:`AUDIENCES`.
    audience: Mapped[str] = mapped_column(String(20))
    #: The token of the form it was sent from: a second click on "send" finds it and sends nothing.
    draft_token: Mapped[str] = mapped_column(String(64), unique=True)
    #: The organizer who sent it.
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("organizers.id", ondelete="SET NULL"))
    #: How many mails it queued.
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event = relationship("Event")

    def __repr__(self) -> str:
        return f"<Message {self.id} {self.audience}>"
