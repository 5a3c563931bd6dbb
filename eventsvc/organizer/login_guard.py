"""Slow down password guessing without ever locking an organizer out (OWASP's "device cookies").

A browser that has signed in to an account before holds a signed *device cookie* naming it. The
right password from such a browser always gets through, however many failures came from
elsewhere; its own failures count against that one browser (``device``), which then loses the
privilege for a while. Every other attempt is *untrusted*: its failures count per client address
(``address``) and per account (``account``). Past the address limit that address waits a growing
delay between attempts; past either limit each untrusted attempt must carry a solved
proof-of-work challenge (:mod:`eventsvc.proof_of_work`, the same as the registration form's).
Nothing here refuses the owner for long: a new browser solves a challenge, a known one goes in.

The limits are the setting ``LOGIN_LIMITS`` (Flask-Limiter's notation, ``;``-separated
``scope=limit``); the counts live in Flask-Limiter's storage, so every process agrees.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from flask import Flask, current_app, request
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeSerializer
from limits import RateLimitItem, parse

from .. import proof_of_work
from ..config import SettingError
from ..web_extensions import limiter
from ..models import Organizer

DEVICE_COOKIE = "organizer_device"
#: How long a browser stays known to an account after its last sign-in there.
DEVICE_DAYS = 365
#: Accounts one browser remembers (a shared office computer may serve a few).
DEVICE_ACCOUNTS = 10
SCOPES = ("address", "account", "device")
#: The longest wait between two attempts from an address past its limit.
MAX_DELAY_SECONDS = 300


def parse_login_limits(text: str) -> dict[str, RateLimitItem]:
    """``"address=5/15 minutes;account=50/day"`` as limits per scope; a malformed one raises
    :class:`SettingError` naming ``LOGIN_LIMITS`` (the app does not start)."""
    limits: dict[str, RateLimitItem] = {}
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        scope, equals, limit = part.partition("=")
        scope = scope.strip()
        if not equals or scope not in SCOPES:
            raise SettingError(f"LOGIN_LIMITS: {part.strip()!r} is not scope=limit with a scope of "
                               f"{', '.join(SCOPES)} (e.g. address=5/15 minutes)")
        try:
            limits[scope] = parse(limit.strip())
        except ValueError:
            raise SettingError(f"LOGIN_LIMITS: {limit.strip()!r} is not a limit in Flask-Limiter's notation "
                               "(e.g. 5/15 minutes, 50/day)") from None
    missing = [scope for scope in SCOPES if scope not in limits]
    if missing:
        raise SettingError(f"LOGIN_LIMITS: give a limit for {', '.join(missing)} too")
    return limits


def init_app(app: Flask) -> None:
    """Read ``LOGIN_LIMITS`` now, so a malformed value stops the app at start."""
    app.extensions["eventsvc.login_limits"] = parse_login_limits(app.config["LOGIN_LIMITS"])


def _limits() -> dict[str, RateLimitItem]:
    return current_app.extensions["eventsvc.login_limits"]


def _active() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED")) and limiter.enabled


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="eventsvc organizer device")


def _devices() -> dict[int, str]:
    """The accounts this browser has signed in to, with the browser's nonce for each."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw or len(raw) > 4000:
        return {}
    try:
        entries = _serializer().loads(raw)
    except BadSignature:
        return {}
    if not isinstance(entries, list):
        return {}
    return {entry[0]: entry[1] for entry in entries
            if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], int) and isinstance(entry[1], str)}


@dataclass
class Attempt:
    """One login attempt's standing: whether it comes from a known browser, and what it must do."""

    organizer: Organizer | None
    email: str
    address: str
    device: str | None

    @property
    def trusted(self) -> bool:
        return self.device is not None

    def _keys(self) -> dict[str, str]:
        return {"address": self.address, "account": self.email, "device": self.device or ""}

    def over(self, scope: str) -> bool:
        return not limiter.limiter.test(_limits()[scope], "organizer-login", scope, self._keys()[scope])

    def wait_seconds(self) -> int:
        """How long this address must still wait before its next attempt counts (0: none)."""
        if not _active() or self.trusted:
            return 0
        key = f"organizer-login-wait:{self.address}"
        if limiter.storage.get(key) <= 0:
            return 0
        return max(1, int(limiter.storage.get_expiry(key) - time.time()))

    def needs_challenge(self) -> bool:
        """Untrusted attempts past the address or the account limit must solve a challenge."""
        return _active() and not self.trusted and (self.over("address") or self.over("account"))

    def failed(self) -> None:
        """Count a failure: against this browser when it is known, else the address and account;
        an address past its limit waits longer after each further failure."""
        if not _active():
            return
        if self.trusted:
            limiter.limiter.hit(_limits()["device"], "organizer-login", "device", self.device)
            return
        already_over = self.over("address")
        for scope in ("address", "account"):
            limiter.limiter.hit(_limits()[scope], "organizer-login", scope, self._keys()[scope])
        if already_over:
            window = _limits()["address"].get_expiry()
            excess = limiter.storage.incr(f"organizer-login-excess:{self.address}", window)
            wait_key = f"organizer-login-wait:{self.address}"
            limiter.storage.clear(wait_key)
            limiter.storage.incr(wait_key, min(2 ** min(excess, 16), MAX_DELAY_SECONDS))


def attempt_for(email: str, organizer: Organizer | None) -> Attempt:
    """The standing of a login attempt for ``email`` from this request's browser and address."""
    device = None
    if organizer is not None:
        nonce = _devices().get(organizer.id)
        if nonce is not None:
            device = nonce
    attempt = Attempt(organizer=organizer, email=email, address=get_remote_address(), device=device)
    if attempt.trusted and _active() and attempt.over("device"):
        attempt.device = None  # a known browser that keeps guessing is treated like any other
    return attempt


def challenge_solved(payload: str | None) -> bool:
    return proof_of_work.accept(payload)


def remember_device(response, organizer: Organizer):
    """After a sign-in, mark this browser as known to ``organizer`` (a signed, long-lived cookie)."""
    devices = _devices()
    devices.setdefault(organizer.id, secrets.token_urlsafe(16))
    entries = [[organizer_id, nonce] for organizer_id, nonce in devices.items()][-DEVICE_ACCOUNTS:]
    response.set_cookie(DEVICE_COOKIE, _serializer().dumps(entries), max_age=DEVICE_DAYS * 24 * 3600,
                        path="/organizer", httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
