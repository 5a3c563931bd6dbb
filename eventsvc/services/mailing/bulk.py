"""Queueing one mail for many registrants at once (reminders, event changes, report editions).

Rows are written in batches, each batch its own transaction: the worker starts on the first
batch while the next is written, and a crash midway leaves whole batches that a second run
completes (the dedupe key stops anyone from getting the same mail twice). Called inside a
caller's transaction (an event cancelled under its lock), every batch joins that one instead.
"""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import select

from ...extensions import db
from ...models import MailKind, OutboundMail
from ..transaction import transaction

#: Rows per transaction.
BULK_BATCH = 500


def queue_for_each(registration_ids: Iterable[int], kind: MailKind, dedupe_key: str,
                   payload: dict | None = None) -> int:
    """Queue ``kind`` for every registration in ``registration_ids`` that lacks ``dedupe_key``.

    Each :data:`BULK_BATCH` rows are one transaction (unless the caller's transaction holds them
    all); the outbox hook hands the new mail to the worker after each commit. Returns how many
    were queued.
    """
    ids = list(dict.fromkeys(registration_ids))
    queued = 0
    for start in range(0, len(ids), BULK_BATCH):
        chunk = ids[start:start + BULK_BATCH]
        with transaction():
            have = set(db.session.scalars(
                select(OutboundMail.registration_id).where(
                    OutboundMail.registration_id.in_(chunk), OutboundMail.dedupe_key == dedupe_key)
            ))
            rows = [OutboundMail(registration_id=rid, kind=kind, dedupe_key=dedupe_key, payload=payload)
                    for rid in chunk if rid not in have]
            db.session.add_all(rows)
            db.session.flush()
        queued += len(rows)
    return queued
