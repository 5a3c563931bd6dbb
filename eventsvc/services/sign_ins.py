"""Organizer sessions kept on the server, and the record of sign-ins and failed attempts.

A session cookie is signed, not secret from its holder: a copy taken before logout would stay
valid for as long as the key signs it. So each login also makes a row here, named by a random key
that only the session holds (its SHA-256 is stored); every request checks the row is live, so
logging out, "log out everywhere", a password change and a disable end the session on the server,
whatever cookie copies exist. The same rows, with the failures, are what the account page lists.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Organizer, OrganizerSignIn
from ..models.types import utcnow
from .transaction import transaction

#: A live session's last-seen time is written at most this often (not on every request).
TOUCH_EVERY = timedelta(minutes=1)
#: How many sign-ins and failed attempts the account page shows.
RECENT = 20


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(organizer: Organizer, address: str, now: datetime | None = None) -> str:
    """Record a successful sign-in and return the new session's key (for the session cookie)."""
    now = now or utcnow()
    key = secrets.token_urlsafe(32)
    with transaction():
        organizer.last_login_at = now
        db.session.add(OrganizerSignIn(organizer_id=organizer.id, created_at=now, address=address[:64],
                                       succeeded=True, session_hash=_hash(key), last_seen_at=now))
    return key


def record_failure(organizer: Organizer, address: str, failure: str) -> None:
    """Note a failed attempt on this account (``password`` or ``code``) for its owner to see."""
    with transaction():
        db.session.add(OrganizerSignIn(organizer_id=organizer.id, address=address[:64], succeeded=False,
                                       failure=failure))


def session_is_live(organizer: Organizer, key: str | None, idle: timedelta, now: datetime | None = None) -> bool:
    """Whether the session with ``key`` belongs to ``organizer``, has not ended and has not been
    idle longer than ``idle``; a live one is marked seen now (an idle one is ended)."""
    if not key or not isinstance(key, str):
        return False
    now = now or utcnow()
    row = db.session.scalar(select(OrganizerSignIn).where(OrganizerSignIn.session_hash == _hash(key)))
    if row is None or row.organizer_id != organizer.id or row.ended_at is not None:
        return False
    seen = row.last_seen_at or row.created_at
    if now - seen > idle:
        with transaction():
            row.ended_at = now
        return False
    if now - seen >= TOUCH_EVERY:
        with transaction():
            row.last_seen_at = now
    return True


def end_session(key: str | None, now: datetime | None = None) -> None:
    """End the one session with ``key`` (logout)."""
    if not key or not isinstance(key, str):
        return
    with transaction():
        db.session.execute(update(OrganizerSignIn).where(OrganizerSignIn.session_hash == _hash(key),
                                                         OrganizerSignIn.ended_at.is_(None))
                           .values(ended_at=now or utcnow()))


def end_all_sessions(organizer: Organizer, now: datetime | None = None) -> None:
    """End every session of the account, wherever it is, and raise its session version so that
    no cookie made before is taken again. Joins the caller's transaction."""
    with transaction():
        organizer.session_version = (organizer.session_version or 1) + 1
        db.session.execute(update(OrganizerSignIn).where(OrganizerSignIn.organizer_id == organizer.id,
                                                         OrganizerSignIn.ended_at.is_(None),
                                                         OrganizerSignIn.succeeded.is_(True))
                           .values(ended_at=now or utcnow()))


def recent(organizer: Organizer, succeeded: bool, limit: int = RECENT) -> list[OrganizerSignIn]:
    """The account's latest sign-ins (``succeeded``) or failed attempts, newest first."""
    return list(db.session.scalars(
        select(OrganizerSignIn).where(OrganizerSignIn.organizer_id == organizer.id,
                                      OrganizerSignIn.succeeded.is_(succeeded))
        .order_by(OrganizerSignIn.created_at.desc(), OrganizerSignIn.id.desc()).limit(limit)
    ))


def failures_since(organizer: Organizer, since: datetime) -> int:
    """How many failed attempts the account had since ``since`` (the page lists only the latest)."""
    return db.session.scalar(select(func.count()).select_from(OrganizerSignIn).where(
        OrganizerSignIn.organizer_id == organizer.id, OrganizerSignIn.succeeded.is_(False),
        OrganizerSignIn.created_at >= since)) or 0
