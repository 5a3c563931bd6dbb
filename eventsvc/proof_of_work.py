"""A proof-of-work challenge for clients that register many times in a short while.

Nothing comes from Google or a CDN (neither works everywhere in mainland China): the challenge is
ALTCHA's (the ``altcha`` library, protocol v1), an HMAC-signed SHA-256 puzzle made here and
solved by ``static/altcha.js`` in the visitor's browser, about a second of work. A client's first
few registrations in :data:`WINDOW_SECONDS` need none; after that each one must carry a solved
challenge, and each solution counts once. The counts and the used solutions live in
Flask-Limiter's storage (Redis when ``RATELIMIT_STORAGE_URI`` names it), so every process agrees.
"""

from __future__ import annotations

import hashlib
import json
from base64 import b64decode
from datetime import datetime, timedelta, timezone

import altcha
from flask import current_app
from flask_limiter.util import get_remote_address

from .web_extensions import limiter

#: Registrations a client may make in the window before it must solve a challenge.
FREE_ATTEMPTS = 3
WINDOW_SECONDS = 600
#: The puzzle's size: the browser tries up to this many numbers (half of them on average).
MAX_NUMBER = 50_000
#: How long a challenge may be solved and used.
CHALLENGE_SECONDS = 600


def _key() -> str:
    # A key of its own, derived from SECRET_KEY: a challenge signature is no session signature.
    return hashlib.sha256(b"eventsvc proof of work|" + current_app.config["SECRET_KEY"].encode()).hexdigest()


def _active() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED")) and limiter.enabled


def required() -> bool:
    """Whether this client has registered so often lately that it must solve a challenge."""
    if not _active():
        return False
    count = limiter.storage.get(f"pow-attempts:{get_remote_address()}")
    return count >= FREE_ATTEMPTS


def count_attempt() -> None:
    """Note one registration attempt of this client (the window starts with its first)."""
    if _active():
        limiter.storage.incr(f"pow-attempts:{get_remote_address()}", WINDOW_SECONDS)


def new_challenge() -> dict:
    """A signed challenge, as the ALTCHA widget and ``static/altcha.js`` take it."""
    challenge = altcha.create_challenge_v1(altcha.ChallengeOptionsV1(
        hmac_key=_key(), max_number=MAX_NUMBER,
        expires=datetime.now(timezone.utc) + timedelta(seconds=CHALLENGE_SECONDS),
    ))
    return {"algorithm": challenge.algorithm, "challenge": challenge.challenge,
            "maxnumber": challenge.max_number, "salt": challenge.salt, "signature": challenge.signature}


def accept(payload: str | None) -> bool:
    """Whether ``payload`` (base64 JSON of the solution) solves a challenge of ours, once."""
    if not payload or len(payload) > 2000:
        return False
    try:
        signature = json.loads(b64decode(payload, validate=True)).get("signature")
        ok, _error = altcha.verify_solution_v1(payload, _key(), True)
    except (ValueError, TypeError, AttributeError, KeyError):
        return False
    if not ok or not isinstance(signature, str):
        return False
    # Each solution counts once, for as long as its challenge could be used.
    return limiter.storage.incr(f"pow-used:{signature}", CHALLENGE_SECONDS) == 1
