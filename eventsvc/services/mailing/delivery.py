"""Where each mail goes and how fast: relays per recipient domain, hourly caps, VERP, DKIM.

Read once from the settings by :func:`load` (``create_app`` calls it through
:func:`eventsvc.services.mailing.init_app`), so a malformed ``MAIL_ROUTES``,
``MAIL_RATE_LIMITS`` or DKIM key stops the app at start with a message naming the entry.

``MAIL_ROUTES``: entries separated by ``;``, each ``domain domain …=URL`` with ``smtp://``
(plain, ``?starttls=1`` for STARTTLS) or ``smtps://`` (TLS from the first byte), user and
password in the URL. A domain also matches its subdomains. Mail to other domains goes through
``MAIL_SERVER``.

``MAIL_RATE_LIMITS``: entries separated by ``;``, each ``domain=N/h`` (or ``/m``, ``/d``);
``*=N/h`` caps every other domain, each on its own. Mail over a cap waits in the outbox.

TLS (``smtps://``, ``?starttls=1``, ``MAIL_USE_SSL``, ``MAIL_USE_TLS``) is verified against the
system's CA store and the relay's host name; ``MAIL_CA_FILE`` (a PEM bundle) adds a private CA for
``MAIL_SERVER`` and every route. Without a check, anyone on the path to a relay could pose as it
and collect its password and every registrant's private link.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import ssl
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app

_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$")
_RATE = re.compile(r"^(\d{1,9})\s*/\s*(h|m|d)$")
_WINDOWS = {"h": timedelta(hours=1), "m": timedelta(minutes=1), "d": timedelta(days=1)}
_WINDOW_WORDS = {"h": "hourly", "m": "per-minute", "d": "daily"}


class MailSettingError(ValueError):
    """A mail setting cannot be used; the message names the setting and the entry."""


@dataclass(frozen=True)
class Relay:
    """An SMTP server to hand mail to."""

    host: str
    port: int
    ssl: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """How the mail log names it: ``host:port`` (never the password)."""
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Cap:
    """At most ``limit`` mails per ``window`` to one domain, all workers together."""

    limit: int
    window: timedelta
    words: str

    def waiting_reason(self, key: str) -> str:
        return f"waiting: {self.words} limit for {key}"


@dataclass(frozen=True)
class DeliverySettings:
    #: SMTP connections a worker opens at once to one relay (``MAIL_CONNECTIONS_PER_RELAY``).
    connections_per_relay: int = 1
    routes: tuple[tuple[str, Relay], ...] = ()
    caps: dict[str, Cap] = field(default_factory=dict)
    bounce_address: str | None = None
    #: selector, domain, private key (PEM); left out of the repr so that no log shows the key.
    dkim: tuple[bytes, bytes, bytes] | None = field(default=None, repr=False)
    #: ``MAIL_CA_FILE``: the CAs a relay's certificate may be signed by besides the system's.
    ca_file: str | None = None

    @cached_property
    def tls(self) -> ssl.SSLContext:
        """How every TLS connection to a relay checks the certificate and the host name, made at
        the first one: the system's CA store costs a process 1.3 MB, and only a sending worker
        needs it (``MAIL_CA_FILE`` itself is checked at start, by :func:`load`)."""
        return tls_context(self.ca_file)


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().lower().rstrip(".")


def _matches(domain: str, pattern: str) -> bool:
    return domain == pattern or domain.endswith("." + pattern)


def without_password(url: str) -> str:
    """``smtp://user:***@relay:587``: a relay URL as an error message or a log may show it."""
    scheme, sep, rest = url.strip().partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return url.strip()
    return f"{scheme}{sep}{userinfo.partition(':')[0]}:***@{host}"


