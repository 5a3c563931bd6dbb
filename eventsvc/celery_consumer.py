"""The worker's consumer without Mingle and Gossip (named by ``worker_consumer`` in the Celery
settings, so only a worker process imports it).

At start, Mingle asks every other worker on the broker for its revoked tasks and waits a second
for answers, and Gossip keeps every worker listening to every other's heartbeat. eventsvc revokes
no task and elects no leader (the outbox in the database is the record), so both only delayed the
first mail after a worker starts and kept the workers chattering on the broker: it is what
``--without-mingle --without-gossip`` does, made the default of ``celery -A worker worker``.
"""

from __future__ import annotations

from celery.worker.consumer import Consumer


class QuietConsumer(Consumer):
    """Celery's consumer with the two steps that talk to the other workers switched off.

    Leaving them out of the blueprint's steps is not enough: the Tasks step requires Mingle, so
    the blueprint takes it back in. Each step is switched off by the option the command line's
    ``--without-mingle`` and ``--without-gossip`` set, given here whatever the command line says.
    """

    def __init__(self, *args, worker_options=None, **kwargs):
        quiet = {**(worker_options or {}), "without_mingle": True, "without_gossip": True}
        super().__init__(*args, worker_options=quiet, **kwargs)
