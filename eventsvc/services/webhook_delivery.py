"""Sending webhook deliveries: signed afresh on every attempt, retried on a growing schedule, in
order per subject, with every attempt and the endpoint's answer kept for the delivery log.

- An attempt claims its delivery (pending → sending, with a lease), but only when every earlier
  delivery to that endpoint about the same registration or event has been delivered or given
  up: a cancellation never arrives before the registration it cancels. After a success the
  worker goes straight on with the next delivery of that subject.
- Before connecting, the URL's host is resolved again and every address checked
  (``WEBHOOK_ALLOW_PRIVATE``); the connection goes to the address that was checked, so a name
  that changes its answer between check and connect (DNS rebinding) reaches nothing private.
- A failure (no answer, or any status but 2xx) waits :data:`RETRY_SCHEDULE` (the first retry
  within a minute, then longer, over a day). An endpoint that has failed for
  :data:`DISABLE_AFTER` without a success is switched off, and its owner (or, without one, every
  admin) gets a mail in the same transaction; its deliveries wait, and go out in order once an
  admin switches it on again.
- Long waits are kept in the table, not in the broker: beat's sweep (every minute) hands due
  deliveries to a worker, and takes back those whose worker died while sending.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import and_, or_, select
from standardwebhooks.webhooks import Webhook

from ..extensions import db
from ..models import (MailKind, Organizer, OrganizerRole, OutboundMail, WebhookAttempt, WebhookDelivery,
                      WebhookEndpoint)
from ..models.types import utcnow
from .transaction import end_read, lock, transaction
from .webhooks import WebhookUrlError, hint_delivery, resolve_target

log = logging.getLogger(__name__)

#: Seconds to wait after the 1st, 2nd, … failed attempt; past the end, the delivery is given up.
RETRY_SCHEDULE = (30, 300, 1800, 3600, 7200, 14400, 28800, 28800, 28800)
#: An endpoint failing this long without one success is switched off.
DISABLE_AFTER = timedelta(days=1)
#: Seconds one attempt may take to connect and to answer.
TIMEOUT_SECONDS = 10
#: How long a claimed delivery may stay in "sending" before the sweep takes it back.
LEASE = timedelta(minutes=2)
#: Retries this soon are handed to the broker with a countdown; later ones wait for the sweep.
COUNTDOWN_LIMIT = 300
#: How much of an endpoint's answer the log keeps.
ANSWER_LIMIT = 2000
#: How much of the last answer the switch-off mail quotes.
MAIL_ANSWER_LIMIT = 500


@dataclass
class Claim:
    """What one attempt needs, read under the claim so the network part holds no transaction."""

    delivery_id: int
    url: str
    secret: str
    message_id: str
    body: bytes


def retry_delays() -> tuple[int, ...]:
    configured = current_app.config.get("WEBHOOK_RETRY_SCHEDULE")
    return tuple(configured) if configured else RETRY_SCHEDULE


def _earlier_open(delivery: WebhookDelivery) -> bool:
    return db.session.scalar(select(WebhookDelivery.id).where(
        WebhookDelivery.endpoint_id == delivery.endpoint_id, WebhookDelivery.subject == delivery.subject,
        WebhookDelivery.id < delivery.id, WebhookDelivery.status.in_(("pending", "sending"))).limit(1)) is not None


def body_of(delivery: WebhookDelivery) -> bytes:
    """The JSON body: ``{"type", "timestamp", "data"}``."""
    return json.dumps({"type": delivery.type, "timestamp": delivery.occurred_at.isoformat().replace("+00:00", "Z"),
                       "data": delivery.data}, ensure_ascii=False, separators=(",", ":")).encode()


def _claim(delivery_id: int, now: datetime) -> Claim | None:
    with transaction():
        delivery = db.session.execute(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
                                      .with_for_update().execution_options(populate_existing=True)).scalar_one_or_none()
        if delivery is None or delivery.next_attempt_at > now or not delivery.endpoint.active:
            return None
        lapsed = delivery.status == "sending" and (delivery.lease_expires_at or now) <= now
        if delivery.status != "pending" and not lapsed:
            return None
        if _earlier_open(delivery):
            return None
        delivery.status = "sending"
        delivery.attempts += 1
        delivery.lease_expires_at = now + LEASE
        return Claim(delivery.id, delivery.endpoint.url, delivery.endpoint.secret, delivery.message_id,
                     body_of(delivery))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the name resolves to by then."""

    def __init__(self, host, address, **kwargs):
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, address, **kwargs):
        super().__init__(host, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(claim: Claim) -> tuple[int | None, str]:
    """One signed POST; returns the status (``None`` when there was no answer) and the answer."""
    try:
        address = resolve_target(claim.url)[0]
    except WebhookUrlError as error:
        return None, f"refused: {error}"
    parts = urlsplit(claim.url)
    timestamp = utcnow()
    headers = {
        "Content-Type": "application/json", "User-Agent": "eventsvc-webhooks/1",
        "webhook-id": claim.message_id, "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(claim.secret).sign(claim.message_id, timestamp, claim.body),
    }
    kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = kind(parts.hostname, address, port=parts.port, timeout=TIMEOUT_SECONDS)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=claim.body, headers=headers)
        response = connection.getresponse()
        answer = response.read(ANSWER_LIMIT).decode("utf-8", "replace")
        return response.status, answer
    except (OSError, http.client.HTTPException) as error:
        return None, f"{type(error).__name__}: {error}"[:ANSWER_LIMIT]
    finally:
        connection.close()


