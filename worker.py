"""The Celery entry point: ``celery -A worker worker`` and ``celery -A worker beat``.

No variable here is called ``app``: ``celery -A worker`` would take a Flask object by that name
for the Celery app.
"""

from eventsvc import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
