"""Access logs keep no private token: gunicorn's (as deployed, with the project's
gunicorn.conf.py) and the development server's, in the request line and in the Referer."""

from __future__ import annotations

import logging
import threading

import requests
from werkzeug.serving import make_server

from eventsvc.access_log import mask_tokens
from eventsvc.extensions import db
from tests.factories import make_event, make_registration
from tests.fixtures.services import free_port

SECRET = "Zq3x9TOKENvalue0123456789abcdef"


def _registration() -> tuple[str, str, str]:
    """A registration's slug, manage token and unsubscribe token (and no transaction left open:
    on SQLite it would hold the write lock the server needs)."""
    registration = make_registration(make_event())
    values = registration.event.slug, registration.manage_token, registration.unsubscribe_token
    db.session.rollback()
    return values


def _visit(base: str, registration: tuple[str, str, str]) -> list[str]:
    """Requests whose paths or Referer carry tokens; returns the tokens they carried."""
    slug, manage, unsubscribe = registration
    session = requests.Session()
    session.get(f"{base}/r/{manage}", timeout=10)
    session.get(f"{base}/r/{manage}/data", headers={"Referer": f"{base}/r/{manage}"}, timeout=10)
    session.get(f"{base}/events/{slug}", headers={"Referer": f"{base}/consent/{SECRET}c"}, timeout=10)
    session.get(f"{base}/consent/{SECRET}c?lang=zh", timeout=10)
    session.post(f"{base}/unsubscribe/{unsubscribe}", data={"List-Unsubscribe": "One-Click"}, timeout=10)
    session.get(f"{base}/organizer/password-reset/{SECRET}p", timeout=10)
    return [manage, unsubscribe, f"{SECRET}c", f"{SECRET}p"]


def test_gunicorns_access_log_masks_tokens_in_the_request_line_and_the_referer(pg_app, start_live_server):
    registration = _registration()
    server = start_live_server(pg_app.config["SQLALCHEMY_DATABASE_URI"], workers=1, access_log=True)
    tokens = _visit(server.url, registration)
    server.stop()  # flushes and closes the log
    log = server.access_log_path.read_text()
    assert "/r/***/data" in log and "/consent/***" in log and "/unsubscribe/***" in log
    assert "/organizer/password-reset/***" in log and f'"{server.url}/r/***"' in log  # the Referer
    for token in tokens:
        assert token not in log


def test_the_development_servers_request_log_masks_tokens(app, caplog, monkeypatch):
    # Alembic's logging set-up (the migrations at the start of the test session) disables the
    # loggers that existed then; `flask run` has its logger as it should.
    monkeypatch.setattr(logging.getLogger("werkzeug"), "disabled", False)
    registration = _registration()
    port = free_port()
    server = make_server("127.0.0.1", port, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            tokens = _visit(f"http://127.0.0.1:{port}", registration)
    finally:
        server.shutdown()
        thread.join(5)
    log = caplog.text
    assert "/r/***" in log and "/unsubscribe/***" in log
    for token in tokens:
        assert token not in log


def test_only_the_token_goes():
    assert mask_tokens("GET /r/abc/cancel?x=1 HTTP/1.1") == "GET /r/***/cancel?x=1 HTTP/1.1"
    assert mask_tokens("GET /reports/zh?event=x HTTP/1.1") == "GET /reports/zh?event=x HTTP/1.1"
    assert mask_tokens("https://e.example/organizer/password-reset/abc") == "https://e.example/organizer/password-reset/***"
    assert mask_tokens("GET /organizer/password-reset?token=abc&x=1") == "GET /organizer/password-reset?token=***&x=1"
