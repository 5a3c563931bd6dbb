"""What ``GET /healthz`` reports: whether the parts the service needs answer."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from .transaction import end_read

#: Seconds the broker may take to answer before it counts as down.
BROKER_TIMEOUT = 2


def database_problem() -> str | None:
    """``None`` when the database answers, else the kind of error (never its message)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        return error.__class__.__name__
    finally:
        end_read()
    return None


def broker_problem() -> str | None:
    """``None`` when the Celery broker takes a connection, else the kind of error.

    Mail is safe while the broker is down (the outbox keeps it, the sweeper re-enqueues), but it
    waits: a load balancer or a monitor should know.
    """
    celery = current_app.extensions["celery"]
    try:
        with celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT)
    except Exception as error:  # kombu, redis, amqp and socket errors alike
        return error.__class__.__name__
    return None
