"""Telling a worker that work waits in a table: the outbox's mail, the webhooks' deliveries.

A hint goes to the broker by task name through the app's Celery object and never raises: the
table is the record, and a sweeper re-enqueues whatever lost its hint. Hints released by a
request's commit go from a thread of the process's own, so the visitor's answer does not wait
for the broker (:func:`release`); commands and tasks send theirs at once.
"""

from __future__ import annotations

import contextvars
import logging
import os
import queue
import threading
import time
from collections.abc import Callable

from flask import Flask, current_app, has_request_context

log = logging.getLogger(__name__)


def send_hint(task: str, item_id: int, countdown: float | None, waiting: str) -> bool:
    """Hand ``task`` for ``item_id`` to the broker (after ``countdown`` seconds); returns whether
    the broker took it. ``waiting`` tells the log where the item waits, e.g. "mail %s waits in
    the outbox for the sweeper"."""
    try:
        current_app.extensions["celery"].send_task(task, args=[item_id], countdown=countdown)
    except Exception:  # noqa: BLE001 - broker down: the sweeper re-enqueues from the table
        log.warning("broker unreachable; " + waiting, item_id)
        return False
    return True


#: The hints of requests leave a process at most this often (seconds); what comes meanwhile
#: waits and goes together. A mail task claims a whole batch of due mail, so during a burst of
#: registrations one hint does for many, and the worker is not woken once per mail.
HINT_INTERVAL = 0.05


class _AfterTheAnswer:
    """One thread per process that sends the hints of requests. Losing some (the process ends
    first) costs nothing but time.

    A hint with no other sent in the last :data:`HINT_INTERVAL` goes at once; one that comes
    sooner waits for the interval, and the ids of everything waiting by then go in one call per
    kind of hint (with the context of the first request: its id is what the worker logs).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._queue: queue.SimpleQueue | None = None

    def submit(self, app: Flask, hint: Callable[[list[int]], None], ids: list[int]) -> None:
        with self._lock:
            if self._pid != os.getpid():  # first use in this process (a fork does not copy threads)
                self._pid, self._queue = os.getpid(), queue.SimpleQueue()
                threading.Thread(target=self._send, args=(self._queue,), name="hints", daemon=True).start()
            # The request's context variables go along (its request id: the worker logs it).
            self._queue.put((app, hint, ids, contextvars.copy_context()))

    @staticmethod
    def _send(work: queue.SimpleQueue) -> None:
        last = float("-inf")
        while True:
            waiting = [work.get()]
            pause = last + HINT_INTERVAL - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            while True:
                try:
                    waiting.append(work.get_nowait())
                except queue.Empty:
                    break
            last = time.monotonic()
            for (app, hint), (ids, context) in _together(waiting).items():
                try:
                    context.run(_hint_in, app, hint, ids)
                except Exception:  # noqa: BLE001 - the thread must live on; the sweeper has these
                    log.exception("could not hint the worker of %s; the sweeper will", ids[:10])


def _together(waiting: list[tuple]) -> dict[tuple, tuple[list[int], contextvars.Context]]:
    """The waiting hints, one per app and kind, with all their ids, in the order they came."""
    merged: dict[tuple, tuple[list[int], contextvars.Context]] = {}
    for app, hint, ids, context in waiting:
        merged.setdefault((app, hint), ([], context))[0].extend(ids)
    return merged


def _hint_in(app: Flask, hint: Callable[[list[int]], None], ids: list[int]) -> None:
    with app.app_context():
        hint(ids)


_after_the_answer = _AfterTheAnswer()


def release(hint: Callable[[list[int]], None], ids: list[int]) -> None:
    """``hint(ids)`` after a commit: after the answer in a request, at once anywhere else."""
    if not ids:
        return
    if has_request_context():
        _after_the_answer.submit(current_app._get_current_object(), hint, ids)
    else:
        hint(ids)
