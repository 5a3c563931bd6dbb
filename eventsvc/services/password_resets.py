"""Password reset by mail: a single-use link, valid for ``PASSWORD_RESET_MINUTES``.

Asking for a link answers the same for a known and an unknown address (the page never tells who
has an account); a known, enabled account gets a mail through the outbox like every mail, in the
organizer's language. The link's token is an HMAC of the reset row under a key derived from
``SECRET_KEY``, so the worker can write it into the mail while the database keeps only its
SHA-256: a copy of the database alone opens no account. Using the link sets the new password,
ends every session of the account and spends every open link of it.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from ..extensions import db
from ..models import MailKind, OutboundMail, Organizer, PasswordReset
from ..models.types import utcnow
from .organizers import find_organizer, set_password
from .transaction import lock, transaction

#: Links one account may be sent per hour; more requests get the same answer and no mail.
MAX_PER_HOUR = 3


class ResetLinkInvalid(Exception):
    """The link cannot be used; ``reason`` is ``unknown``, ``expired`` or ``used``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _key() -> bytes:
    return hashlib.sha256(b"eventsvc password reset|" + current_app.config["SECRET_KEY"].encode()).digest()


def reset_token(reset: PasswordReset) -> str:
    """The link's token for ``reset``: its id and an HMAC that only this service can make."""
    message = f"{reset.id}|{reset.organizer_id}|{int(reset.expires_at.timestamp())}".encode()
    return f"{reset.id}-{hmac.new(_key(), message, hashlib.sha256).hexdigest()[:40]}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_reset(email: str, language: str, now: datetime | None = None) -> None:
    """Send a reset link to ``email`` if an enabled account has it; silently nothing otherwise."""
    now = now or utcnow()
    organizer = find_organizer(email)
    if organizer is None or organizer.disabled_at is not None:
        return
    recent = db.session.scalar(select(func.count()).select_from(PasswordReset).where(
        PasswordReset.organizer_id == organizer.id, PasswordReset.created_at > now - timedelta(hours=1)))
    if recent >= MAX_PER_HOUR:
        return
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    with transaction():
        organizer.language = organizer.language or language
        reset = PasswordReset(organizer_id=organizer.id, created_at=now, token_hash="pending",
                              expires_at=now + timedelta(minutes=minutes))
        db.session.add(reset)
        db.session.flush()
        reset.token_hash = _hash(reset_token(reset))
        db.session.add(OutboundMail(organizer_id=organizer.id, kind=MailKind.PASSWORD_RESET,
                                    dedupe_key=f"password_reset:{reset.id}", payload={"reset_id": reset.id}))


def check_link(token: str, now: datetime | None = None) -> PasswordReset:
    """The reset this link names, if it can still be used; else :class:`ResetLinkInvalid`."""
    now = now or utcnow()
    if not token or len(token) > 100:
        raise ResetLinkInvalid("unknown")
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == _hash(token)))
    if reset is None:
        raise ResetLinkInvalid("unknown")
    if reset.used_at is not None:
        raise ResetLinkInvalid("used")
    if reset.expires_at <= now or reset.organizer.disabled_at is not None:
        raise ResetLinkInvalid("expired")
    return reset


def use_link(token: str, password: str, now: datetime | None = None) -> Organizer:
    """Set the new ``password`` through the link, once; every session of the account ends."""
    now = now or utcnow()
    reset = check_link(token, now)
    with transaction():
        reset = lock(PasswordReset, reset.id)
        if reset.used_at is not None:  # used by a concurrent request in the meantime
            raise ResetLinkInvalid("used")
        organizer = reset.organizer
        set_password(organizer, password)
        db.session.execute(update(PasswordReset).where(PasswordReset.organizer_id == organizer.id,
                                                       PasswordReset.used_at.is_(None)).values(used_at=now))
    return organizer


def reset_for_mail(mail: OutboundMail) -> PasswordReset | None:
    """The reset a password-reset mail is about (for rendering its link)."""
    return db.session.get(PasswordReset, (mail.payload or {}).get("reset_id"))
