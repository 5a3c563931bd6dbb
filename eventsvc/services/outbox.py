"""Putting mail into the outbox, and telling the worker once the transaction has committed.

A service adds :class:`OutboundMail` rows in the same transaction as the change they announce.
Their ids are collected when the session flushes and handed to the broker only after the commit;
a rollback forgets them. If the broker cannot be reached the rows simply wait: the sweeper
(:func:`eventsvc.services.mailing.sweep_outbox`) enqueues them again within a minute.
"""

from __future__ import annotations

import logging

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import OutboundMail, Registration

log = logging.getLogger(__name__)

_PENDING_KEY = "eventsvc.outbox_ids"


def queue_mail(registration: Registration, kind: str, dedupe_key: str | None = None,
               payload: dict | None = None) -> OutboundMail | None:
    """Decide that ``registration`` gets a mail of ``kind``; it goes out after the commit.

    Returns ``None`` when a mail with the same dedupe key was already decided for this registrant
    (a reminder run twice, a report published twice): the same mail is never queued twice.
    """
    dedupe_key = dedupe_key or kind
    if registration.id is not None:
        exists = db.session.scalar(
            select(OutboundMail.id).where(
                OutboundMail.registration_id == registration.id,
                OutboundMail.dedupe_key == dedupe_key,
            )
        )
        if exists is not None:
            return None
    mail = OutboundMail(registration=registration, kind=kind, dedupe_key=dedupe_key, payload=payload)
    db.session.add(mail)
    return mail


def enqueue_send(mail_ids: list[int]) -> None:
    """Hint the worker that these mails are ready. Never raises: the outbox is the record."""
    if not mail_ids:
        return
    from flask import current_app

    from ..tasks import send_mail

    # One hint per batch is enough: the task that takes a hint claims a whole batch of due mail.
    for mail_id in mail_ids[:: current_app.config["MAIL_BATCH_SIZE"]]:
        try:
            send_mail.apply_async(args=[mail_id])
        except Exception:  # noqa: BLE001 - broker down: the sweeper re-enqueues from the outbox
            log.warning("broker unreachable; mail %s waits in the outbox for the sweeper", mail_id)
            return


@event.listens_for(Session, "after_flush")
def _collect_new_mail(session: Session, _context) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, OutboundMail)]
    if ids:
        session.info.setdefault(_PENDING_KEY, []).extend(ids)


@event.listens_for(Session, "after_commit")
def _release_mail(session: Session) -> None:
    enqueue_send(session.info.pop(_PENDING_KEY, []))


@event.listens_for(Session, "after_rollback")
def _discard_mail(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
