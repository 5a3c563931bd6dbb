"""Sending the outbox: claim a batch, render it, send it over one SMTP connection, record the fate.

``send_from_outbox(mail_id)`` is what the ``eventsvc.send_mail`` task runs; ``sweep_outbox()`` is
what beat runs every minute. See docs/architecture.md, "The mail pipeline". Queueing mail and
hinting the worker live in :mod:`.outbox`.

Decisions worth knowing:

* Each mail is marked sent in its own commit right after the SMTP server accepted it, so a
  worker killed mid-batch loses nothing and at most the mail in flight goes out twice.
* A mail that no longer makes sense when its turn comes (a reminder for a cancelled registration
  or event, anything but the cancellation itself after the registrant cancelled, "waiting list"
  after a promotion, a reminder or report after an unsubscribe) is marked ``failed`` with a reason starting ``skipped:``, so the
  mail log says plainly why it did not go out; nothing is sent.
* A temporary failure (4xx, refused, timeout, dropped connection) puts the mail back in the queue
  with a growing delay (:mod:`.retry`); short delays also get a Celery countdown so the retry
  happens on time, long ones wait for the sweeper (a long countdown would be redelivered by the
  Redis transport after its visibility timeout). A permanent one (5xx) fails at once.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Event, EventStatus, FollowUpConsent, MailKind, OutboundMail, Registration, RegistrationStatus
from ...models.types import utcnow
from ..transaction import end_read
from .audience import BatchRenderer
from .message import WireMessage, wire_message
from .outbox_claims import claim_batch, mark_failed, mark_for_retry, mark_sent_many, overdue_ids, take_back_expired
from . import account_mail, delivery, outbox
from .delivery import Relay, envelope_sender, relay_for, settings
from .outbox import enqueue_send, hint_worker
from .render import published_reports
from .retry import MAX_DELAY_SECONDS, retry_delay
from .smtp import SendFailure, classify_failure, open_connection

__all__ = ["BatchOutcome", "init_app", "send_from_outbox", "sweep_outbox"]

log = logging.getLogger(__name__)

_ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")


def redact_addresses(text: str) -> str:
    """``550 <li.wang@example.cn>: no such user`` as ``550 <…@example.cn>: no such user``."""
    return _ADDRESS.sub(lambda m: "…@" + m.group(0).rpartition("@")[2], text or "")

#: Retries sooner than this also get a countdown task; later ones are the sweeper's.
COUNTDOWN_LIMIT_SECONDS = 600
#: Queued mail this much past due has lost its hint (broker down, task lost): the sweeper resends it.
SWEEP_GRACE = timedelta(seconds=30)

#: Kinds that are moot once the registration is cancelled (the cancellation mail itself is not).
_MOOT_AFTER_CANCEL = {MailKind.CONFIRMATION, MailKind.ALREADY_REGISTERED, MailKind.WAITLISTED,
                      MailKind.PROMOTED, MailKind.REMINDER, MailKind.EVENT_CHANGED, MailKind.MESSAGE,
                      MailKind.THANK_YOU, MailKind.MISSED_YOU}


def init_app(app: Flask) -> None:
    """Read the delivery settings (a bad one stops the app here) and hook the outbox to the session."""
    app.extensions["eventsvc.delivery"] = delivery.load(app)
    outbox.init_app(app)


@dataclass
class BatchOutcome:
    """What one call of :func:`send_from_outbox` did, by mail id."""

    sent: list[int]
    retried: list[int]
    failed: list[int]

    @property
    def claimed(self) -> int:
        return len(self.sent) + len(self.retried) + len(self.failed)


def skip_reason(mail: OutboundMail, now: datetime) -> str | None:
    """Why ``mail`` should not go out any more, or ``None`` when it should."""
    if mail.registration_id is None:
        return account_mail.skip_reason(mail)
    registration = mail.registration
    event = registration.event
    if registration.status == RegistrationStatus.CANCELLED and mail.kind in _MOOT_AFTER_CANCEL:
        return "the registration was cancelled"
    if mail.kind == MailKind.WAITLISTED and registration.status == RegistrationStatus.CONFIRMED:
        # Promoted before this went out: "no seat yet" would contradict the promoted mail.
        return "the registrant has a seat by now"
    if mail.kind == MailKind.REMINDER:
        if event.status != EventStatus.PUBLISHED:
            return f"the event is {event.status}"
        if event.starts_at <= now:
            return "the event has started"
    if mail.kind in {MailKind.REMINDER, MailKind.REPORT, MailKind.MISSED_YOU} and registration.unsubscribed_at is not None:
        return "the registrant unsubscribed"
    if mail.kind in {MailKind.REMINDER, MailKind.REPORT, MailKind.INVITATION, MailKind.THANK_YOU,
                     MailKind.MISSED_YOU} and registration.email_bounced_at is not None:
        return "the address bounces"
    if mail.kind == MailKind.INVITATION:
        consent = db.session.scalar(select(FollowUpConsent).where(FollowUpConsent.email == registration.email))
        if consent is None or not consent.in_force:
            return "the consent was withdrawn"
        invited_to = db.session.get(Event, (mail.payload or {}).get("event_id"))
        if invited_to is None or not invited_to.registration_open(now):
            return "the event takes no registrations now"
    return None


@dataclass
class _Ready:
    """A rendered mail waiting for its turn on its relay's connection."""

    mail_id: int
    attempts: int
    wire: WireMessage
    relay: Relay