def _next_in_line(delivery: WebhookDelivery) -> int | None:
    return db.session.scalar(select(WebhookDelivery.id).where(
        WebhookDelivery.endpoint_id == delivery.endpoint_id, WebhookDelivery.subject == delivery.subject,
        WebhookDelivery.id > delivery.id, WebhookDelivery.status == "pending")
        .order_by(WebhookDelivery.id).limit(1))


def _record(claim: Claim, status: int | None, answer: str, duration_ms: int, now: datetime) -> int | None:
    """Log the attempt and decide what follows; returns the next delivery of the subject to send."""
    retry_in = None
    with transaction():
        delivery = lock(WebhookDelivery, claim.delivery_id)
        endpoint = lock(WebhookEndpoint, delivery.endpoint_id)
        db.session.add(WebhookAttempt(delivery_id=delivery.id, attempted_at=now, status_code=status,
                                      answer=answer, duration_ms=duration_ms))
        delivery.lease_expires_at = None
        if status is not None and 200 <= status < 300:
            delivery.status = "delivered"
            delivery.delivered_at = now
            endpoint.failing_since = None
            return _next_in_line(delivery)
        endpoint.failing_since = endpoint.failing_since or now
        delays = retry_delays()
        if now - endpoint.failing_since >= DISABLE_AFTER:
            delivery.status = "pending"  # waits for the endpoint to be switched on again
            delivery.next_attempt_at = now
            _switch_off(endpoint, now, status, answer)
        elif delivery.attempts > len(delays):
            delivery.status = "failed"
            return _next_in_line(delivery)
        else:
            delivery.status = "pending"
            retry_in = delays[delivery.attempts - 1]
            delivery.next_attempt_at = now + timedelta(seconds=retry_in)
    if retry_in is not None and retry_in <= COUNTDOWN_LIMIT:
        hint_delivery(claim.delivery_id, countdown=retry_in)
    return None


def _switch_off(endpoint: WebhookEndpoint, now: datetime, status: int | None, answer: str) -> None:
    """Switch the endpoint off and queue the mail that says so, in the caller's transaction.

    The caller holds the endpoint's lock: of two workers whose attempts fail at once, the second
    finds it off already, and nobody is told twice.
    """
    if not endpoint.active:
        return
    endpoint.active = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = "failing for a day"
    log.warning("webhook endpoint %s switched off after failing for a day", endpoint.id)
    payload = {"endpoint_id": endpoint.id, "url": endpoint.url, "failing_since": endpoint.failing_since.isoformat(),
               "status": status, "answer": answer[:MAIL_ANSWER_LIMIT]}
    for organizer in _who_may_switch_on(endpoint):
        db.session.add(OutboundMail(organizer_id=organizer.id, kind=MailKind.WEBHOOK_SWITCHED_OFF,
                                    dedupe_key=f"webhook_switched_off:{endpoint.id}:{int(now.timestamp())}",
                                    payload=payload))


def _who_may_switch_on(endpoint: WebhookEndpoint) -> list[Organizer]:
    """The endpoint's owner while an admin with a working account (only admins reach the
    webhooks page); else, and for an endpoint without an owner, every such admin."""
    owner = endpoint.owner
    if owner is not None and owner.is_admin and owner.disabled_at is None:
        return [owner]
    return list(db.session.scalars(select(Organizer).where(
        Organizer.role == OrganizerRole.ADMIN, Organizer.disabled_at.is_(None)).order_by(Organizer.id)))


def deliver(delivery_id: int, now: datetime | None = None) -> int:
    """Attempt delivery ``delivery_id`` and then, while they succeed, the ones queued after it
    about the same subject; returns how many attempts were made."""
    attempts = 0
    while delivery_id is not None:
        claim = _claim(delivery_id, now or utcnow())
        end_read()
        if claim is None:
            return attempts
        started = time.monotonic()
        status, answer = post(claim)
        attempts += 1
        delivery_id = _record(claim, status, answer, int((time.monotonic() - started) * 1000), now or utcnow())
    return attempts


def sweep(now: datetime | None = None, limit: int = 500) -> int:
    """Hand due deliveries (and those whose worker died while sending) to a worker; returns how many."""
    now = now or utcnow()
    due = list(db.session.scalars(
        select(WebhookDelivery.id).join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookEndpoint.active.is_(True), or_(
            and_(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now),
            and_(WebhookDelivery.status == "sending", WebhookDelivery.lease_expires_at <= now)))
        .order_by(WebhookDelivery.id).limit(limit)))
    end_read()
    for delivery_id in due:
        if not hint_delivery(delivery_id):
            break
    return len(due)
