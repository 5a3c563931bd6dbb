"""Claiming outbox rows so that two workers never send the same mail, and giving them back.

A claim moves rows from ``queued`` to ``sending`` in one short transaction and gives them a lease.
PostgreSQL locks the rows with ``FOR UPDATE SKIP LOCKED``, so two workers claiming at once take
different rows; on SQLite every transaction already holds the write lock (``BEGIN IMMEDIATE``,
see :mod:`eventsvc.database`), so claims simply run one after the other.

With ``MAIL_RATE_LIMITS``, a claim also counts what each capped domain has had in its window
(sent, bounced or in a worker's hands, by every worker: the count is in the database) and leaves
the rest queued until the window allows, saying so in the mail log ("waiting: hourly limit for
qq.com"). On PostgreSQL such claims take an advisory lock, so two workers never both spend the
last place in a window.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import case, func, null, select, text, update

from ...extensions import db
from ...models import MailKind, MailStatus, OutboundMail, Organizer, Registration
from ...models.types import utcnow
from ..transaction import end_read, transaction
from .delivery import Cap, cap_for, settings
from .message import new_message_id

#: The advisory lock that serialises capped claims on PostgreSQL (any fixed number will do).
_CAPS_LOCK = 7_318_221_004

#: A hint may arrive a little before the retry time it was scheduled for (timer granularity).
EARLY_TOLERANCE = timedelta(seconds=2)


def claim_batch(mail_id: int | None, batch_size: int, lease_seconds: int,
                now: datetime | None = None) -> list[int]:
    """Claim ``mail_id`` (if it is queued and due) and other due mail, up to ``batch_size``;
    returns the ids of the claimed mails.

    The claimed rows are committed as ``sending`` with ``attempts`` raised and a lease; each has
    its Message-ID from here on, so a retry sends the same one. The ids are taken before the
    commit expires the rows: read afterwards, each would cost a query of its own.
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
        if settings().caps and claimed:
            claimed = _within_caps(claimed, now)
        lease_until = now + timedelta(seconds=lease_seconds)
        for mail in claimed:
            mail.status = MailStatus.SENDING
            mail.attempts = (mail.attempts or 0) + 1
            mail.lease_expires_at = lease_until
            if not mail.message_id:
                mail.message_id = new_message_id(mail.id)
        ids = [mail.id for mail in claimed]
    return ids


def _within_caps(candidates: list[OutboundMail], now: datetime) -> list[OutboundMail]:
    """The candidates their domains' caps allow now; the others wait, with the reason."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CAPS_LOCK})
    emails = dict(db.session.execute(
        select(OutboundMail.id, func.coalesce(Registration.email, Organizer.email))
        .outerjoin(Registration, OutboundMail.registration_id == Registration.id)
        .outerjoin(Organizer, OutboundMail.organizer_id == Organizer.id)
        .where(OutboundMail.id.in_([mail.id for mail in candidates]))
    ).all())
    for mail in candidates:  # an erasure's goodbye counts for the domain it really goes to
        if mail.kind == MailKind.ERASED and (mail.payload or {}).get("to"):
            emails[mail.id] = mail.payload["to"]
    room: dict[str, int] = {}
    allowed = []
    for mail in candidates:
        capped = cap_for(emails[mail.id])
        if capped is None:
            mail.rate_key = None
            allowed.append(mail)
            continue
        key, cap = capped
        if key not in room:
            room[key] = cap.limit - _used(key, cap, now)
        if room[key] > 0:
            room[key] -= 1
            mail.rate_key = key
            allowed.append(mail)
        else:
            mail.next_attempt_at = _window_frees_at(key, cap, now)
            mail.last_error = cap.waiting_reason(key)
    return allowed


def _counted(key: str, cap: Cap, now: datetime):
    """Mail of ``key`` that fills its window: handed to a relay within it, or being sent."""
    return (OutboundMail.rate_key == key) & (
        (OutboundMail.status == MailStatus.SENDING)
        | (OutboundMail.status.in_((MailStatus.SENT, MailStatus.BOUNCED)) & (OutboundMail.sent_at > now - cap.window))
    )


def _used(key: str, cap: Cap, now: datetime) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboundMail).where(_counted(key, cap, now)))


def _window_frees_at(key: str, cap: Cap, now: datetime) -> datetime:
    """When the oldest mail counted in the window leaves it (soon, when only mail in flight counts)."""
    oldest = db.session.scalar(select(func.min(OutboundMail.sent_at)).where(
        _counted(key, cap, now), OutboundMail.status != MailStatus.SENDING))
    return oldest + cap.window if oldest is not None else now + timedelta(minutes=1)


def _record(mail_ids: list[int], route: str | None = None, **values) -> None:
    """Move mails this worker holds (``sending``) on, committed at once.

    On PostgreSQL the commit does not wait for the write-ahead log to reach the disk
    (``synchronous_commit off`` for this one transaction): the row is committed and visible at
    once, so a worker killed now loses nothing; only a crash of the database server itself in
    the next fraction of a second could forget the mark, and then the mail goes once more. It
    spares each mail a disk flush.
    """
    with transaction():
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        # Only a single mail gets a reason (groups are of sent mail).
        if values.get("last_error") and any(_of_erased_registration(mail_id) for mail_id in mail_ids):
            values["last_error"] = erased_reason(values["last_error"])
        if values.get("status") in (MailStatus.SENT, MailStatus.FAILED):
            # An erasure's goodbye holds the address only until it has gone (or never will).
            values["payload"] = case((OutboundMail.kind == MailKind.ERASED, null()), else_=OutboundMail.payload)
        db.session.execute(
            update(OutboundMail)
            .where(OutboundMail.id.in_(mail_ids), OutboundMail.status == MailStatus.SENDING)
            .values(lease_expires_at=None, **({"route": route} if route else {}), **values)
        )


_REPLY_CODE = re.compile(r"^\s*(\d{3})\b")


def erased_reason(reason: str) -> str:
    """What the mail log keeps of a server's reply about an erased registration: its code or its
    kind, never its text (which usually repeats the address)."""
    code = _REPLY_CODE.match(reason)
    head = code.group(1) if code else reason.split(":", 1)[0].strip()
    return f"{head} (the reply is not kept: the registrant's data was erased)"


def _of_erased_registration(mail_id: int) -> bool:
    return db.session.scalar(select(Registration.erased_at).join(
        OutboundMail, OutboundMail.registration_id == Registration.id).where(OutboundMail.id == mail_id)) is not None


def mark_sent(mail_id: int, now: datetime | None = None, route: str | None = None) -> None:
    """Record that the SMTP server (of ``route``) accepted the mail."""
    mark_sent_many([mail_id], now, route)


def mark_sent_many(mail_ids: list[int], now: datetime | None = None, route: str | None = None) -> None:
    """Record in one commit that the SMTP server (of ``route``) accepted each of ``mail_ids``."""
    _record(mail_ids, route, status=MailStatus.SENT, sent_at=now or utcnow(), last_error=None)


def mark_failed(mail_id: int, reason: str, route: str | None = None) -> None:
    """Give up on the mail; the reason is what organizers see in the mail log."""
    _record([mail_id], route, status=MailStatus.FAILED, last_error=reason[:2000])


def mark_for_retry(mail_id: int, reason: str, next_attempt_at: datetime, route: str | None = None) -> None:
    """Put the mail back in the queue until ``next_attempt_at``."""
    _record([mail_id], route, status=MailStatus.QUEUED, next_attempt_at=next_attempt_at,
            last_error=reason[:2000])


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
