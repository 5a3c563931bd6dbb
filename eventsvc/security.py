"""What every response says to the browser about safety, and the app behind a TLS proxy.

- A Content-Security-Policy that allows scripts, styles and images only from this site (the
  templates carry no inline script or style: they live in ``eventsvc/static``), no plugins, no
  framing by any other page (``frame-ancestors 'none'``, and ``X-Frame-Options`` for old
  browsers), forms that post only here.
- The registration form for other sites (``/events/<slug>/embed``) alone may be framed, and only
  by the origins of ``EMBED_ORIGINS`` (``frame-ancestors``; no ``X-Frame-Options`` there, which
  cannot name origins).
- ``X-Content-Type-Options: nosniff``.
- ``Referrer-Policy: same-origin``: the registrant's private link never reaches another site in
  a Referer, while this site's own forms still send one (Flask-WTF requires a same-origin
  Referer on HTTPS for its CSRF check).
- ``Strict-Transport-Security`` when ``BASE_URL`` is https.
- Behind a proxy, ``PROXY_FIX_X_FOR`` and ``PROXY_FIX_X_PROTO`` (how many proxies to trust)
  let Werkzeug's ProxyFix take the client's address and scheme from X-Forwarded-For/-Proto, so
  rate limits count clients, not the proxy, and Flask knows a request came over HTTPS.
"""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, abort, current_app, request
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.serializer import Serializer
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
#: Endpoints whose pages other sites (``EMBED_ORIGINS``) may show in an iframe.
EMBEDDABLE_ENDPOINTS = {"public.embed"}
#: One year; browsers remember to use HTTPS only for this long.
HSTS = "max-age=31536000"


def add_security_headers(app: Flask):
    hsts = app.config["BASE_URL"].startswith("https://")
    ancestors = " ".join(app.config.get("EMBED_ORIGINS") or []) or "'none'"
    embeddable_policy = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", f"frame-ancestors {ancestors}")

    def headers(response):
        if request.endpoint in EMBEDDABLE_ENDPOINTS:
            response.headers.setdefault("Content-Security-Policy", embeddable_policy)
        else:
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    return headers


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that a body nested too deeply for the parser is bad input.

    Flask turns a ``ValueError`` from the parser into a 400 (or ``None`` with ``silent=True``);
    the ``RecursionError`` of ``[[[[…]]]]`` would otherwise be a 500.
    """

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError as error:
            raise ValueError("JSON nested too deeply") from error


class _UncompressedSerializer(URLSafeTimedSerializer):
    """itsdangerous' URL-safe serializer, without trying zlib first: a session here holds a CSRF
    token and a word or two, which compression barely shortens, while setting zlib up costs more
    than the rest of the signing. Cookies it reads may still be compressed (older ones are)."""

    def dump_payload(self, obj) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed cookie session, with its signing serializer built once per set of keys
    (Flask builds one per request) and no compression."""

    def get_signing_serializer(self, app: Flask):
        if not app.secret_key:
            return None
        keys = (*(app.config.get("SECRET_KEY_FALLBACKS") or ()), app.secret_key)  # the current key last
        return _signing_serializer(keys, self.salt)


@lru_cache(maxsize=8)
def _signing_serializer(keys: tuple, salt: str) -> URLSafeTimedSerializer:
    interface = SecureCookieSessionInterface
    return _UncompressedSerializer(list(keys), salt=salt, serializer=interface.serializer, signer_kwargs={
        "key_derivation": interface.key_derivation, "digest_method": interface.digest_method})


def refuse_json_outside_the_api():
    """The pages' forms take form data; Flask-WTF would read a JSON body as the form's fields and
    fail on one that is not an object (a 500): anything but the API answers a JSON body with 400,
    except the few views marked ``accepts_json`` (the passkey ceremonies, which read it themselves)."""
    if request.method != "GET" and request.is_json and request.blueprint != "api":
        view = current_app.view_functions.get(request.endpoint or "")
        if not getattr(view, "accepts_json", False):
            abort(400)


def init_app(app: Flask) -> None:
    app.json = JSONProvider(app)
    app.session_interface = SessionCookies()
    app.before_request(refuse_json_outside_the_api)
    app.after_request(add_security_headers(app))
    x_for, x_proto = app.config["PROXY_FIX_X_FOR"], app.config["PROXY_FIX_X_PROTO"]
    if x_for or x_proto:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=x_for, x_proto=x_proto)
