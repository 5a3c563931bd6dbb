"""Claiming outbox rows so that two workers never send the same mail, and giving them back.

A claim moves rows from ``queued`` to ``sending`` in one short transaction and gives them a lease.
PostgreSQL locks the rows with ``FOR UPDATE SKIP LOCKED``, so two workers claiming at once take
different rows; on SQLite every transaction already holds the write lock (``BEGIN IMMEDIATE``,
see :mod:`eventsvc.database`), so claims simply run one after the other.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from ...extensions import db
from ...models import OutboundMail
from ...models.types import utcnow
from .message import new_message_id

#: A hint may arrive a little before the retry time it was scheduled for (timer granularity).
EARLY_TOLERANCE = timedelta(seconds=2)


def claim_batch(mail_id: int | None, batch_size: int, lease_seconds: int,
                now: datetime | None = None) -> list[OutboundMail]:
    """Claim ``mail_id`` (if it is queued and due) and other due mail, up to ``batch_size``.

    The claimed rows are committed as ``sending`` with ``attempts`` raised and a lease; each has
    its Message-ID from here on, so a retry sends the same one.
    """
    now = now or utcnow()
    db.session.rollback()
    claimed: list[OutboundMail] = []
    if mail_id is not None:
        claimed += db.session.scalars(
            select(OutboundMail)
            .where(OutboundMail.id == mail_id, OutboundMail.status == "queued",
                   OutboundMail.next_attempt_at <= now + EARLY_TOLERANCE)
            .with_for_update(skip_locked=True)
        ).all()
    room = batch_size - len(claimed)
    if room > 0:
        claimed += db.session.scalars(
            select(OutboundMail)
            .where(OutboundMail.status == "queued", OutboundMail.next_attempt_at <= now,
                   OutboundMail.id != (mail_id or 0))
            .order_by(OutboundMail.next_attempt_at, OutboundMail.id)
            .limit(room)
            .with_for_update(skip_locked=True)
        ).all()
    lease_until = now + timedelta(seconds=lease_seconds)
    for mail in claimed:
        mail.status = "sending"
        mail.attempts = (mail.attempts or 0) + 1
        mail.lease_expires_at = lease_until
        if not mail.message_id:
            mail.message_id = new_message_id(mail.id)
    db.session.commit()
    return claimed


def mark_sent(mail_id: int, now: datetime | None = None) -> None:
    """Record that the SMTP server accepted the mail; committed at once, mail by mail."""
    db.session.execute(
        update(OutboundMail)
        .where(OutboundMail.id == mail_id, OutboundMail.status == "sending")
        .values(status="sent", sent_at=now or utcnow(), lease_expires_at=None, last_error=None)
    )
    db.session.commit()


def mark_failed(mail_id: int, reason: str) -> None:
    """Give up on the mail; the reason is what organizers see in the mail log."""
    db.session.execute(
        update(OutboundMail)
        .where(OutboundMail.id == mail_id, OutboundMail.status == "sending")
        .values(status="failed", lease_expires_at=None, last_error=reason[:2000])
    )
    db.session.commit()


def mark_for_retry(mail_id: int, reason: str, next_attempt_at: datetime) -> None:
    """Put the mail back in the queue until ``next_attempt_at``."""
    db.session.execute(
        update(OutboundMail)
        .where(OutboundMail.id == mail_id, OutboundMail.status == "sending")
        .values(status="queued", next_attempt_at=next_attempt_at, lease_expires_at=None,
                last_error=reason[:2000])
    )
    db.session.commit()


def take_back_expired(max_attempts: int, now: datetime | None = None) -> list[int]:
    """Return mail whose worker died while sending it (lease passed) to the queue.

    A mail that has used up its attempts this way fails instead of killing worker after worker.
    """
    now = now or utcnow()
    db.session.rollback()
    expired = db.session.scalars(
        select(OutboundMail)
        .where(OutboundMail.status == "sending", OutboundMail.lease_expires_at < now)
        .with_for_update(skip_locked=True)
    ).all()
    requeued = []
    for mail in expired:
        mail.lease_expires_at = None
        if mail.attempts >= max_attempts:
            mail.status = "failed"
            mail.last_error = f"gave up after {mail.attempts} attempts: the worker stopped while sending"
        else:
            mail.status = "queued"
            mail.next_attempt_at = now
            requeued.append(mail.id)
    db.session.commit()
    return requeued


def overdue_ids(older_than: datetime, limit: int = 100_000) -> list[int]:
    """Queued mail that should have gone out before ``older_than``: its hint was lost."""
    ids = list(db.session.scalars(
        select(OutboundMail.id)
        .where(OutboundMail.status == "queued", OutboundMail.next_attempt_at <= older_than)
        .order_by(OutboundMail.next_attempt_at, OutboundMail.id)
        .limit(limit)
    ))
    db.session.rollback()
    return ids
