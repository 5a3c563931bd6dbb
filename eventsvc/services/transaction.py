"""Transactions of the services: where a unit of work begins, takes its lock, and commits.

Every service that writes does so inside ``with transaction():`` (or ``with locked(Event, id)``),
never with commit and rollback calls of its own. The rules, in one place
(docs/architecture.md, "Transactions"):

* The outermost block commits when it ends and rolls back when an exception leaves it; a block
  inside another joins it, so a service called by another service (or by a view that already
  changed something) never commits half of its caller's work, and never throws it away.
* Work the caller left in the session (changed objects not yet committed) becomes part of the
  transaction and is committed with it, rather than silently dropped.
* :func:`lock` re-reads the row it locks (``populate_existing``): an object loaded before the lock
  cannot hand stale seat counts or statuses to the code that runs under it.
* The SQLite difference: every SQLite transaction takes the database's write lock when it begins
  (``BEGIN IMMEDIATE``, :mod:`eventsvc.database`), so a lock on one row is a lock on everything
  and writers run one after another. PostgreSQL takes real row locks. Long readers that must not
  hold SQLite's write lock while they work (the mail sender) end their read with
  :func:`end_read`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import select

from ..extensions import db

T = TypeVar("T")

_DEPTH_KEY = "eventsvc.transaction_depth"


@contextmanager
def transaction() -> Iterator[None]:
    """Run the block as one transaction: commit at the end of the outermost block, roll back
    when an exception leaves it. Nested blocks join the outer one."""
    session = db.session
    depth = session.info.get(_DEPTH_KEY, 0)
    session.info[_DEPTH_KEY] = depth + 1
    try:
        yield
        if depth == 0:
            session.commit()
    except BaseException:
        if depth == 0:
            session.rollback()
        raise
    finally:
        session.info[_DEPTH_KEY] = depth


def in_transaction() -> bool:
    """Whether a :func:`transaction` block is running (a service may then leave the commit to it)."""
    return db.session.info.get(_DEPTH_KEY, 0) > 0


def lock(model: type[T], row_id: int) -> T:
    """Load the row ``row_id`` of ``model`` and hold it until the transaction ends.

    Raises :class:`sqlalchemy.exc.NoResultFound` when there is no such row.
    """
    return db.session.execute(
        select(model).where(model.id == row_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


@contextmanager
def locked(model: type[T], row_id: int) -> Iterator[T]:
    """``with locked(Event, event_id) as event:`` a transaction that holds that row's lock."""
    with transaction():
        yield lock(model, row_id)


def end_read() -> None:
    """End a transaction that only read, outside any :func:`transaction` block.

    On SQLite this gives back the write lock that every transaction holds, so registrations can
    go on while the caller works on what it read; on PostgreSQL it merely ends the snapshot.
    """
    if in_transaction():
        return
    session = db.session()
    current = session.get_transaction()
    if current is not None and not current.is_active:
        session.rollback()  # a read that failed: there is nothing in it to keep
    else:
        session.commit()  # nothing to write: ends the transaction and never drops a caller's work
