"""The second factor of an organizer account: a TOTP app (RFC 6238, pyotp) with ten single-use
recovery codes, and passkeys (:mod:`eventsvc.services.passkeys`).

A stolen password alone then opens nothing. Each TOTP code is taken once (the time step of the
last accepted code is stored, and only a later one is accepted), each recovery code once (only
their SHA-256 is stored: they are random, 50 bits each, so one round is enough).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import pyotp
from markupsafe import Markup
from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import Organizer, Passkey, RecoveryCode
from ..models.types import utcnow
from .transaction import lock, transaction

ISSUER = "OAV events"
RECOVERY_CODES = 10
#: Codes a step earlier or later than the server's clock are taken too (a phone's clock drifts).
VALID_WINDOW = 1


class TwoFactorError(Exception):
    """A second factor cannot be set up or used as asked; ``reason`` says why (for the page)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def has_totp(organizer: Organizer) -> bool:
    return organizer.totp_enabled_at is not None


def has_passkey(organizer: Organizer) -> bool:
    return db.session.scalar(select(func.count()).select_from(Passkey)
                             .where(Passkey.organizer_id == organizer.id)) > 0


def has_second_factor(organizer: Organizer) -> bool:
    """Whether the login asks this account for a second factor (a TOTP app or a passkey)."""
    return has_totp(organizer) or has_passkey(organizer)


def begin_totp(organizer: Organizer) -> str:
    """A new, not yet confirmed secret for the organizer's app (a TOTP in force stays as it is)."""
    if has_totp(organizer):
        raise TwoFactorError("enrolled")
    with transaction():
        organizer.totp_secret = pyotp.random_base32()
    return organizer.totp_secret


def provisioning_uri(organizer: Organizer) -> str:
    """The ``otpauth://`` URI an authenticator app takes (as a QR code or typed in)."""
    return pyotp.TOTP(organizer.totp_secret).provisioning_uri(name=organizer.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The URI as an inline SVG QR code (no image request, no inline style: the CSP allows it)."""
    import segno  # only where a QR code is drawn

    return Markup(segno.make(uri, error="m").svg_inline(scale=4, border=2, dark="#000", light="#fff"))


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code ``code`` is, within the window around ``now``, else ``None``."""
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    for candidate in range(step - VALID_WINDOW, step + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def _normal(code: str | None) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(_normal(code).encode()).hexdigest()


def new_recovery_codes(organizer: Organizer) -> list[str]:
    """Ten fresh recovery codes (``xxxxx-xxxxx``) in place of any earlier ones; shown once."""
    codes = [f"{secrets.token_hex(3)[:5]}-{secrets.token_hex(3)[:5]}" for _ in range(RECOVERY_CODES)]
    with transaction():
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.organizer_id == organizer.id))
        db.session.add_all(RecoveryCode(organizer_id=organizer.id, code_hash=_hash(code)) for code in codes)
    return codes


def confirm_totp(organizer: Organizer, code: str | None, now: datetime | None = None) -> list[str]:
    """Put the new secret in force once the app shows a right code; returns the recovery codes."""
    now = now or utcnow()
    if has_totp(organizer):
        raise TwoFactorError("enrolled")
    code = _normal(code)
    step = _matching_step(organizer.totp_secret, code, now) if organizer.totp_secret and len(code) == 6 else None
    if step is None:
        raise TwoFactorError("wrong")
    with transaction():
        organizer.totp_enabled_at = now
        organizer.totp_last_step = step
        return new_recovery_codes(organizer)


def remove_totp(organizer: Organizer) -> None:
    """Turn the TOTP app off; its recovery codes go with it."""
    with transaction():
        organizer.totp_secret = None
        organizer.totp_enabled_at = None
        organizer.totp_last_step = None
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.organizer_id == organizer.id))


def check_code(organizer: Organizer, code: str | None, now: datetime | None = None) -> str:
    """Accept a 6-digit TOTP code or a recovery code, each once; returns which it was.

    Raises :class:`TwoFactorError` with ``wrong`` or ``reused`` (a right code used before).
    """
    now = now or utcnow()
    code = _normal(code)
    if not code or len(code) > 20:
        raise TwoFactorError("wrong")
    with transaction():
        organizer = lock(Organizer, organizer.id)
        if has_totp(organizer) and code.isdigit() and len(code) == 6:
            step = _matching_step(organizer.totp_secret, code, now)
            if step is None:
                raise TwoFactorError("wrong")
            if organizer.totp_last_step is not None and step <= organizer.totp_last_step:
                raise TwoFactorError("reused")
            organizer.totp_last_step = step
            return "totp"
        recovery = db.session.scalar(select(RecoveryCode).where(
            RecoveryCode.organizer_id == organizer.id, RecoveryCode.code_hash == _hash(code)).with_for_update())
        if recovery is None:
            raise TwoFactorError("wrong")
        if recovery.used_at is not None:
            raise TwoFactorError("reused")
        recovery.used_at = now
        return "recovery"


def recovery_codes_left(organizer: Organizer) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.organizer_id == organizer.id, RecoveryCode.used_at.is_(None))) or 0
