"""GET /healthz reports the database and the broker; 503 names the one that is down (issue 9, item 8)."""

from __future__ import annotations


from tests.fixtures.database import _make_app
from tests.fixtures.services import free_port


def test_healthz_reports_the_database_and_the_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_a_broker_that_is_down_is_a_503_that_says_so(database_url, tmp_path):
    app = _make_app(database_url, tmp_path, {
        "CELERY": {"broker_url": f"redis://127.0.0.1:{free_port()}/0", "broker_connection_timeout": 1}})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error" and body["database"] == "ok" and body["broker"] != "ok"


def test_a_database_that_is_down_is_a_503_that_says_so(tmp_path):
    app = _make_app(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing", tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] != "ok" and body["broker"] == "ok"
