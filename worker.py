"""The Celery entry point: ``celery -A worker worker`` and ``celery -A worker beat``.

No variable here is called ``app``: ``celery -A worker`` would take a Flask object by that name
for the Celery app. The app is built without the pages and the ``flask`` commands, which no
worker or beat runs (``create_app(worker=True)``).

The garbage collector rests while the app is imported and built: nearly every object made here
lives as long as the process, so the collections that the allocations would set off (a tenth of
the start) find nothing. The objects are then frozen: later collections, in this process and in
the pool processes forked from it, no longer walk them (each full collection would otherwise
take tens of milliseconds, and touching the objects copies the pages a forked process shares).
"""

import gc

gc.disable()
try:
    from eventsvc import create_app

    flask_app = create_app(worker=True)
    celery = flask_app.extensions["celery"]
finally:
    gc.freeze()
    gc.enable()
