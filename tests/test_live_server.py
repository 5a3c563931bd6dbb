"""The live gunicorn server that load and browser tests run against."""

from __future__ import annotations

import requests

from eventsvc.extensions import db
from tests.factories import make_event


def test_live_server_answers_health_check(app, live_server):
    response = requests.get(f"{live_server.url}/healthz", timeout=10)

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_live_server_serves_events_the_test_created(app, live_server):
    event = make_event(title={"en": "Smart City China in Berlin", "zh": "智慧城市中国 柏林", "de": "Smart City China in Berlin"})
    slug = event.slug
    db.session.rollback()  # hold no transaction: on SQLite the server would wait for its lock

    page = requests.get(f"{live_server.url}/events/{slug}", timeout=10)

    assert page.status_code == 200
    assert "Smart City China in Berlin" in page.text
