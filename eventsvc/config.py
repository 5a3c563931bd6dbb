"""Settings from the environment (and a ``.env`` file), with the embedded defaults.

Every setting a deployment may change is read here and only here. The defaults run the whole
service on one machine: SQLite and the Celery broker in ``instance/``, mail to the local SMTP
server that ``make run`` starts. Production sets ``DATABASE_URL``, ``CELERY_BROKER_URL`` and the
``MAIL_*`` settings (see the README's configuration table).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import load_dotenv
from kombu import Queue

#: Languages the service speaks, in the order of the language switcher.
LANGUAGES = ("en", "zh", "de")

_TRUE = {"1", "true", "yes", "on"}

#: Who runs the service, as the imprint, the privacy notice and every mail's footer name it:
#: OAV's details unless a deployment sets its own. The name as each language writes it.
DEFAULT_ORGANIZATION_NAME = {
    "en": "German Asia-Pacific Business Association (OAV)",
    "zh": "德国亚太经济协会（OAV）",
    "de": "OAV – German Asia-Pacific Business Association",
}
DEFAULT_ORGANIZATION_ADDRESS = {
    "en": "Bleichenbrücke 9\n20354 Hamburg\nGermany",
    "zh": "Bleichenbrücke 9\n20354 Hamburg\n德国",
    "de": "Bleichenbrücke 9\n20354 Hamburg\nDeutschland",
}
DEFAULT_PRIVACY_CONTACT = "oav@oav.de"

#: Registration attempts, on the form and the API alike (one count for both), in Flask-Limiter's
#: notation: per client and event (generous: a whole office may register 30 colleagues from
#: behind one address in an hour), per client over all events, and per address and event from
#: anywhere (nobody needs to sign one address up more often, and each attempt may mail it).
DEFAULT_REGISTRATION_LIMITS = "client_event=40/hour;client=100/hour;address_event=5/hour"


class SettingError(ValueError):
    """A setting cannot be used; the message names the setting and says what is expected."""


def parse_limits(name: str, text: str, defaults: str) -> dict[str, str]:
    """A ``scope=limit;…`` setting (``REGISTRATION_LIMITS``) as {scope: limit}, every scope of
    ``defaults`` present (those the setting leaves out keep their default).

    Each limit is Flask-Limiter's notation (``40/hour``, ``5 per 15 minutes``, or several joined
    by ``,``); raises :class:`SettingError` naming the setting and the entry.
    """
    from limits import parse_many  # Flask-Limiter's own parser: what it accepts, we accept

    def entries(value: str) -> dict[str, str]:
        result = {}
        for entry in filter(None, (part.strip() for part in (value or "").split(";"))):
            scope, equals, limit = (part.strip() for part in entry.partition("="))
            if not equals or not scope or not limit:
                raise SettingError(f"{name}: {entry!r} is not scope=limit, e.g. client_event=40/hour")
            result[scope] = limit
        return result

    limits = entries(defaults)
    for scope, limit in entries(text).items():
        if scope not in limits:
            raise SettingError(f"{name}: unknown scope {scope!r} (known: {', '.join(limits)})")
        try:
            items = parse_many(limit)
        except ValueError:
            items = []
        if not items or any(item.amount < 1 for item in items):
            raise SettingError(f"{name}: {scope}={limit!r} is not a limit like 40/hour or 5 per 15 minutes")
        limits[scope] = limit
    return limits


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in _TRUE


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def _minutes(name: str, default: int) -> int:
    """A positive whole number of minutes; anything else stops the app naming the setting."""
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    if not value.strip().isdigit() or int(value) < 1:
        raise SettingError(f"{name}: write a whole number of minutes, at least 1, not {value!r}")
    return int(value)


def _strict_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    if value.strip().lower() not in _TRUE | {"0", "false", "no", "off"}:
        raise SettingError(f"{name}: write true or false, not {value!r}")
    return value.strip().lower() in _TRUE


def _optional_hours(name: str) -> int | None:
    """A whole number of hours, or ``None`` when unset, empty or ``off``; anything else stops the
    app with a message naming the setting."""
    value = (os.environ.get(name) or "").strip().lower()
    if value in ("", "off", "0", "none"):
        return None
    if not value.isdigit() or not 0 < int(value) <= 24 * 365:
        raise ValueError(f"{name} must be a whole number of hours from 1 to 8760, or off; got {value!r}")
    return int(value)


def _translated(name: str, default):
    """A setting that may differ per language: a JSON object (``{"en": …, "zh": …}``) or one
    text for every language."""
    value = os.environ.get(name)
    if not value:
        return default
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    return parsed if isinstance(parsed, (dict, str)) else value


def parse_origins(name: str, value: str) -> list[str]:
    """``scheme://host[:port]`` web origins separated by spaces or commas, as browsers write them
    (lower case, no path, no trailing slash). A malformed entry raises, naming the setting."""
    origins = []
    for entry in value.replace(",", " ").split():
        parts = urlsplit(entry.rstrip("/"))
        try:
            port = parts.port
        except ValueError:
            port = None
            parts = parts._replace(netloc="")
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query \
                or parts.fragment or parts.username or parts.password:
            raise ValueError(f"{name}: {entry!r} is not an origin such as https://www.example.org "
                             "(scheme://host[:port], separated by spaces or commas)")
        default_port = {"http": 80, "https": 443}[parts.scheme]
        origins.append(f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port not in (None, default_port) else ""))
    return origins


def parse_seconds(name: str, value: str) -> list[int]:
    """Positive whole seconds separated by commas or spaces; anything else raises, naming the setting."""
    try:
        seconds = [int(part) for part in value.replace(",", " ").split()]
    except ValueError:
        seconds = [0]
    if any(second <= 0 for second in seconds):
        raise ValueError(f"{name}: {value!r} is not a list of seconds such as 30,300,1800")
    return seconds


def normalize_database_url(url: str) -> str:
    """Give a bare ``postgresql://`` or ``postgres://`` URL the driver this project installs.

    SQLAlchemy 2.1 reads a bare ``postgresql://`` as psycopg 3 while older releases read it as
    psycopg2; naming the driver makes the URL mean the same on every release.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_settings(instance_path: str) -> dict:
    """Read every setting from the environment, falling back to the embedded defaults."""
    load_dotenv(os.environ.get("EVENTSVC_DOTENV", ".env"), override=False)
    instance = Path(instance_path)
    base_url = os.environ.get("BASE_URL", "http://localhost:5000").rstrip("/")
    #: Prefix of the Celery queue names, so that test workers sharing one Redis never take each
    #: other's tasks (empty in production: the queues are ``default`` and ``mail``).
    queue_prefix = os.environ.get("CELERY_QUEUE_PREFIX", "")
    broker_url = os.environ.get("CELERY_BROKER_URL", f"sqla+sqlite:///{instance / 'celery-broker.sqlite'}")
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(
            os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'eventsvc.sqlite'}")
        ),
        # Idle connections are pinged before use, busy ones not (eventsvc/database.py).
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "BASE_URL": base_url,
        "PREFERRED_URL_SCHEME": urlsplit(base_url).scheme or "http",
        # Flask-Mail. MAIL_SUPPRESS_SEND is pinned off: Flask-Mail would otherwise turn it on
        # whenever TESTING is set, and the tests read real mail from a real SMTP server.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": _int("MAIL_PORT", 8025),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", f"OAV Events <events@{urlsplit(base_url).hostname or 'localhost'}>"
        ),
        "MAIL_SUPPRESS_SEND": False,
        #: Seconds an SMTP connect or command may take before the attempt counts as failed.
        "MAIL_TIMEOUT": _int("MAIL_TIMEOUT", 30),
        #: How many queued mails one worker claims and sends over one SMTP connection.
        "MAIL_BATCH_SIZE": _int("MAIL_BATCH_SIZE", 50),
        #: First retry delay in seconds; each further attempt doubles it (with jitter).
        "MAIL_RETRY_BASE_SECONDS": _int("MAIL_RETRY_BASE_SECONDS", 60),
        #: Longest wait between two attempts, however many came before.
        "MAIL_RETRY_MAX_SECONDS": _int("MAIL_RETRY_MAX_SECONDS", 1800),
        #: Attempts before a mail that keeps failing temporarily is marked failed.
        "MAIL_MAX_ATTEMPTS": _int("MAIL_MAX_ATTEMPTS", 8),
        #: Seconds a claimed mail may stay in "sending" before the sweeper takes it back.
        "MAIL_LEASE_SECONDS": _int("MAIL_LEASE_SECONDS", 300),
        #: SMTP connections one worker process opens at once to one relay (1: one after another).
        "MAIL_CONNECTIONS_PER_RELAY": os.environ.get("MAIL_CONNECTIONS_PER_RELAY", "1"),
        #: A PEM bundle of CAs trusted for MAIL_SERVER and every route, besides the system's store.
        "MAIL_CA_FILE": os.environ.get("MAIL_CA_FILE", ""),
        #: Relays per recipient domain: "qq.com 163.com=smtp://user:pass@relay-cn.example:587?starttls=1;…".
        "MAIL_ROUTES": os.environ.get("MAIL_ROUTES", ""),
        #: Caps per recipient domain, all workers together: "qq.com=300/h;*=3000/h".
        "MAIL_RATE_LIMITS": os.environ.get("MAIL_RATE_LIMITS", ""),
        #: Turns on VERP: each mail's envelope sender is bounces+<id>-<signature>@… of this address.
        "MAIL_BOUNCE_ADDRESS": os.environ.get("MAIL_BOUNCE_ADDRESS", ""),
        #: Where `python -m eventsvc.bounces` listens for bounces (SMTP/LMTP).
        "BOUNCE_PORT": _int("BOUNCE_PORT", 8026),
        #: DKIM signing of every mail: the domain (d=), the selector (s=) and the PEM key file.
        "DKIM_DOMAIN": os.environ.get("DKIM_DOMAIN", ""),
        "DKIM_SELECTOR": os.environ.get("DKIM_SELECTOR", ""),
        "DKIM_PRIVATE_KEY_FILE": os.environ.get("DKIM_PRIVATE_KEY_FILE", ""),
        # Celery, in the shape of Flask's "Background Tasks with Celery" pattern.
        "CELERY": {
            "broker_url": broker_url,
            "task_ignore_result": True,
            # The worker must import the task module to know the tasks (nothing else imports it).
            "imports": ["eventsvc.tasks"],
            "task_default_queue": f"{queue_prefix}default",
            # Every queue the app uses: a plain `celery -A worker worker` consumes them all, and
            # `-Q mail` still runs mail workers apart.
            "task_queues": [Queue(f"{queue_prefix}default"), Queue(f"{queue_prefix}mail")],
            "task_routes": {"eventsvc.send_mail": {"queue": f"{queue_prefix}mail"}},
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            # No Mingle or Gossip: they held up the first mail after a start (celery_consumer.py).
            "worker_consumer": "eventsvc.celery_consumer:QuietConsumer",
            "broker_connection_retry_on_startup": True,
            # A publish that cannot reach the broker gives up quickly: the outbox sweeper
            # re-enqueues the mail, so a registration never waits on a broker that is down.
            "broker_connection_timeout": 2,
            "task_publish_retry_policy": {
                "max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5,
            },
            # kombu's SQLAlchemy transport hands every transport option to create_engine(), which
            # refuses polling_interval: the embedded broker polls at kombu's default (1 s).
            "broker_transport_options": {} if broker_url.startswith("sqla+") else {"polling_interval": 0.5},
            "beat_schedule": {
                "sweep-outbox": {"task": "eventsvc.sweep_outbox", "schedule": 60.0},
                "sweep-webhooks": {"task": "eventsvc.sweep_webhooks", "schedule": 60.0},
                "send-reminders": {"task": "eventsvc.send_reminders", "schedule": 300.0},
                "purge-personal-data": {"task": "eventsvc.purge_personal_data", "schedule": 86400.0},
                # Does nothing unless FOLLOW_UP_AFTER_HOURS is set; safe to repeat (once per event).
                "send-follow-ups": {"task": "eventsvc.send_follow_ups", "schedule": 900.0},
            },
        },
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LANGUAGES": LANGUAGES,
        #: How many proxies in front of the app set X-Forwarded-For / X-Forwarded-Proto (Werkzeug's
        #: ProxyFix); 0, the default, trusts no such header (a client could forge it).
        "PROXY_FIX_X_FOR": _int("PROXY_FIX_X_FOR", 0),
        "PROXY_FIX_X_PROTO": _int("PROXY_FIX_X_PROTO", 0),
        #: A bearer token that lets Prometheus read GET /metrics (empty: no token works).
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", ""),
        #: Networks (CIDR, comma-separated) that may read GET /metrics without the token (empty: none).
        "METRICS_ALLOW_FROM": os.environ.get("METRICS_ALLOW_FROM", ""),
        #: text (the default) or json: one JSON object per line, with the request's id.
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text"),
        #: Where error reports go (sentry-sdk); empty: nowhere.
        "SENTRY_DSN": os.environ.get("SENTRY_DSN", ""),
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        #: Limits on registration attempts: scope=limit entries (client_event, client, address_event).
        "REGISTRATION_LIMITS": os.environ.get("REGISTRATION_LIMITS") or DEFAULT_REGISTRATION_LIMITS,
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": base_url.startswith("https://"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": base_url.startswith("https://"),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        #: Days after an event's end when its registrations are anonymised and their mail deleted
        #: (the privacy notice promises twelve months; beat runs the purge daily).
        "PRIVACY_RETENTION_DAYS": _int("PRIVACY_RETENTION_DAYS", 365),
        #: Hours after an event's end when beat sends the thank-you and missed-you mails (None: off,
        #: organizers send them with the button or `flask events follow-up`).
        "FOLLOW_UP_AFTER_HOURS": _optional_hours("FOLLOW_UP_AFTER_HOURS"),
        #: The version of the privacy notice that a registrant consents to; stored with the consent.
        "PRIVACY_NOTICE_VERSION": os.environ.get("PRIVACY_NOTICE_VERSION", "2019-03"),
        #: The organization's name per language (JSON object) or one name for all of them.
        "ORGANIZATION_NAME": _translated("ORGANIZATION_NAME", DEFAULT_ORGANIZATION_NAME),
        #: Its postal address (one, or one per language as JSON); "\n" between the lines.
        "ORGANIZATION_ADDRESS": _translated("ORGANIZATION_ADDRESS", DEFAULT_ORGANIZATION_ADDRESS),
        #: Where registrants turn with questions about their data (an address, usually a mail address).
        "PRIVACY_CONTACT": os.environ.get("PRIVACY_CONTACT", DEFAULT_PRIVACY_CONTACT),
        #: Sites that may show the registration form in an iframe (``/events/<slug>/embed``).
        "EMBED_ORIGINS": parse_origins("EMBED_ORIGINS", os.environ.get("EMBED_ORIGINS", "")),
        #: Webhook endpoints on private, loopback or link-local addresses (a test receiver).
        "WEBHOOK_ALLOW_PRIVATE": _flag("WEBHOOK_ALLOW_PRIVATE", False),
        #: Seconds between webhook attempts (empty: 30 s, 5 min, 30 min, 1 h, 2 h, 4 h, 8 h, 8 h, 8 h).
        "WEBHOOK_RETRY_SCHEDULE": parse_seconds("WEBHOOK_RETRY_SCHEDULE", os.environ.get("WEBHOOK_RETRY_SCHEDULE", "")),
        #: An organizer's session ends after this many minutes without a request.
        "ORGANIZER_SESSION_IDLE_MINUTES": _minutes("ORGANIZER_SESSION_IDLE_MINUTES", 720),
        #: How long a password-reset link works.
        "PASSWORD_RESET_MINUTES": _minutes("PASSWORD_RESET_MINUTES", 60),
        #: Every organizer account must enrol a second factor at its next login.
        "ORGANIZER_REQUIRE_2FA": _strict_flag("ORGANIZER_REQUIRE_2FA", False),
        #: Failed logins before a client must wait and solve a challenge: per address, per account
        #: (from browsers the account never signed in from), per trusted browser. Checked at start
        #: by eventsvc.organizer.login_guard.
        "LOGIN_LIMITS": os.environ.get("LOGIN_LIMITS", "address=5/15 minutes;account=50/day;device=10/15 minutes"),
    }
