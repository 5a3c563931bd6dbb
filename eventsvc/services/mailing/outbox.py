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

import contextvars
import logging
import os
import queue
import threading

from flask import Flask, current_app, has_request_context
from flask_sqlalchemy.session import Session as AppSession
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ...extensions import db
from ...models import MailKind, OutboundMail, Registration

log = logging.getLogger(__name__)

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
    try:
        current_app.extensions["celery"].send_task(SEND_MAIL_TASK, args=[mail_id], countdown=countdown)
    except Exception:  # noqa: BLE001 - broker down: the sweeper re-enqueues from the outbox
        log.warning("broker unreachable; mail %s waits in the outbox for the sweeper", mail_id)
        return False
    return True


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


def _collect_new_mail(session: Session, _context) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, OutboundMail)]
    if ids:
        session.info.setdefault(_PENDING_KEY, []).extend(ids)


class _AfterTheAnswer:
    """Hints from a request go to the broker from a thread of the process's own, so that the
    answer to the visitor does not wait for the broker. Losing one (the process ends first)
    costs nothing but time: the sweeper re-enqueues what lost its hint."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._queue: queue.SimpleQueue | None = None

    def submit(self, app: Flask, mail_ids: list[int]) -> None:
        with self._lock:
            if self._pid != os.getpid():  # first use in this process (a fork does not copy threads)
                self._pid, self._queue = os.getpid(), queue.SimpleQueue()
                threading.Thread(target=self._send, args=(self._queue,), name="outbox-hints", daemon=True).start()
            # The request's context variables go along (its request id: the worker logs it).
            self._queue.put((app, mail_ids, contextvars.copy_context()))

    @staticmethod
    def _send(work: queue.SimpleQueue) -> None:
        while True:
            app, mail_ids, context = work.get()
            try:
                context.run(_hint_in, app, mail_ids)
            except Exception:  # noqa: BLE001 - the thread must live on; the sweeper has these
                log.exception("could not hint the worker of mails %s; the sweeper will", mail_ids[:10])


def _hint_in(app: Flask, mail_ids: list[int]) -> None:
    with app.app_context():
        enqueue_send(mail_ids)


_after_the_answer = _AfterTheAnswer()


def _release_mail(session: Session) -> None:
    ids = session.info.pop(_PENDING_KEY, None)
    if not ids:
        return
    if has_request_context():
        _after_the_answer.submit(current_app._get_current_object(), ids)
    else:
        enqueue_send(ids)


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
