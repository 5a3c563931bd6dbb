"""Webhooks: other systems (OAV's CRM) hear of registrations, cancellations, promotions,
check-ins, bounces and event changes, signed as Standard Webhooks prescribes.

The services that make a change call :func:`emit` in their own transaction: it adds one
:class:`WebhookDelivery` row per endpoint that wants the news, so the news is committed with the
change or not at all, and never blocks it. After the commit the delivery task is told (the same
session hooks as the mail outbox); :mod:`eventsvc.services.webhook_delivery` sends, retries and
logs. Endpoints are added by admins (``/organizer/webhooks``, ``flask webhooks add``); their URL
must be http(s) and, unless ``WEBHOOK_ALLOW_PRIVATE``, reach no private or loopback address.
"""

from __future__ import annotations

import base64
import ipaddress
import secrets
import socket
import uuid
from datetime import datetime
from urllib.parse import urlsplit

from flask import Flask, current_app
from flask_sqlalchemy.session import Session as AppSession
from sqlalchemy import event as orm_event
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Exists

from ..extensions import db
from ..models import Event, Registration, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from ..models.types import utcnow
from . import hints
from .transaction import transaction

#: The event types an endpoint can ask for.
EVENT_TYPES = ("registration.created", "registration.cancelled", "registration.promoted",
               "registration.checked_in", "mail.bounced", "event.changed")
#: The Celery task that delivers (defined in :mod:`eventsvc.tasks`).
DELIVER_TASK = "eventsvc.deliver_webhook"
_PENDING_KEY = "eventsvc.webhook_ids"


