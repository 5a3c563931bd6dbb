"""eventsvc: registrations and bilingual mail for the Smart City China report events."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from flask import Flask, jsonify, render_template, request

from . import access_log, assets, config, database, i18n, monitoring, security
from .celery_app import celery_init_app
from .extensions import babel, db, mail, migrate
from .services import health
from .services import mailing, webhooks

#: Test-only key; create_app refuses to run without a SECRET_KEY of its own outside TESTING.
_DEVELOPMENT_SECRET = "development only, not secret"

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None, *, worker: bool = False) -> Flask:
    """Build the application. No database access, no network and no migrations happen here.

    ``overrides`` is applied on top of the environment before any extension sees the settings
    (Flask-Mail and others read them in ``init_app``).

    ``worker=True`` builds the app of a Celery worker or beat (``worker.py``): the same settings,
    extensions and tasks, without what only a web server or a ``flask`` command runs (the three
    blueprints, the organizers' sign-in, the error pages, the commands). Their modules are never
    imported there, about 4 MB of every worker process (docs/architecture.md, "Decisions worth
    knowing").
    """
    app = Flask(
        __name__,
        instance_path=os.environ.get("EVENTSVC_INSTANCE_PATH", str(PROJECT_ROOT / "instance")),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config.load_settings(app.instance_path))
    if overrides:
        app.config.update(overrides)
    _require_secret_key(app)

    register_extensions(app, worker=worker)
    if not worker:
        register_blueprints(app)
        register_commands(app)
        register_error_handlers(app)
    celery_init_app(app)
    return app


def _require_secret_key(app: Flask) -> None:
    """Sessions and CSRF tokens are signed with SECRET_KEY: a known key lets anyone forge them.

    Only TESTING runs without one (on the development key); ``make run`` writes a random key to
    ``.env``.
    """
    key = app.config.get("SECRET_KEY")
    if key and key != _DEVELOPMENT_SECRET:
        return
    if app.testing:
        app.config["SECRET_KEY"] = _DEVELOPMENT_SECRET
        return
    raise RuntimeError(
        "SECRET_KEY is not set (or is the development key). Put a long random value in the environment or in .env "
        "(make run writes one for you), e.g.: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
    )


def register_extensions(app: Flask, worker: bool = False) -> None:
    db.init_app(app)
    database.init_app(app)
    mailing.init_app(app)
    webhooks.init_app(app)
    migrate.init_app(
        app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True
    )
    mail.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=";".join([str(Path(__file__).parent / "translations")] * len(i18n.DOMAINS)),
        default_domain=";".join(i18n.DOMAINS),
    )
    i18n.init_app(app)
    security.init_app(app)
    assets.init_app(app)
    access_log.init_app(app)
    if not worker:
        register_web_extensions(app)
    monitoring.init_app(app, serve_metrics=not worker)
    _warn_about_memory_limits(app)


def register_web_extensions(app: Flask) -> None:
    """CSRF protection, the organizers' sign-in and rate limits: what only a web server (and a
    ``flask`` command, on the same app) runs. A worker has no form to check, no one to sign in
    and no request to count."""
    from .web_extensions import csrf, limiter

    app.extensions["eventsvc.registration_limits"] = config.parse_limits(
        "REGISTRATION_LIMITS", app.config.get("REGISTRATION_LIMITS", ""), config.DEFAULT_REGISTRATION_LIMITS)
    csrf.init_app(app)
    register_sign_in(app)
    limiter.init_app(app)


def register_sign_in(app: Flask) -> None:
    """Flask-Login and the login guard for the organizer area (a worker has no one to sign in)."""
    from .organizer import login_guard
    from .organizer.auth import forget_previous_user, load_organizer
    from .web_extensions import login_manager

    login_manager.init_app(app)
    login_manager.user_loader(load_organizer)
    app.before_request(forget_previous_user)
    login_manager.login_view = "organizer.login"
    login_guard.init_app(app)


def _warn_about_memory_limits(app: Flask) -> None:
    """In-memory rate limits are per process: several gunicorn workers or hosts each count alone.

    Only a web server's processes count requests, so only gunicorn's warn (the Flask development
    server is one process; commands, the worker and the bounce listener serve no pages).
    """
    if app.testing or not app.config.get("RATELIMIT_ENABLED"):
        return
    if "gunicorn" not in Path(sys.argv[0]).name:
        return
    if app.config.get("RATELIMIT_STORAGE_URI", "memory://").startswith("memory://"):
        logging.getLogger("eventsvc").warning(
            "Rate limits are kept in this process's memory: with several processes or hosts each "
            "keeps its own counts. Set RATELIMIT_STORAGE_URI=redis://… to share them."
        )


def register_blueprints(app: Flask) -> None:
    from .api import bp as api_bp
    from .organizer import bp as organizer_bp
    from .public import bp as public_bp
    from .web_extensions import csrf

    app.register_blueprint(public_bp)
    app.register_blueprint(organizer_bp, url_prefix="/organizer")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)

    @app.get("/healthz")
    def healthz():
        """Whether the database and the broker answer, for load balancers and `make run`."""
        parts = {"database": health.database_problem(), "broker": health.broker_problem()}
        report = {name: problem or "ok" for name, problem in parts.items()}
        if any(parts.values()):
            return jsonify(status="error", **report), 503
        return jsonify(status="ok", **report)


def register_commands(app: Flask) -> None:
    from . import cli, cli_webhooks

    cli.init_app(app)
    app.cli.add_command(cli_webhooks.webhooks_cli)


def register_error_handlers(app: Flask) -> None:
    """Friendly pages in the visitor's language; JSON for the API."""

    def handle(error):
        code = getattr(error, "code", 500) or 500
        # A limit that says in the visitor's language what to do next (eventsvc/forms.py).
        limit = getattr(error, "limit", None)
        message = error.description if code == 429 and limit is not None and limit.error_message else None
        if request.path.startswith("/api/"):
            return jsonify(error=getattr(error, "name", "Error"),
                           message=message or getattr(error, "description", "")), code
        return render_template("errors/error.html", code=code, error=error, message=message), code

    for code in (400, 403, 404, 405, 410, 413, 429, 500):
        app.register_error_handler(code, handle)
