"""One run at a time of each periodic job, whoever starts it.

Exactly one beat should run, but a second one started by mistake (a copied unit on another host,
``worker -B`` next to the beat service) must not make two runs of the same job race each other.
Each job takes a lock in the database first and skips its turn when another process holds it:

* PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) on a connection of its own,
  held for the run and released after it (also when the process dies: the connection closes);
* SQLite, which lives on one machine by nature: an exclusive ``flock`` on a file beside the
  database, released by the kernel when the process dies.

The jobs stay safe to repeat (reminders are keyed per recipient); the lock keeps the runs apart.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app
from sqlalchemy import text

from ..extensions import db


def _key(name: str) -> int:
    """A stable signed 64-bit number for ``name`` (advisory locks are numbered)."""
    return int.from_bytes(hashlib.sha256(f"eventsvc:{name}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def exclusive(name: str) -> Iterator[bool]:
    """``with exclusive("reminders") as mine:`` — ``mine`` is False when another run holds it."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            key = _key(name)
            mine = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
            connection.commit()
            try:
                yield mine
            finally:
                if mine:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    connection.commit()
        return
    database = engine.url.database
    folder = Path(database).resolve().parent if database and database != ":memory:" else Path(current_app.instance_path)
    with open(folder / f".{name}.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
