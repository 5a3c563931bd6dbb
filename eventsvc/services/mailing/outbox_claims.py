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
from ...models import MailStatus, OutboundMail
from ...models.types import utcnow
from ..transaction import end_read, transaction
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
    claimed: list[OutboundMail] = []
    with transaction():
        if mail_id is not None:
            claimed += db.session.scalars(
                select(OutboundMail)
                .where(OutboundMail.id == mail_id, OutboundMail.status == MailStatus.QUEUED,
                       OutboundMail.next_attempt_at <= now + EARLY_TOLERANCE)
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            ).all()
        room = batch_size - len(claimed)
        if room > 0:
            claimed += db.session.scalars(
                select(OutboundMail)
                .where(OutboundMail.status == MailStatus.QUEUED, OutboundMail.next_attempt_at <= now,
                       OutboundMail.id != (mail_id or 0))
                .order_by(OutboundMail.next_attempt_at, OutboundMail.id)
                .limit(room)
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            ).all()
        lease_until = now + timedelta(seconds=lease_seconds)
        for mail in claimed:
            mail.status = MailStatus.SENDING
            mail.attempts = (mail.attempts or 0) + 1
            mail.lease_expires_at = lease_until
            if not mail.message_id:
                mail.message_id = new_message_id(mail.id)
    return claimed


def _record(mail_id: int, **values) -> None:
    """Move a mail this worker holds (``sending``) on, committed at once, mail by mail."""
    with transaction():
        db.session.execute(
            update(OutboundMail)
            .where(OutboundMail.id == mail_id, OutboundMail.status == MailStatus.SENDING)
            .values(lease_expires_at=None, **values)
        )


def mark_sent(mail_id: int, now: datetime | None = None) -> None:
    """Record that the SMTP server accepted the mail."""
    _record(mail_id, status=MailStatus.SENT, sent_at=now or utcnow(), last_error=None)


def mark_failed(mail_id: int, reason: str) -> None:
    """Give up on the mail; the reason is what organizers see in the mail log."""
    _record(mail_id, status=MailStatus.FAILED, last_error=reason[:2000])


def mark_for_retry(mail_id: int, reason: str, next_attempt_at: datetime) -> None:
    """Put the mail back in the queue until ``next_attempt_at``."""
    _record(mail_id, status=MailStatus.QUEUED, next_attempt_at=next_attempt_at, last_error=reason[:2000])


def take_back_expired(max_attempts: int, now: datetime | None = None) -> list[int]:
    """Return mail whose worker died while sending it (lease passed) to the queue.

    A mail that has used up its attempts this way fails instead of killing worker after worker.
    """
    now = now or utcnow()
    requeued = []
    with transaction():
        expired = db.session.scalars(
            select(OutboundMail)
            .where(OutboundMail.status == MailStatus.SENDING, OutboundMail.lease_expires_at < now)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).all()
        for mail in expired:
            mail.lease_expires_at = None
            if mail.attempts >= max_attempts:
                mail.status = MailStatus.FAILED
                mail.last_error = f"gave up after {mail.attempts} attempts: the worker stopped while sending"
            else:
                mail.status = MailStatus.QUEUED
                mail.next_attempt_at = now
                requeued.append(mail.id)
    return requeued


def overdue_ids(older_than: datetime, limit: int = 100_000) -> list[int]:
    """Queued mail that should have gone out before ``older_than``: its hint was lost."""
    ids = list(db.session.scalars(
        select(OutboundMail.id)
        .where(OutboundMail.status == MailStatus.QUEUED, OutboundMail.next_attempt_at <= older_than)
        .order_by(OutboundMail.next_attempt_at, OutboundMail.id)
        .limit(limit)
    ))
    end_read()
    return ids
