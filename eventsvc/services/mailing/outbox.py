"""Putting mail into the outbox, and telling the worker once the transaction has committed.

A service adds :class:`OutboundMail` rows in the same transaction as the change they announce.
Their ids are collected when the session flushes and handed to the broker only after the commit;
a rollback forgets them. If the broker cannot be reached the rows simply wait: the sweeper
(:func:`eventsvc.services.mailing.sweep_outbox`) enqueues them again within a minute.

The hints go to the broker by task name through the app's Celery object, so nothing here (or
anywhere in ``services/``) imports :mod:`eventsvc.tasks`. :func:`init_app` registers the session
hooks; ``create_app`` calls it (docs/architecture.md, "The mail pipeline").
"""

from __future__ import annotations

from flask import Flask, current_app
from flask_sqlalchemy.session import Session as AppSession
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from ...extensions import db
from ...models import MailKind, OutboundMail, Registration
from .. import hints

#: The Celery task that sends outbox mail (defined in :mod:`eventsvc.tasks`, routed to ``mail``).
SEND_MAIL_TASK = "eventsvc.send_mail"

_PENDING_KEY = "eventsvc.outbox_ids"


def queue_mail(registration: Registration, kind: MailKind, dedupe_key: str | None = None,
               payload: dict | None = None) -> OutboundMail | None:
    """Decide that ``registration`` gets a mail of ``kind``; it goes out after the commit.

    Returns ``None`` when a mail with the same dedupe key was already decided for this registrant
    (a reminder run twice, a report published twice): the same mail is never queued twice.
    """
    dedupe_key = dedupe_key or str(kind)
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


def hint_worker(mail_id: int, countdown: float | None = None) -> bool:
    """Tell a worker that mail ``mail_id`` is ready (after ``countdown`` seconds).

    Returns whether the broker took the hint; never raises, because the outbox is the record and
    the sweeper re-enqueues whatever lost its hint.
    """
    return hints.send_hint(SEND_MAIL_TASK, mail_id, countdown, "mail %s waits in the outbox for the sweeper")


def enqueue_send(mail_ids: list[int]) -> None:
    """Hint the worker that these mails are ready. Never raises: the outbox is the record."""
    # One hint per batch is enough: the task that takes a hint claims a whole batch of due mail.
    for mail_id in mail_ids[:: current_app.config["MAIL_BATCH_SIZE"]]:
        if not hint_worker(mail_id):
            return


def note_queued(mail_ids: list[int]) -> None:
    """Mail rows written without the ORM (a bulk ``INSERT … SELECT``): release them after the
    commit like any other."""
    if mail_ids:
        db.session().info.setdefault(_PENDING_KEY, []).extend(mail_ids)


#: The first mail of a registration, written at once; its id comes back for the hint.
_INSERT_FIRST_MAIL = insert(OutboundMail.__table__).returning(OutboundMail.__table__.c.id)


def queue_first_mail(registration: Registration, kind: MailKind) -> None:
    """:func:`queue_mail` for a registration inserted just now, in this transaction: it has no
    mail yet to be a duplicate of, so nothing is looked up and the row is written at once."""
    mail_id = db.session.execute(_INSERT_FIRST_MAIL, {
        "registration_id": registration.id, "kind": kind, "dedupe_key": str(kind)}).scalar_one()
    note_queued([mail_id])


def _collect_new_mail(session: Session, _context) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, OutboundMail)]
    if ids:
        session.info.setdefault(_PENDING_KEY, []).extend(ids)


def _release_mail(session: Session) -> None:
    hints.release(enqueue_send, session.info.pop(_PENDING_KEY, None))


def _discard_mail(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


_HOOKS = (("after_flush", _collect_new_mail), ("after_commit", _release_mail),
          ("after_rollback", _discard_mail))


def init_app(app: Flask) -> None:
    """Register the session hooks that release new mail after each commit (once per process).

    They listen on Flask-SQLAlchemy's session class only: other libraries' sessions (kombu's
    SQLAlchemy broker) are none of the outbox's business.
    """
    for name, hook in _HOOKS:
        if not event.contains(AppSession, name, hook):
            event.listen(AppSession, name, hook)
