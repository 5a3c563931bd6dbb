"""Organizer accounts, password checks and API tokens."""

from __future__ import annotations

import functools
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import ApiToken, Event, Organizer, OrganizerRole, TokenScope
from ..models.organizer import hash_api_token
from ..models.types import utcnow
from .sign_ins import end_all_sessions
from .transaction import transaction

#: Shortest password an organizer may choose; organizer accounts see every attendee's data.
MIN_PASSWORD_LENGTH = 10
#: Prefix of every API token, so a leaked one is easy to recognise in logs and secret scanners.
TOKEN_PREFIX = "evs_"
#: How long a new API token works unless its maker says otherwise.
DEFAULT_TOKEN_DAYS = 365
#: The longest life a token may be given.
MAX_TOKEN_DAYS = 5 * 365
#: A token's last use is written at most this often: a door device calls several times a second.
LAST_USED_RESOLUTION = timedelta(minutes=1)

@functools.cache
def _dummy_hash() -> str:
    """A hash to check against when the address is unknown, so a login with an unknown address
    takes as long as one with a wrong password and the timing reveals nothing about who has an
    account. Made on first use, not at import: scrypt cost every process half a second of start."""
    return generate_password_hash("not a real password")


class OrganizerError(Exception):
    """An organizer account or token cannot be created as asked (the message says why, in
    English; ``code`` names the reason for a page that says it in the reader's language)."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find_organizer(email: str) -> Organizer | None:
    return db.session.scalar(select(Organizer).where(Organizer.email == normalize_email(email)))


def organizer_by_id(organizer_id: str) -> Organizer | None:
    """The organizer a login session names (Flask-Login's user loader), or ``None``."""
    if not organizer_id.isdigit() or len(organizer_id) > 18:
        return None
    return db.session.get(Organizer, int(organizer_id))


def create_organizer(email: str, password: str, name: str = "",
                     role: str = OrganizerRole.ADMIN) -> Organizer:
    """Create an organizer account; the password is stored as a scrypt hash (werkzeug's default).

    ``role`` is ``admin`` (every event, as before roles existed), ``organizer`` or ``checkin``
    (the events granted to the account later).
    """
    email = normalize_email(email)
    if role not in set(OrganizerRole):
        raise OrganizerError(f"{role} is not a role; use admin, organizer or checkin.")
    if "@" not in email or len(email) > 254:
        raise OrganizerError(f"{email or '(empty)'} is not an e-mail address.")
    check_new_password(password)
    if find_organizer(email) is not None:
        raise OrganizerError(f"An organizer with the address {email} exists already.")
    organizer = Organizer(email=email, password_hash=generate_password_hash(password), name=name.strip(),
                          role=role)
    with transaction():
        db.session.add(organizer)
    return organizer


def authenticate(email: str, password: str) -> Organizer | None:
    """The organizer whose address and password these are, else ``None``.

    A disabled account is returned too (the caller says it is disabled rather than that the
    password is wrong, to the one who knows the password); the caller records the sign-in.
    """
    organizer = find_organizer(email)
    if organizer is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not password_matches(organizer, password):
        return None
    return organizer


def password_matches(organizer: Organizer, password: str | None) -> bool:
    return check_password_hash(organizer.password_hash, password or "")


def check_new_password(password: str | None) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise OrganizerError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")


def set_password(organizer: Organizer, password: str) -> None:
    """Give the account a new password and end every session it has (a thief's as well)."""
    check_new_password(password)
    with transaction():
        organizer.password_hash = generate_password_hash(password)
        end_all_sessions(organizer)


def set_disabled(email: str, disabled: bool) -> Organizer:
    """Disable an account (its sessions and API tokens stop working at once) or enable it again.

    Enabling does not revive the old sessions: the owner logs in afresh.
    """
    organizer = find_organizer(email)
    if organizer is None:
        raise OrganizerError(f"No organizer has the address {normalize_email(email)}.")
    with transaction():
        if disabled and organizer.disabled_at is None:
            organizer.disabled_at = utcnow()
            end_all_sessions(organizer)
        elif not disabled:
            organizer.disabled_at = None
    return organizer


def remember_language(organizer: Organizer, language: str) -> None:
    """Note the language the organizer uses the pages in (their mail is written in it)."""
    if language and organizer.language != language:
        with transaction():
            organizer.language = language


def default_scope(organizer: Organizer | None) -> str:
    """The scope of a new token when none is chosen: ``checkin`` for a ``checkin`` account (the
    only one its tokens may have), else ``read``."""
    if organizer is not None and organizer.role == OrganizerRole.CHECKIN:
        return TokenScope.CHECKIN
    return TokenScope.READ


def create_api_token(email: str, name: str, event: Event | None = None,
                     days: int = DEFAULT_TOKEN_DAYS, now: datetime | None = None,
                     scope: str = TokenScope.READ) -> tuple[ApiToken, str]:
    """Create an API token for the organizer ``email``; returns the row and the secret.

    The token carries its owner's access, narrowed to ``event`` when one is given, and stops
    working after ``days``. Its ``scope`` says what it may do (``read``, ``write``, ``checkin``);
    a ``checkin`` account's tokens are ``checkin`` only. Only the SHA-256 of the secret is
    stored: the secret is shown once, to whoever created it.
    """
    organizer = find_organizer(email)
    if organizer is None:
        raise OrganizerError(f"No organizer has the address {normalize_email(email)}.")
    if scope not in set(TokenScope):
        raise OrganizerError(f"{scope} is not a scope; use read, write or checkin.")
    if organizer.role == OrganizerRole.CHECKIN and scope != TokenScope.CHECKIN:
        raise OrganizerError(f"{organizer.email} is a check-in account: its tokens can only have the scope checkin.",
                             code="checkin_account_scope")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise OrganizerError(f"A token lives between 1 and {MAX_TOKEN_DAYS} days.")
    name = (name or "").strip()[:100] or "API"
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(organizer=organizer, name=name, token_hash=hash_api_token(secret),
                     prefix=secret[:12], event_id=event.id if event is not None else None, scope=scope,
                     expires_at=(now or utcnow()) + timedelta(days=days))
    with transaction():
        db.session.add(token)
    return token, secret


def token_for_secret(secret: str | None, now: datetime | None = None) -> ApiToken | None:
    """The live API token with this secret (not revoked, not expired); notes when it was used."""
    if not secret:
        return None
    now = now or utcnow()
    token = db.session.scalar(
        select(ApiToken).join(Organizer, ApiToken.organizer_id == Organizer.id)
        .where(ApiToken.token_hash == hash_api_token(secret), ApiToken.revoked_at.is_(None),
               ApiToken.expires_at > now, Organizer.disabled_at.is_(None))
        .options(joinedload(ApiToken.organizer))  # every caller asks for its owner next
    )
    if token is None:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        with transaction():
            token.last_used_at = now
    return token


def revoke_api_token(organizer: Organizer, token_id: int) -> bool:
    """Revoke one of the organizer's own tokens; returns whether it was theirs and live."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.organizer_id != organizer.id or token.revoked_at is not None:
        return False
    with transaction():
        token.revoked_at = utcnow()
    return True


def tokens_of(organizer: Organizer) -> list[ApiToken]:
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.organizer_id == organizer.id).order_by(ApiToken.created_at.desc())
    ))
