"""Connections to PostgreSQL that died in the pool: an idle one is replaced before use."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.exc import DBAPIError

from eventsvc import database
from eventsvc.extensions import db
from tests.fixtures.services import POSTGRES_URL


def _backend(engine) -> int:
    with engine.connect() as connection:
        return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()


def _terminate(pid: int) -> None:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_connection_that_died_while_idle_is_replaced_unnoticed(pg_app, monkeypatch):
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    with pg_app.app_context():
        engine = db.engine
        dead = _backend(engine)  # back in the pool after this
        _terminate(dead)
        assert _backend(engine) != dead  # pinged, found dead, replaced: no error


def test_a_connection_that_dies_while_busy_fails_once_and_the_pool_starts_afresh(pg_app, monkeypatch):
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 3600.0)
    with pg_app.app_context():
        engine = db.engine
        dead = _backend(engine)
        _terminate(dead)
        with pytest.raises(DBAPIError) as failure:
            _backend(engine)
        assert failure.value.connection_invalidated
        assert _backend(engine) != dead