class WebhookUrlError(ValueError):
    """A URL that may not be an endpoint; the message says why (in English, for the CLI and log)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve_target(url: str) -> list[str]:
    """The addresses ``url``'s host resolves to, all of them allowed; raises
    :class:`WebhookUrlError` otherwise. Checked when an endpoint is added and before every
    attempt (a name may come to point elsewhere)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookUrlError("scheme", "the URL must start with http:// or https:// and name a host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise WebhookUrlError("scheme", "the URL's port is not a number from 1 to 65535") from error
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise WebhookUrlError("unresolvable", f"the host {parts.hostname} cannot be resolved") from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not current_app.config["WEBHOOK_ALLOW_PRIVATE"] and not all(_public(a) for a in addresses):
        raise WebhookUrlError("private", f"{parts.hostname} is a private, loopback or link-local address "
                                         "(set WEBHOOK_ALLOW_PRIVATE=true to allow it)")
    return addresses


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def add_endpoint(url: str, event: Event | None = None, types: list[str] | None = None,
                 owner_id: int | None = None) -> WebhookEndpoint:
    """Add an endpoint; raises :class:`WebhookUrlError` for a URL it may not have, or
    ``ValueError`` for an unknown type. Its secret is on the returned object, to show once."""
    url = url.strip()
    if len(url) > 2000:
        raise WebhookUrlError("too_long", "the URL is longer than 2000 characters")
    unknown = [t for t in (types or []) if t not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown event type {unknown[0]!r}; known: {', '.join(EVENT_TYPES)}")
    resolve_target(url)
    with transaction():
        endpoint = WebhookEndpoint(url=url, secret=new_secret(), event_id=event.id if event else None,
                                   types=list(dict.fromkeys(types or [])), owner_id=owner_id)
        db.session.add(endpoint)
    return endpoint


def all_endpoints() -> list[WebhookEndpoint]:
    return list(db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def find_endpoint(endpoint_id: int) -> WebhookEndpoint | None:
    return db.session.get(WebhookEndpoint, endpoint_id)


def set_active(endpoint_id: int, active: bool) -> WebhookEndpoint:
    """Switch an endpoint on (its failure clock starts afresh) or off."""
    with transaction():
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        endpoint.active = active
        endpoint.failing_since = None
        endpoint.disabled_at = None if active else utcnow()
        endpoint.disabled_reason = None if active else "switched off by an admin"
    return endpoint


def remove_endpoint(endpoint_id: int) -> None:
    with transaction():
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        if endpoint is not None:
            db.session.delete(endpoint)


def deliveries_of(endpoint: WebhookEndpoint, limit: int = 100) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries with their attempts, newest first: the delivery log."""
    return list(db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
                                   .order_by(WebhookDelivery.id.desc()).limit(limit)))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def registration_data(registration: Registration) -> dict:
    """A registration as deliveries carry it: the id of the API and the export, and the address."""
    return {
        "id": registration.public_id, "event": registration.event.slug, "status": registration.status,
        "email": registration.email, "family_name": registration.family_name,
        "given_name": registration.given_name, "organization": registration.organization,
        "job_title": registration.job_title, "language": registration.language,
        "registered_at": _iso(registration.created_at), "checked_in_at": _iso(registration.checked_in_at),
        "cancelled_at": _iso(registration.cancelled_at),
    }


def event_data(event: Event) -> dict:
    return {"slug": event.slug, "status": event.status, "title": event.title, "venue": event.venue,
            "timezone": event.timezone, "starts_at": _iso(event.starts_at), "ends_at": _iso(event.ends_at),
            "capacity": event.capacity, "sequence": event.ics_sequence}


def _endpoints_of(event_id):
    return (WebhookEndpoint.active.is_(True),
            or_(WebhookEndpoint.event_id.is_(None), WebhookEndpoint.event_id == event_id))


def listening(event_id) -> Exists:
    """Whether an active endpoint listens to the event (``event_id``: a value or a column), as
    a column to read along with a query a service makes anyway: a registration or a scan where
    nobody listens then costs no lookup of the endpoints."""
    return select(WebhookEndpoint.id).where(*_endpoints_of(event_id)).exists()


def emit(type_: str, event_id: int, subject: str, data: dict, now: datetime | None = None) -> int:
    """Queue ``type_`` with ``data`` for every active endpoint that wants it, in the caller's
    transaction; returns how many deliveries were queued."""
    endpoints = db.session.scalars(select(WebhookEndpoint).where(*_endpoints_of(event_id))).all()
    now = now or utcnow()
    queued = 0
    for endpoint in endpoints:
        if endpoint.types and type_ not in endpoint.types:
            continue
        db.session.add(WebhookDelivery(endpoint_id=endpoint.id, message_id=f"msg_{uuid.uuid4().hex}",
                                       type=type_, subject=subject, data=data, occurred_at=now,
                                       next_attempt_at=now))
        queued += 1
    return queued


def emit_registration(type_: str, registration: Registration, now: datetime | None = None,
                      **extra) -> int:
    """Queue news about ``registration`` (flushed first, so it has its id)."""
    if registration.id is None:
        db.session.flush()
    return emit(type_, registration.event_id, f"registration:{registration.id}",
                {**registration_data(registration), **extra}, now)


def forget_registration(registration: Registration) -> None:
    """After an erasure (in its transaction): deliveries about ``registration`` carry its
    anonymised record, a bounce's diagnostic (which repeats the address) is dropped, and so are
    the endpoints' answers to them, which may echo what was sent. Pending ones still go out."""
    deliveries = db.session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.subject == f"registration:{registration.id}")).all()
    for delivery in deliveries:
        data = {**delivery.data, **registration_data(registration)}
        if isinstance(data.get("mail"), dict):
            data["mail"] = {"kind": data["mail"].get("kind")}
        delivery.data = data
    if deliveries:
        db.session.execute(update(WebhookAttempt).where(
            WebhookAttempt.delivery_id.in_([delivery.id for delivery in deliveries])).values(answer=None)
            .execution_options(synchronize_session=False))


def emit_event_changed(event: Event, now: datetime | None = None) -> int:
    return emit("event.changed", event.id, f"event:{event.id}", event_data(event), now)


def hint_delivery(delivery_id: int, countdown: float | None = None) -> bool:
    """Tell a worker that delivery ``delivery_id`` is due; never raises (the sweeper catches up)."""
    return hints.send_hint(DELIVER_TASK, delivery_id, countdown, "webhook delivery %s waits for the sweeper")


def _collect(session: Session, _context) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, WebhookDelivery)]
    if ids:
        session.info.setdefault(_PENDING_KEY, []).extend(ids)


def _hint_each(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        if not hint_delivery(delivery_id):
            return


def _release(session: Session) -> None:
    hints.release(_hint_each, session.info.pop(_PENDING_KEY, None))


def _discard(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


_HOOKS = (("after_flush", _collect), ("after_commit", _release), ("after_rollback", _discard))


def init_app(app: Flask) -> None:
    """Register the session hooks that release new deliveries after each commit."""
    for name, hook in _HOOKS:
        if not orm_event.contains(AppSession, name, hook):
            orm_event.listen(AppSession, name, hook)
