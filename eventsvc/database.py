"""Engine settings: connections checked before use after a pause, and the embedded SQLite
database made safe for several processes."""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import event, exc

from .extensions import db

#: A pooled connection unused for this many seconds is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 2.0


def init_app(app: Flask) -> None:
    """Check idle PostgreSQL connections before use; tune SQLite connections."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        ping_idle_connections(engine)
        return

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see _begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        # Every transaction takes the write lock up front. SQLite then runs writers one after
        # another, which is what keeps capacity checks and outbox claims correct on the embedded
        # database, where PostgreSQL uses row locks.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def ping_idle_connections(engine) -> None:
    """Ping a connection before use only when it has lain in the pool for a while.

    A database restarted, or a connection closed by a firewall, shows only when the connection is
    used. SQLAlchemy's ``pool_pre_ping`` asks the database before every use: a round trip per
    request. Here only a connection idle for :data:`PING_AFTER_IDLE_SECONDS` is asked (a dead
    one is replaced at once); a busy process asks nothing. A connection that dies while busy fails
    the one statement that finds out, and SQLAlchemy then replaces every connection of that pool.
    """

    @event.listens_for(engine, "checkin")
    def _note_return(_dbapi_connection, record):
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001 - any failure means: use another connection
            raise exc.DisconnectionError(f"idle connection is gone: {error}") from error
