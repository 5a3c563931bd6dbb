"""Queueing one mail for many registrants at once (reminders, event changes, report editions).

The rows are written set-based: one ``INSERT … SELECT`` per batch takes the recipients from a
query (or a list of ids), leaves out whoever already has the dedupe key, and returns the new ids
for the worker. 50,000 reminders are a few statements, not 50,000 ORM objects. Both are written
in batches of :data:`BULK_BATCH`, each its own transaction: a query's recipients in the order of
their ids (each batch the next ones above the last batch's), a list in its order. The worker
starts on the first batch while the next is written, and a run holds one batch's ids at a time
however many are due; a crash midway leaves whole batches that a second run completes (the
dedupe key stops anyone from getting the same mail twice). Called inside a caller's transaction
(an event cancelled under its lock), the batches join that one instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, insert, literal, null, select

from ...extensions import db
from ...models import MailKind, MailStatus, OutboundMail, Registration
from ...models.types import JSONType, UTCDateTime, utcnow
from ..transaction import transaction
from .outbox import note_queued

#: Recipients per statement and transaction when they come as a list of ids.
BULK_BATCH = 5000


def queue_for_each(recipients: Iterable[int] | Select, kind: MailKind, dedupe_key: str,
                   payload: dict | None = None) -> int:
    """Queue ``kind`` for every registration in ``recipients`` (ids, or a query of ids) that
    lacks ``dedupe_key``; the worker hears of them after each commit. Returns how many."""
    if isinstance(recipients, Select):
        return _insert_from_query(recipients.subquery().c[0], kind, dedupe_key, payload)
    ids = list(dict.fromkeys(recipients))
    queued = 0
    for start in range(0, len(ids), BULK_BATCH):
        chunk = select(Registration.id).where(Registration.id.in_(ids[start:start + BULK_BATCH])).subquery()
        queued += len(_insert(chunk.c[0], kind, dedupe_key, payload))
    return queued


def _insert_from_query(registration_id, kind: MailKind, dedupe_key: str, payload: dict | None) -> int:
    """Batch after batch of the query's recipients, in the order of their ids, until one is short."""
    queued, after = 0, None
    while True:
        batch = _insert(registration_id, kind, dedupe_key, payload, after=after, limit=BULK_BATCH)
        queued += len(batch)
        if len(batch) < BULK_BATCH:
            return queued
        after = max(batch)


def _insert(registration_id, kind: MailKind, dedupe_key: str, payload: dict | None,
            after: int | None = None, limit: int | None = None) -> list[int]:
    """One ``INSERT … SELECT`` of the mails for the registration ids of the column
    ``registration_id`` (of a subquery): with ``limit``, the first ``limit`` of them above
    ``after`` that lack the mail. Returns the registration ids it wrote a mail for."""
    now = utcnow()
    # NOT IN, not NOT EXISTS: PostgreSQL hashes the subquery once. A correlated NOT EXISTS became
    # a nested loop that scanned the table being filled for every recipient (O(n²): minutes for
    # 50,000 reminders).
    already = select(OutboundMail.registration_id).where(OutboundMail.dedupe_key == dedupe_key)
    rows = select(
        registration_id,
        literal(str(kind)),
        literal(dedupe_key),
        literal(payload, JSONType) if payload is not None else null(),
        literal(str(MailStatus.QUEUED)),
        literal(0),
        literal(now, UTCDateTime()),
        literal(now, UTCDateTime()),
    ).where(registration_id.not_in(already))
    if after is not None:
        rows = rows.where(registration_id > after)
    if limit is not None:
        rows = rows.order_by(registration_id).limit(limit)
    statement = insert(OutboundMail).from_select(
        ["registration_id", "kind", "dedupe_key", "payload", "status", "attempts", "next_attempt_at",
         "created_at"], rows,
    ).returning(OutboundMail.id, OutboundMail.registration_id)
    with transaction():
        written = db.session.execute(statement).all()
        note_queued([mail_id for mail_id, _ in written])
    return [registration for _, registration in written]
