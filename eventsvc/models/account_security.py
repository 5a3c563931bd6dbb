"""What keeps an organizer account safe: its sign-ins and failed attempts, password-reset links,
TOTP recovery codes and passkeys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class OrganizerSignIn(db.Model):
    """One login attempt on a known account: a session when it succeeded, a failure otherwise.

    The organizer sees the recent ones on the account page; a successful one is also the
    server's half of the session, so logging out ends it even if the cookie was copied.
    """

    __tablename__ = "organizer_sign_ins"
    __table_args__ = (Index("ix_organizer_sign_ins_organizer_id_created_at", "organizer_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organizers.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The client's address as the app sees it (after PROXY_FIX_X_FOR).
    address: Mapped[str] = mapped_column(String(64), default="")
    #: Whether the attempt opened a session (password and, where enrolled, the second factor).
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Why a failed attempt failed: ``password`` or ``code`` (the second factor).
    failure: Mapped[str | None] = mapped_column(String(16))
    #: SHA-256 of the random session key kept in the session cookie (successful sign-ins only).
    session_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: The session's last request (updated at most once a minute); idle expiry counts from here.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the session ended: logout, "log out everywhere", a password change or a disable.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PasswordReset(db.Model):
    """A password-reset link sent by mail: single use, short-lived, only its hash stored."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organizers.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the link's token.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organizer = relationship("Organizer")


class RecoveryCode(db.Model):
    """One of the ten single-use codes that stand in for the TOTP code; only its hash is kept."""

    __tablename__ = "organizer_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organizers.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the code (the codes are random, 50 bits and more: one round is enough).
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Passkey(db.Model):
    """A WebAuthn credential (passkey) an organizer signs in with as the second factor."""

    __tablename__ = "organizer_passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organizers.id", ondelete="CASCADE"), index=True)
    #: The credential id, base64url as the browser reports it.
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    #: The COSE public key.
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    #: The authenticator's signature counter, checked to rise (a cloned key shows as a repeat).
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    #: What the organizer calls it ("laptop").
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
