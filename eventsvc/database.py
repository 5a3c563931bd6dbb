"""Engine settings that make the embedded SQLite database safe for several processes."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event

from .extensions import db


def init_app(app: Flask) -> None:
    """Tune SQLite connections; PostgreSQL needs nothing here."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
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
