"""The yardstick: a bare Flask endpoint that inserts one row, served like eventsvc.

``POST /insert`` with a form field ``email`` inserts a row into ``bench_bare_rows`` and answers
201. No templates, no sessions, no CSRF, no ORM: what is left is Flask, gunicorn, the driver
and one committed INSERT, the floor under any registration. Run as
``gunicorn "bench.bare_app:create_app()"`` with ``DATABASE_URL`` set.
"""

from __future__ import annotations

import os

from flask import Flask, request
from sqlalchemy import create_engine, text

from eventsvc.config import normalize_database_url

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS bench_bare_rows (
    id BIGSERIAL PRIMARY KEY,
    email VARCHAR(254) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


def create_table(database_url: str) -> None:
    """Make the table the endpoint writes to (before the server starts: workers race otherwise)."""
    engine = create_engine(normalize_database_url(database_url))
    with engine.begin() as conn:
        conn.execute(text(CREATE_TABLE))
    engine.dispose()


def count_rows(database_url: str) -> int:
    engine = create_engine(normalize_database_url(database_url))
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM bench_bare_rows")).scalar_one()
    engine.dispose()
    return count


def create_app() -> Flask:
    """The bare app, on the same pool settings as eventsvc (pre-ping on)."""
    app = Flask(__name__)
    engine = create_engine(normalize_database_url(os.environ["DATABASE_URL"]), pool_pre_ping=True)

    @app.post("/insert")
    def insert():
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO bench_bare_rows (email) VALUES (:email)"),
                         {"email": request.form.get("email", "")[:254]})
        return "created\n", 201

    @app.get("/healthz")
    def healthz():
        return "ok\n"

    return app