#: Batches one task may send in a row while due mail remains (each claimed while the one before
#: is being sent); the rest is left to the other hints.
BATCHES_PER_TASK = 40
#: "Sent" is committed for the mails a relay accepted, together, at least this often...
SENT_COMMIT_SECONDS = 0.05
#: ...and after at most this many: a worker killed in between sends only those mails again.
SENT_COMMIT_MAILS = 10


def send_from_outbox(mail_id: int | None = None, now: datetime | None = None,
                     keep_going: bool = False) -> BatchOutcome:
    """Send mail ``mail_id`` and up to ``MAIL_BATCH_SIZE - 1`` other due mails over one connection.

    With ``keep_going`` (what the task does), it goes on with the next batch while mail is due,
    claiming and rendering each batch while the one before it is being sent (on PostgreSQL; on
    SQLite the two would only wait for each other's write lock), so the relay never waits for
    the database or the templates.

    Safe to call for a mail that is already sent or held by another worker: it then sends
    whatever else is due, or nothing.
    """
    outcome = BatchOutcome([], [], [])
    overlap = keep_going and db.engine.dialect.name != "sqlite"
    sending: threading.Thread | None = None
    # One renderer for the run: each audience's words are rendered once, not once per batch
    # (see .audience); each batch hands it the report editions it read.
    renderer = BatchRenderer([])
    for _ in range(BATCHES_PER_TASK if keep_going else 1):
        ready, full = _claim_and_render(mail_id, now, outcome, renderer)
        mail_id = None
        if sending is not None:
            sending.join()
            sending = None
        if overlap and full:
            sending = _in_thread(_send_ready, ready, outcome, now)
        else:
            _send_ready(ready, outcome, now)
        if not full:
            break
    if sending is not None:
        sending.join()
    return outcome


def _in_thread(function, *args) -> threading.Thread:
    """Run ``function`` in a thread with its own app context (and so its own database session)."""
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            function(*args)

    thread = threading.Thread(target=run, name="eventsvc-mail-send", daemon=True)
    thread.start()
    return thread


def _claim_and_render(mail_id: int | None, now: datetime | None, outcome: BatchOutcome,
                      renderer: BatchRenderer) -> tuple[list[_Ready], bool]:
    """Claim a batch and render it with the run's ``renderer``; returns the mails ready to send
    and whether the batch was full."""
    config = current_app.config
    claimed = claim_batch(mail_id, config["MAIL_BATCH_SIZE"], config["MAIL_LEASE_SECONDS"], now)
    if not claimed:
        return [], False
    mails, reports = _load_batch(claimed)
    # On SQLite every transaction holds the write lock that registrations need: end the read
    # transaction after each mail. PostgreSQL reads the whole batch in one transaction.
    release_each = db.engine.dialect.name == "sqlite"
    ready: list[_Ready] = []
    renderer.next_batch(reports)
    for mail in mails:
        try:
            reason = skip_reason(mail, now or utcnow())
            if reason is None:
                if mail.registration_id is None:  # a mail to an organizer about their account
                    wire = wire_message(account_mail.render_account_mail(mail), mail.message_id)
                else:
                    wire = renderer.wire(mail)
                # Routed by the address it goes to: an erasure's goodbye goes to the address as it
                # was, not to the anonymised one its registration holds now.
                ready.append(_Ready(mail.id, mail.attempts, wire, relay_for(wire.recipient)))
        except Exception as error:  # noqa: BLE001 - a mail that cannot be rendered must not block the rest
            log.exception("mail %s could not be rendered", mail.id)
            end_read()
            mark_failed(mail.id, f"could not render: {error!r}")
            outcome.failed.append(mail.id)
            continue
        if release_each:
            end_read()
        if reason is not None:
            mark_failed(mail.id, f"skipped: {reason}")
            outcome.failed.append(mail.id)
    end_read()
    return ready, len(claimed) >= config["MAIL_BATCH_SIZE"]


def _send_ready(ready: list[_Ready], outcome: BatchOutcome, now: datetime | None) -> None:
    """Send rendered mails, grouped by relay: a relay that is down delays only the mail it carries.

    Each relay gets ``MAIL_CONNECTIONS_PER_RELAY`` connections at once, the mails dealt out among
    them; caps need no more care here, because a mail is only claimed when its domain's window
    has room for it.
    """
    by_relay: dict[Relay, list[_Ready]] = {}
    for item in ready:
        by_relay.setdefault(item.relay, []).append(item)
    connections = settings().connections_per_relay
    threads = []
    for relay, items in by_relay.items():
        shares = [items[index::connections] for index in range(min(connections, len(items)))]
        for share in shares[1:]:
            threads.append(_in_thread(_send_batch, relay, share, outcome, now))
        _send_batch(relay, shares[0], outcome, now)
    for thread in threads:
        thread.join()