def _relay_from_url(url: str, where: str) -> Relay:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailSettingError(f"{where}: use smtp://host:port or smtps://host:port, not {without_password(url)!r}")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise MailSettingError(f"{where}: the port is not a number") from None
    query = parse_qs(parts.query)
    unknown = sorted(set(query) - {"starttls"})
    if unknown:
        raise MailSettingError(f"{where}: unknown option {unknown[0]!r} (only starttls=1)")
    starttls = query.get("starttls", ["0"])[-1] in ("1", "true", "yes")
    if starttls and parts.scheme == "smtps":
        raise MailSettingError(f"{where}: smtps:// is TLS already; starttls=1 is for smtp://")
    return Relay(host=parts.hostname, port=port, ssl=parts.scheme == "smtps", starttls=starttls,
                 username=unquote(parts.username) if parts.username else None,
                 password=unquote(parts.password) if parts.password else None)


def parse_routes(text: str) -> tuple[tuple[str, Relay], ...]:
    """``MAIL_ROUTES`` as (domain, relay) pairs, the longest domain first (subdomains win)."""
    pairs = []
    for number, entry in enumerate(filter(None, (e.strip() for e in (text or "").split(";"))), start=1):
        where = f"MAIL_ROUTES entry {number} ({without_password(entry.split('=', 1)[0])})"
        domains, equals, url = entry.partition("=")
        if not equals or not domains.split():
            raise MailSettingError(f"{where}: write the domains, then =smtp://host:port")
        relay = _relay_from_url(url, where)
        for domain in domains.lower().split():
            if not _DOMAIN.match(domain):
                raise MailSettingError(f"{where}: {domain!r} is not a domain name")
            pairs.append((domain, relay))
    return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))


def parse_caps(text: str) -> dict[str, Cap]:
    """``MAIL_RATE_LIMITS`` as {domain or "*": Cap}."""
    caps = {}
    for number, entry in enumerate(filter(None, (e.strip() for e in (text or "").split(";"))), start=1):
        domain, equals, rate = (part.strip() for part in entry.partition("="))
        where = f"MAIL_RATE_LIMITS entry {number} ({domain or entry})"
        match = _RATE.match(rate.lower())
        if not equals or not match:
            raise MailSettingError(f"{where}: write domain=N/h, e.g. qq.com=300/h")
        if domain != "*" and not _DOMAIN.match(domain.lower()):
            raise MailSettingError(f"{where}: {domain!r} is not a domain name (or * for any other)")
        limit, unit = int(match.group(1)), match.group(2)
        if limit < 1:
            raise MailSettingError(f"{where}: the limit must be at least 1")
        caps[domain.lower()] = Cap(limit, _WINDOWS[unit], _WINDOW_WORDS[unit])
    return caps


def _read_dkim(app: Flask) -> tuple[bytes, bytes, bytes] | None:
    config = app.config
    names = ("DKIM_DOMAIN", "DKIM_SELECTOR", "DKIM_PRIVATE_KEY_FILE")
    given = [name for name in names if config.get(name)]
    if not given:
        return None
    if len(given) != len(names):
        missing = ", ".join(name for name in names if name not in given)
        raise MailSettingError(f"DKIM signing needs {', '.join(names)}; missing: {missing}")
    path = Path(config["DKIM_PRIVATE_KEY_FILE"])
    try:
        key = path.read_bytes()
    except OSError as error:
        raise MailSettingError(f"DKIM_PRIVATE_KEY_FILE: cannot read {path}: {error.strerror}") from None
    # Imported only when DKIM is configured: dkimpy and dnspython cost a process 14 MB.
    from dkim.crypto import UnparsableKeyError, parse_pem_private_key

    try:
        parse_pem_private_key(key)
    except UnparsableKeyError:
        raise MailSettingError(f"DKIM_PRIVATE_KEY_FILE: {path} holds no unencrypted PEM private key") from None
    return config["DKIM_SELECTOR"].encode(), config["DKIM_DOMAIN"].encode(), key


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """The system's CA store plus the CAs of ``MAIL_CA_FILE``, host names checked."""
    context = ssl.create_default_context()
    if ca_file:
        _trust(context, ca_file)
    return context


