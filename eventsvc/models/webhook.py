"""Webhooks: endpoints of other systems (a CRM), and the outbox of deliveries to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import JSONType, UTCDateTime, utcnow

#: What a delivery can be: waiting for its (next) attempt, being sent, delivered, or given up.
DELIVERY_STATUSES = ("pending", "sending", "delivered", "failed")


class WebhookEndpoint(db.Model):
    """A URL that hears of registrations, cancellations, check-ins, bounces and event changes."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Where deliveries are POSTed (http or https).
    url: Mapped[str] = mapped_column(String(2000))
    #: The Standard Webhooks signing secret (``whsec_`` + base64); shown once when added.
    secret: Mapped[str] = mapped_column(String(100))
    #: Only this event's news; empty: every event's.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    #: The event types it wants; empty: all of them.
    types: Mapped[list] = mapped_column(JSONType, default=list)
    #: The admin who added it, mailed when it is switched off.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("organizers.id", ondelete="SET NULL"))
    #: Off: nothing is queued for it or sent to it.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: When the endpoint began failing without a success since (empty while it works).
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When it was switched off, and why.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event = relationship("Event")
    owner = relationship("Organizer")

    def __repr__(self) -> str:
        return f"<WebhookEndpoint {self.id} {self.url}>"


class WebhookDelivery(db.Model):
    """One event for one endpoint, from the change that caused it until it is delivered.

    Deliveries with the same ``subject`` (one registration, one event) go out one after another
    in the order of their ids: a cancellation never overtakes the registration it cancels.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'delivered', 'failed')", name="status"),
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_id_subject", "endpoint_id", "subject", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    #: The ``webhook-id`` header, the same on every attempt (receivers drop duplicates by it).
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    #: ``registration.created``, ``mail.bounced``, ….
    type: Mapped[str] = mapped_column(String(40))
    #: What the delivery is about (``registration:<id>``, ``event:<id>``): the unit of ordering.
    subject: Mapped[str] = mapped_column(String(64))
    #: The body's ``data``.
    data: Mapped[dict] = mapped_column(JSONType)
    #: When the change happened: the body's ``timestamp``.
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: pending, sending, delivered or failed.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Not to be tried before this time (retries wait here, not in the broker).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: While sending: when the claim lapses and the sweeper may take it back.
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    endpoint = relationship("WebhookEndpoint")
    attempt_log = relationship("WebhookAttempt", order_by="WebhookAttempt.id", lazy="selectin",
                               cascade="all, delete-orphan", passive_deletes=True)


class WebhookAttempt(db.Model):
    """One try of a delivery and what the endpoint answered: the delivery log."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The HTTP status the endpoint answered; empty when no answer came.
    status_code: Mapped[int | None] = mapped_column(Integer)
    #: The start of its answer, or what went wrong (refused, timed out, private address).
    answer: Mapped[str | None] = mapped_column(Text)
    #: How long the attempt took.
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
