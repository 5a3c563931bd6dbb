"""The door app's page, manifest and service worker, and who reaches them (issue 17). What the
page does in a browser is in tests/browser/test_door.py."""

from __future__ import annotations

import json
import re
from html import unescape

from eventsvc.security import CONTENT_SECURITY_POLICY
from eventsvc.services.access import grant
from eventsvc.services.organizers import create_organizer, find_organizer
from tests.factories import make_event

PASSWORD = "a long door password"


def _client_of(app, email: str, role: str):
    create_organizer(email, PASSWORD, role=role)
    client = app.test_client()
    assert client.post("/organizer/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def _config(html: str) -> dict:
    found = re.search(r"data-config='([^']*)'", html)
    return json.loads(unescape(found.group(1)))


def test_the_door_page_in_three_languages_with_its_fields_and_no_inline_script(app, organizer_client):
    make_event(slug="door-day", title={"en": "Launch", "zh": "发布会", "de": "Vorstellung"}, timezone="Asia/Shanghai")
    for lang, words in (("en", "Find a guest"), ("zh", "查找来宾"), ("de", "Gast suchen")):
        response = organizer_client.get(f"/organizer/events/door-day/door?lang={lang}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert words in html
        assert 'name="code"' in html and 'name="door"' in html
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        for tag in re.findall(r"<script[^>]*>", html):
            assert 'src="/static/' in tag, tag
        config = _config(html)
        assert config["lang"] == lang and config["timezone"] == "Asia/Shanghai"
        assert config["urls"]["checkins"] == "/api/v1/events/door-day/checkins"
        assert config["mayManage"] is True
        assert 'id="door-walk-in-form"' in html and 'id="door-undo-form"' in html


def test_the_manifest_and_the_service_worker_make_the_door_installable(app, organizer_client):
    make_event(slug="door-day", title={"en": "Launch"})
    manifest = organizer_client.get("/organizer/events/door-day/door.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    data = manifest.get_json()
    assert data["start_url"] == "/organizer/events/door-day/door" and data["display"] == "standalone"
    assert {icon["sizes"] for icon in data["icons"]} == {"192x192", "512x512"}
    for icon in data["icons"]:
        assert organizer_client.get(icon["src"]).data.startswith(b"\x89PNG")
    # The worker is fetched by the browser without a session, and lies above the pages it serves.
    worker = app.test_client().get("/organizer/door-sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert worker.headers["Service-Worker-Allowed"] == "/organizer/events/"
    assert b"/static/vendor/workbox-" in worker.data and b"storage.googleapis" not in worker.data


def test_a_checkin_account_reaches_the_door_of_its_event_and_nothing_of_another(app):
    mine = make_event(slug="mine")
    make_event(slug="theirs")
    client = _client_of(app, "door@oav.example", "checkin")
    grant(find_organizer("door@oav.example"), mine)
    page = client.get("/organizer/events/mine/door")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _config(html)["mayManage"] is False
    assert 'id="door-walk-in-form"' not in html and 'id="door-undo-form"' not in html
    assert "/organizer/events/mine/door" in client.get("/organizer/events").get_data(as_text=True)
    for url in ("/organizer/events/theirs/door", "/organizer/events/theirs/door.webmanifest"):
        assert client.get(url).status_code == 404, url


def test_a_stranger_is_sent_to_the_login(app):
    make_event(slug="door-day")
    response = app.test_client().get("/organizer/events/door-day/door")
    assert response.status_code == 302 and "/organizer/login" in response.headers["Location"]


def test_logging_out_clears_the_device_s_check_in_list(app, organizer_client):
    organizer_client.get("/organizer/events")
    response = organizer_client.post("/organizer/logout")
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_the_dashboard_and_the_old_check_in_page_lead_to_the_door(app, organizer_client):
    make_event(slug="door-day")
    for url in ("/organizer/events/door-day", "/organizer/events/door-day/checkin"):
        assert 'href="/organizer/events/door-day/door"' in organizer_client.get(url).get_data(as_text=True), url