def _trust(context: ssl.SSLContext, ca_file: str) -> None:
    """Add the CAs of ``MAIL_CA_FILE`` to ``context``, or :class:`MailSettingError` naming it."""
    try:
        context.load_verify_locations(cafile=ca_file)
    except FileNotFoundError:
        raise MailSettingError(f"MAIL_CA_FILE: cannot read {ca_file}: no such file") from None
    except (OSError, ssl.SSLError) as error:
        raise MailSettingError(
            f"MAIL_CA_FILE: {ca_file} holds no PEM certificate ({getattr(error, 'reason', None) or error})"
        ) from None


def load(app: Flask) -> DeliverySettings:
    """Parse the delivery settings of ``app``; raises :class:`MailSettingError` naming the entry."""
    bounce = (app.config.get("MAIL_BOUNCE_ADDRESS") or "").strip() or None
    if bounce and (bounce.count("@") != 1 or not _DOMAIN.match(_domain_of(bounce))):
        raise MailSettingError(f"MAIL_BOUNCE_ADDRESS: {bounce!r} is not an address like bounces@events.example.org")
    connections = str(app.config.get("MAIL_CONNECTIONS_PER_RELAY", 1)).strip()
    if not connections.isdigit() or not 1 <= int(connections) <= 20:
        raise MailSettingError(f"MAIL_CONNECTIONS_PER_RELAY: {connections!r} is not a number from 1 to 20")
    ca_file = (app.config.get("MAIL_CA_FILE") or "").strip() or None
    if ca_file:
        _trust(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), ca_file)  # only the file: the system's store waits
    return DeliverySettings(
        connections_per_relay=int(connections),
        routes=parse_routes(app.config.get("MAIL_ROUTES", "")),
        caps=parse_caps(app.config.get("MAIL_RATE_LIMITS", "")),
        bounce_address=bounce,
        dkim=_read_dkim(app),
        ca_file=ca_file,
    )


def settings() -> DeliverySettings:
    return current_app.extensions["eventsvc.delivery"]


def default_relay() -> Relay:
    """``MAIL_SERVER`` and its Flask-Mail settings."""
    config = current_app.config
    return Relay(host=config["MAIL_SERVER"], port=int(config["MAIL_PORT"]), ssl=bool(config["MAIL_USE_SSL"]),
                 starttls=bool(config["MAIL_USE_TLS"]), username=config.get("MAIL_USERNAME"),
                 password=config.get("MAIL_PASSWORD"))


def relay_for(address: str) -> Relay:
    """The relay for mail to ``address``: its domain's route, else ``MAIL_SERVER``."""
    domain = _domain_of(address)
    for pattern, relay in settings().routes:
        if _matches(domain, pattern):
            return relay
    return default_relay()


def cap_for(address: str) -> tuple[str, Cap] | None:
    """The cap that counts mail to ``address``: (the key it is counted under, the cap)."""
    caps = settings().caps
    domain = _domain_of(address)
    for pattern in sorted((p for p in caps if p != "*"), key=len, reverse=True):
        if _matches(domain, pattern):
            return pattern, caps[pattern]
    if "*" in caps:
        return domain, caps["*"]
    return None


def _signature(mail_id: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"bounce:{mail_id}".encode(), hashlib.sha256).hexdigest()[:16]


def envelope_sender(mail_id: int) -> str | None:
    """The VERP envelope sender ``bounces+<id>-<signature>@domain``, or None without VERP."""
    bounce = settings().bounce_address
    if bounce is None:
        return None
    local, _, domain = bounce.partition("@")
    return f"{local}+{mail_id}-{_signature(mail_id)}@{domain}"


def mail_id_from_bounce_address(address: str) -> int | None:
    """The outbox id a VERP address names, or None when it is not one of ours (or forged)."""
    bounce = settings().bounce_address
    if bounce is None:
        return None
    local, _, domain = address.strip().strip("<>").rpartition("@")
    base_local, _, base_domain = bounce.partition("@")
    if domain.lower() != base_domain.lower() or not local.lower().startswith(base_local.lower() + "+"):
        return None
    number, dash, signature = local[len(base_local) + 1:].partition("-")
    if not dash or not number.isdigit() or len(number) > 18:
        return None
    if not hmac.compare_digest(signature.lower(), _signature(int(number))):
        return None
    return int(number)
