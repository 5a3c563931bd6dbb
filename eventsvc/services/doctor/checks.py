"""``flask doctor``'s checks of the settings, the database, the broker and the rate limits.

The mail checks are in :mod:`.mail`; the package's ``run_checks`` runs them all.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from ...extensions import db
from ...web_extensions import limiter
from .. import health

OK, WARNING, ERROR, SKIPPED = "ok", "warning", "error", "skipped"

#: The shortest SECRET_KEY accepted: 32 characters of secrets.token_urlsafe carry 192 bits.
MIN_SECRET_LENGTH = 32
#: Different characters a random key of that length has (a typed word or a repeated one has fewer).
MIN_SECRET_DISTINCT = 12
_NEW_SECRET = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def secret_key_check() -> Check:
    """A short or guessable key lets anyone forge sessions, CSRF tokens and VERP addresses."""
    key = current_app.config.get("SECRET_KEY") or ""
    if len(key) < MIN_SECRET_LENGTH or len(set(key)) < MIN_SECRET_DISTINCT:
        return Check("secret_key", ERROR,
                     f"SECRET_KEY is too weak ({len(key)} characters, {len(set(key))} different): anyone who "
                     f"guesses it can forge organizer sessions. Set a random one of at least {MIN_SECRET_LENGTH} "
                     f"characters, e.g. the output of {_NEW_SECRET}.")
    return Check("secret_key", OK, f"SECRET_KEY is {len(key)} random-looking characters.")


def base_url_check() -> Check:
    """Links in mail are built from BASE_URL; on http the private links travel in clear."""
    url = current_app.config.get("BASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return Check("base_url", ERROR,
                     f"BASE_URL is {url!r}: the links in every mail (private registration links among them) "
                     f"would not use HTTPS. Set BASE_URL=https://your.domain (the name nginx serves with its "
                     f"certificate).")
    if parts.hostname in ("localhost", "127.0.0.1", "::1") or parts.hostname.endswith(".test"):
        return Check("base_url", ERROR,
                     f"BASE_URL is {url!r}: registrants cannot reach that name. Set it to the public address.")
    return Check("base_url", OK, f"Links in mail point to {url}.")


def _migration_heads() -> set[str]:
    # Alembic is imported by the checks that use it, not by every process that imports the app.
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", current_app.extensions["migrate"].directory)
    return set(ScriptDirectory.from_config(config).get_heads())


def database_check() -> Check:
    """The database answers and carries every migration of this release."""
    from alembic.runtime.migration import MigrationContext

    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    kind = uri.split(":", 1)[0].split("+", 1)[0]
    try:
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0] if str(error) else type(error).__name__
        return Check("database", ERROR,
                     f"The database ({kind}) does not answer: {reason}. Check DATABASE_URL and that the "
                     f"server is running and lets this user in.")
    finally:
        db.engine.dispose()
    heads = _migration_heads()
    if not current:
        return Check("database", ERROR, f"The database ({kind}) is empty: run `flask --app eventsvc db upgrade`.")
    if current != heads:
        return Check("database", ERROR,
                     f"The database ({kind}) is at migration {', '.join(sorted(current))}, this release needs "
                     f"{', '.join(sorted(heads))}: run `flask --app eventsvc db upgrade`, then restart the "
                     f"web, worker and beat services.")
    return Check("database", OK, f"The database ({kind}) answers and is at migration {', '.join(sorted(heads))}.")


def broker_check() -> Check:
    """Without the broker mail still waits safely in the outbox, but it waits."""
    url = current_app.config["CELERY"]["broker_url"]
    problem = health.broker_problem()
    where = urlsplit(url).hostname or url.split(":", 1)[0]
    if problem:
        return Check("broker", ERROR,
                     f"The Celery broker at {where} does not answer ({problem}): mail waits in the outbox "
                     f"until it does. Check CELERY_BROKER_URL and that Redis or RabbitMQ is running.")
    if url.startswith("sqla+"):
        return Check("broker", WARNING,
                     "The broker is the embedded SQLite file: fine for one machine, but workers on other "
                     "hosts cannot reach it. Set CELERY_BROKER_URL to Redis or RabbitMQ for several hosts.")
    return Check("broker", OK, f"The Celery broker at {where} answers.")


def web_processes() -> int:
    """How many web processes the limits must be shared by: WEB_CONCURRENCY (gunicorn's workers on
    this host, deploy/gunicorn.conf.py) times WEB_HOSTS (hosts behind the proxy)."""
    def number(name: str) -> int:
        try:
            return max(1, int(os.environ.get(name, "1") or 1))
        except ValueError:
            return 1
    return number("WEB_CONCURRENCY") * number("WEB_HOSTS")


def rate_limit_storage_check() -> Check:
    """Limits kept in memory are counted by each process alone: with four of them, four times the limit."""
    config = current_app.config
    if not config.get("RATELIMIT_ENABLED"):
        return Check("rate_limits", WARNING,
                     "RATELIMIT_ENABLED is off: nothing slows down a script that registers or logs in "
                     "thousands of times. Remove RATELIMIT_ENABLED=0.")
    uri = config.get("RATELIMIT_STORAGE_URI", "memory://")
    processes = web_processes()
    if uri.startswith("memory://"):
        if processes > 1:
            return Check("rate_limits", ERROR,
                         f"Rate limits are kept in each process's memory, and {processes} web processes "
                         f"(WEB_CONCURRENCY × WEB_HOSTS) each count alone. Set RATELIMIT_STORAGE_URI=redis://… "
                         f"so that they share the counts.")
        return Check("rate_limits", OK, "Rate limits are kept in memory, which is right for one web process.")
    try:
        reachable = limiter.storage.check()
    except Exception:  # noqa: BLE001 - redis, memcached and socket errors alike
        reachable = False
    if not reachable:
        return Check("rate_limits", ERROR,
                     f"The rate-limit storage at {urlsplit(uri).hostname or uri} does not answer: every "
                     f"limited page would fail. Check RATELIMIT_STORAGE_URI.")
    return Check("rate_limits", OK, f"Rate limits are shared through {urlsplit(uri).scheme}://{urlsplit(uri).hostname}.")
