"""The Celery entry point: ``celery -A worker worker`` and ``celery -A worker beat``.

No variable here is called ``app``: ``celery -A worker`` would take a Flask object by that name
for the Celery app. The app is built without the pages and the ``flask`` commands, which no
worker or beat runs (``create_app(worker=True)``).
"""

from eventsvc import create_app

flask_app = create_app(worker=True)
celery = flask_app.extensions["celery"]
