"""Organizers, the events granted to them, and their API tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .statuses import OrganizerRole, TokenScope, one_of
from .types import UTCDateTime, utcnow


def hash_api_token(token: str) -> str:
    """API tokens are long random strings, so one round of SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()


class Organizer(db.Model):
    """A person at OAV or a partner who manages events.

    It answers what Flask-Login asks of a user (``is_authenticated``, ``is_active``,
    ``is_anonymous``, ``get_id``) itself rather than through Flask-Login's ``UserMixin``: the
    models are imported by every worker process, which signs no one in and so never imports
    Flask-Login (with its test client, click's and pdb).
    """

    __tablename__ = "organizers"
    __table_args__ = (CheckConstraint(one_of("role", OrganizerRole), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name, lower-cased.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: Werkzeug hash string (scrypt).
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200), default="")
    #: ``admin``: every event and the accounts; ``organizer``: the granted events; ``checkin``:
    #: only the check-in page of the granted events.
    role: Mapped[str] = mapped_column(String(16), default=OrganizerRole.ADMIN,
                                      server_default=OrganizerRole.ADMIN.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Raised by a password change, a disable and "log out everywhere": every session made under
    #: an older version is refused on its next request.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: Set by ``flask organizers disable``: no login, no session, no API token works.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The language the organizer last used the pages in; mail to the organizer is written in it.
    language: Mapped[str | None] = mapped_column(String(8))
    #: The TOTP secret (base32); set at enrolment, in force once ``totp_enabled_at`` is set.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The time step of the last accepted TOTP code: a code is accepted once, never again.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    api_tokens = relationship("ApiToken", back_populates="organizer", lazy="dynamic")

    @property
    def is_admin(self) -> bool:
        return self.role == OrganizerRole.ADMIN

    @property
    def is_active(self) -> bool:
        """Flask-Login refuses to log in an inactive (disabled) account."""
        return self.disabled_at is None

    @property
    def is_authenticated(self) -> bool:
        """A disabled account's session no longer counts as signed in (as ``UserMixin`` has it)."""
        return self.is_active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """The session names the account and its session version (``"7.3"``): raising the version
        ends every session made before."""
        return f"{self.id}.{self.session_version}"


class EventGrant(db.Model):
    """One event an ``organizer`` or ``checkin`` account may work on."""

    __tablename__ = "event_grants"
    __table_args__ = (UniqueConstraint("organizer_id", "event_id", name="uq_event_grants_organizer_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organizers.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiToken(db.Model):
    """A token for API v1; only its hash is stored, the token is shown once."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(one_of("scope", TokenScope), name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(
        ForeignKey("organizers.id", ondelete="CASCADE"), index=True
    )
    #: What the organizer calls it ("CRM sync").
    name: Mapped[str] = mapped_column(String(100))
    #: SHA-256 of the token.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters, so an organizer can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    #: The one event the token is narrowed to; empty: every event its owner may see.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    #: ``read`` (what tokens could before scopes), ``write`` (also the API's writes) or ``checkin``
    #: (only the door's routes of its owner's events).
    scope: Mapped[str] = mapped_column(String(8), default=TokenScope.READ, server_default=TokenScope.READ.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: After this the token is refused like a revoked one.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organizer = relationship("Organizer", back_populates="api_tokens")
    event = relationship("Event")
