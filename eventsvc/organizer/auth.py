"""Loading the logged-in organizer for Flask-Login, and the server's half of each session."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, g, session
from flask_babel import get_locale
from flask_login import login_user, logout_user

from ..models import Organizer
from ..services import sign_ins
from ..services.organizers import organizer_by_id, remember_language

#: Where the session cookie keeps the key of its row in ``organizer_sign_ins``.
SESSION_KEY = "organizer_session"


def load_organizer(user_id: str) -> Organizer | None:
    """Flask-Login's user loader, run on every request that asks who is logged in.

    The session names the account and the session version it was made under (``"7.3"``); it is
    taken only while the account is enabled, the version is current (a password change, a disable
    or "log out everywhere" raises it) and the session's own row is live and not idle too long.
    """
    organizer_id, _dot, version = (user_id or "").partition(".")
    organizer = organizer_by_id(organizer_id)
    if organizer is None:
        return None
    if organizer.disabled_at is not None:
        g.account_disabled = True  # the login page says why, not just "please log in"
        return None
    if not version.isdigit() or int(version) != organizer.session_version:
        return None
    idle = timedelta(minutes=current_app.config["ORGANIZER_SESSION_IDLE_MINUTES"])
    if not sign_ins.session_is_live(organizer, session.get(SESSION_KEY), idle):
        return None
    return organizer


def forget_previous_user() -> None:
    """Look the organizer up afresh on each request.

    Flask-Login caches the user on ``g``, and a request reuses an app context that is already
    pushed (tests, scripts): without this, one browser's login or logout would leak into the
    next request of another.
    """
    g.pop("_login_user", None)


def begin_session(organizer: Organizer, address: str) -> None:
    """Log ``organizer`` in on this browser: a new session row and a fresh session cookie."""
    session.clear()
    # Flask-WTF keeps this request's CSRF token on ``g``; it went with the old session.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    key = sign_ins.start_session(organizer, address)
    remember_language(organizer, str(get_locale() or "en"))
    login_user(organizer)
    session[SESSION_KEY] = key


def end_session() -> None:
    """Log this browser out, ending its session on the server too."""
    sign_ins.end_session(session.get(SESSION_KEY))
    logout_user()
    session.pop(SESSION_KEY, None)
