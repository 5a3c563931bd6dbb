"""Queueing one mail for many registrants at once (reminders, event changes, report editions).

Rows are written in batches, each batch its own transaction: the worker starts on the first
batch while the next is written, and a crash midway leaves whole batches that a second run
completes (the dedupe key stops anyone from getting the same mail twice).
"""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import select

from ...extensions import db
from ...models import OutboundMail

#: Rows per transaction.
BULK_BATCH = 500


def queue_for_each(registration_ids: Iterable[int], kind: str, dedupe_key: str,
                   payload: dict | None = None, commit: bool = True) -> int:
    """Queue ``kind`` for every registration in ``registration_ids`` that lacks ``dedupe_key``.

    Commits after every :data:`BULK_BATCH` rows (and at the end) when ``commit`` is true; the
    outbox hook hands the new mail to the worker after each commit. Returns how many were queued.
    """
    ids = list(dict.fromkeys(registration_ids))
    queued = 0
    for start in range(0, len(ids), BULK_BATCH):
        chunk = ids[start:start + BULK_BATCH]
        have = set(db.session.scalars(
            select(OutboundMail.registration_id).where(
                OutboundMail.registration_id.in_(chunk), OutboundMail.dedupe_key == dedupe_key)
        ))
        rows = [OutboundMail(registration_id=rid, kind=kind, dedupe_key=dedupe_key, payload=payload)
                for rid in chunk if rid not in have]
        db.session.add_all(rows)
        queued += len(rows)
        if commit:
            db.session.commit()
        else:
            db.session.flush()
    return queued
