"""CSRF protection for the registration form embedded on other sites, without any cookie.

In an iframe on another site, a browser that blocks third-party cookies (Safari by default,
chromium when told to) neither sends nor stores this site's cookies, partitioned ones included:
the session and Flask-WTF's CSRF token do not reach the form. The embedded form is protected
instead by

- a token in the form itself, signed with a key derived from ``SECRET_KEY``, bound to the
  event's slug and valid for :data:`TOKEN_SECONDS`: a form cannot be posted without having been
  fetched lately, for this event;
- the request's ``Origin`` (or, from an old browser, its ``Referer``): the form inside the
  iframe posts from this site's own origin, and a page of any other site that is not in
  ``EMBED_ORIGINS`` cannot post it in a visitor's name.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

#: How long a fetched embedded form may be sent: long enough to fill it in at leisure.
TOKEN_SECONDS = 2 * 3600
#: The form field that carries the token.
TOKEN_FIELD = "embed_token"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="eventsvc embedded form")


def new_token(slug: str) -> str:
    """A token for the embedded form of the event ``slug``."""
    return _serializer().dumps({"event": slug})


def token_valid(token: str | None, slug: str) -> bool:
    """Whether ``token`` was made here for ``slug`` less than :data:`TOKEN_SECONDS` ago."""
    if not token:
        return False
    try:
        data = _serializer().loads(token, max_age=TOKEN_SECONDS)
    except (SignatureExpired, BadSignature):
        return False
    return isinstance(data, dict) and data.get("event") == slug


def origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` of ``url`` as a browser writes an origin, or ``None``."""
    if not url:
        return None
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port not in (None, default) else "")


def allowed_origins() -> set[str]:
    """This site (as ``BASE_URL`` names it and as the request reached it) and ``EMBED_ORIGINS``."""
    own = {origin_of(current_app.config["BASE_URL"]), origin_of(request.host_url)}
    return {origin for origin in own if origin} | set(current_app.config["EMBED_ORIGINS"])


def request_origin_allowed() -> bool:
    """Whether the POST comes from this site or an embedding site (``Origin``, else ``Referer``).

    A request that names neither is refused: every browser sends ``Origin`` on a form's POST.
    """
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        origin = origin_of(request.headers.get("Referer"))
    return origin in allowed_origins()


def parent_origin(value: str | None) -> str | None:
    """The embedding page's origin from ``?parent=``, when it is one that may embed the form; the
    frame tells only that origin its height."""
    origin = origin_of(value)
    return origin if origin in current_app.config["EMBED_ORIGINS"] else None