def _load_batch(ids: list[int]) -> tuple[list[OutboundMail], list]:
    """The claimed mails with their registrations and events, and the report editions (four
    queries for the whole batch instead of several per mail)."""
    mails = list(db.session.scalars(
        select(OutboundMail).where(OutboundMail.id.in_(ids)).order_by(OutboundMail.id)
        .options(selectinload(OutboundMail.registration).selectinload(Registration.event),
                 selectinload(OutboundMail.organizer))
    ))
    return mails, published_reports()


class _Accepted:
    """Mails the relay accepted whose "sent" is not committed yet: committed together when
    :data:`SENT_COMMIT_MAILS` have gathered or the oldest waited :data:`SENT_COMMIT_SECONDS`, so
    a slow relay still gets each mail recorded at once."""

    def __init__(self, outcome: BatchOutcome, now: datetime | None, route: str) -> None:
        self.outcome, self.now, self.route = outcome, now, route
        self.ids: list[int] = []
        self.since = 0.0

    def add(self, mail_id: int) -> None:
        if not self.ids:
            self.since = time.monotonic()
        self.ids.append(mail_id)
        if len(self.ids) >= SENT_COMMIT_MAILS or time.monotonic() - self.since >= SENT_COMMIT_SECONDS:
            self.commit()

    def commit(self) -> None:
        if self.ids:
            mark_sent_many(self.ids, self.now, self.route)
            self.outcome.sent.extend(self.ids)
            for mail_id in self.ids:
                log.info("mail %d sent through %s", mail_id, self.route)
            self.ids = []


def _send_batch(relay: Relay, items: list[_Ready], outcome: BatchOutcome, now: datetime | None) -> None:
    """Send the rendered messages over one connection to ``relay``, recording each mail's fate
    at once (the accepted ones in small groups, see :class:`_Accepted`)."""
    pending = list(items)
    route = relay.name
    accepted = _Accepted(outcome, now, route)
    try:
        with open_connection(relay) as connection:
            while pending:
                item = pending[0]
                try:
                    connection.send_wire(item.wire, envelope_sender(item.mail_id))
                except Exception as error:  # noqa: BLE001 - sorted by classify_failure
                    failure = classify_failure(error, relay.host)
                    if failure.connection_lost:
                        raise _ConnectionLost(failure) from error
                    pending.pop(0)
                    accepted.commit()
                    _record_failure([(item.mail_id, item.attempts)], failure, outcome, route)
                    continue
                pending.pop(0)
                accepted.add(item.mail_id)
            accepted.commit()
    except _ConnectionLost as lost:
        accepted.commit()
        _record_failure([(i.mail_id, i.attempts) for i in pending], lost.failure, outcome, route)
    except Exception as error:  # noqa: BLE001 - connecting failed, or the session broke on QUIT
        accepted.commit()
        if pending:
            _record_failure([(i.mail_id, i.attempts) for i in pending], classify_failure(error, relay.host),
                            outcome, route)


class _ConnectionLost(Exception):
    def __init__(self, failure: SendFailure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


def _record_failure(mails: list[tuple[int, int]], failure: SendFailure, outcome: BatchOutcome,
                    route: str) -> None:
    """Fail permanent failures; requeue temporary ones with backoff, giving up after the last attempt."""
    config = current_app.config
    now = utcnow()
    # One jitter draw for the whole group: mails that failed together and have the same number of
    # attempts become due together, and one hint brings them all back.
    seed = random.random()
    hints: dict[int, tuple[int, float]] = {}
    for mail_id, attempts in mails:
        if failure.permanent:
            mark_failed(mail_id, failure.reason, route)
            outcome.failed.append(mail_id)
        elif attempts >= config["MAIL_MAX_ATTEMPTS"]:
            mark_failed(mail_id, f"gave up after {attempts} attempts: {failure.reason}", route)
            outcome.failed.append(mail_id)
        else:
            delay = retry_delay(attempts, config["MAIL_RETRY_BASE_SECONDS"], random.Random(seed),
                                config.get("MAIL_RETRY_MAX_SECONDS", MAX_DELAY_SECONDS))
            mark_for_retry(mail_id, failure.reason, now + timedelta(seconds=delay), route)
            outcome.retried.append(mail_id)
            hints.setdefault(attempts, (mail_id, delay))
    for mail_id, delay in hints.values():
        if delay < COUNTDOWN_LIMIT_SECONDS:
            hint_worker(mail_id, countdown=delay)
    if mails:
        # The reason stays with the mail for organizers; the log line keeps addresses out.
        log.warning("%d mail(s) not sent: %s", len(mails), redact_addresses(failure.reason))


def sweep_outbox(now: datetime | None = None) -> int:
    """Take back mail stuck in ``sending`` past its lease and re-enqueue overdue queued mail.

    Returns how many mails it re-enqueued. Safe to run any number of times, by any process.
    """
    now = now or utcnow()
    requeued = take_back_expired(current_app.config["MAIL_MAX_ATTEMPTS"], now)
    overdue = overdue_ids(now - SWEEP_GRACE)
    ids = sorted(set(requeued) | set(overdue))
    enqueue_send(ids)
    return len(ids)
