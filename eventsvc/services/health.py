"""What ``GET /healthz`` reports: whether the parts the service needs answer."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from .transaction import end_read


def database_problem() -> str | None:
    """``None`` when the database answers, else the kind of error (never its message)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        return error.__class__.__name__
    finally:
        end_read()
    return None
