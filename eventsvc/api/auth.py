"""Who is calling the API: an organizer's token (``Authorization: Bearer …``) and its scope, or
for the door's routes also the organizer's login session.

Scopes (``api_tokens.scope``): ``read`` (every token made before scopes had them), ``write``
(``read`` and the API's writes), ``checkin`` (only the door's routes, :data:`CHECKIN_ENDPOINTS`,
of its owner's events; every other route is a 404 for it, the public ones too). Routes say what
they need with :func:`require_scope` (token only) or :func:`token_or_session` (the door).
A missing, wrong, expired or revoked token is a 401 with ``WWW-Authenticate``; a token whose
scope does not reach a route is a 403 (``insufficient_scope``, RFC 6750), a ``checkin`` one a 404.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError

from ..models import ApiToken, OrganizerRole, TokenScope
from ..services.access import event_ids_of, token_event_ids
from ..services.organizers import token_for_secret
from .blueprint import bp

#: What each scope may do: a ``write`` token reads too; ``checkin`` is a world of its own.
SCOPE_GRANTS = {TokenScope.READ: {"read"}, TokenScope.WRITE: {"read", "write"}, TokenScope.CHECKIN: {"checkin"}}
#: The only API routes a ``checkin`` token reaches (``registrations`` only with ``?q=``).
#: Routes that write: a ``checkin`` token gets 403 there, as a ``read`` one does.
WRITE_ENDPOINTS = {"api.put_event", "api.cancel_registration"}
CHECKIN_ENDPOINTS = {"api.checkin_list", "api.record_checkins", "api.list_registrations", "api.checkin_stats"}
#: Roles that may register walk-ins and take check-ins back.
ORGANIZING_ROLES = (OrganizerRole.ADMIN, OrganizerRole.ORGANIZER)


_TOKEN_KEY = "eventsvc.api_token"


class _NoToken:
    """Marks a request that presented no Authorization header at all."""


def _presented_token() -> str | None | type[_NoToken]:
    header = request.headers.get("Authorization")
    if header is None:
        return _NoToken
    scheme, _sep, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip() or "\x00" in secret:
        return None
    return secret.strip()


def presented_api_token() -> ApiToken | None:
    """The live token of this request, looked up once per request (``None``: none or not live)."""
    # Kept with the request, not in ``g``: an app context (and its ``g``) can outlive a request.
    if _TOKEN_KEY not in request.environ:
        secret = _presented_token()
        request.environ[_TOKEN_KEY] = token_for_secret(secret) if isinstance(secret, str) else None
    return request.environ[_TOKEN_KEY]


def unauthorized(message: str, invalid: bool):
    challenge = 'Bearer realm="eventsvc"'
    if invalid:
        challenge += ', error="invalid_token"'
    response = jsonify(error="unauthorized", message=message)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = challenge
    response.headers["Cache-Control"] = "no-store"
    return response


def not_found():
    return jsonify(error="not_found", message=_("There is no such event.")), 404


def authenticate(required: bool):
    """Find the organizer of the presented token; returns a 401 response when it will not do.

    A token that is presented but wrong is refused even where none is required: a client with
    a broken token should learn so, not quietly get less. Sets ``g.api_token`` (``None`` when no
    token was presented) and ``g.api_event_ids``.
    """
    secret = _presented_token()
    if secret is _NoToken:
        g.api_token = None
        return unauthorized("An organizer API token is required.", invalid=False) if required else None
    token = presented_api_token()
    if token is None:
        return unauthorized("The API token is missing, wrong, expired or revoked.", invalid=True)
    g.api_token = token
    g.api_organizer = token.organizer
    g.api_event_ids = token_event_ids(token)
    return None


def scope_allows(scope: str, needs: tuple[str, ...]) -> bool:
    return bool(SCOPE_GRANTS.get(scope, set()) & set(needs))


def _insufficient_scope():
    response = jsonify(error="insufficient_scope", message="This token's scope does not reach this route.")
    response.status_code = 403
    response.headers["WWW-Authenticate"] = 'Bearer realm="eventsvc", error="insufficient_scope"'
    return response


def _check_token_scope(needs: tuple[str, ...]):
    refusal = authenticate(required=True)
    if refusal is not None:
        return refusal
    if not scope_allows(g.api_token.scope, needs):
        return not_found() if g.api_token.scope == TokenScope.CHECKIN else _insufficient_scope()
    return None


def require_scope(*needs: str):
    """Route decorator: a live token whose scope grants one of ``needs`` (``"read"``,
    ``"write"``, ``"checkin"``); sets ``g.api_token``, ``g.api_organizer``, ``g.api_event_ids``."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            refusal = _check_token_scope(needs)
            return refusal if refusal is not None else view(*args, **kwargs)
        return wrapped
    return decorator


def token_or_session(*needs: str, roles: tuple[str, ...] | None = None):
    """Route decorator of the door's routes: a token as :func:`require_scope`, or without an
    ``Authorization`` header the organizer's login session (a POST with the page's CSRF token in
    ``X-CSRFToken``). ``roles``: the account roles allowed (default every role); another role is
    a 404, as the organizer pages answer it."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if request.headers.get("Authorization") is not None or not current_user.is_authenticated:
                refusal = _check_token_scope(needs)
                if refusal is not None:
                    return refusal
            else:
                refusal = _check_session()
                if refusal is not None:
                    return refusal
                g.api_token = None
                g.api_organizer = current_user._get_current_object()
                g.api_event_ids = event_ids_of(g.api_organizer)
            if roles is not None and g.api_organizer.role not in roles:
                return not_found()
            return view(*args, **kwargs)
        return wrapped
    return decorator


def _check_session():
    """A session's writes need the CSRF token of the page (Flask-WTF's, in ``X-CSRFToken``)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return None
    try:
        validate_csrf(request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token"))
    except (ValidationError, CSRFError):
        return jsonify(error="csrf", message=_("This page has expired: please reload it and try again.")), 400
    return None


@bp.before_request
def keep_checkin_tokens_at_the_door():
    """A ``checkin`` token reaches the door's routes and nothing else: 404, as for an unknown route."""
    if request.headers.get("Authorization") is None:
        return None
    token = presented_api_token()
    if token is not None and token.scope == TokenScope.CHECKIN and request.endpoint not in CHECKIN_ENDPOINTS:
        return _insufficient_scope() if request.endpoint in WRITE_ENDPOINTS else not_found()
    return None
