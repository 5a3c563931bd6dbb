"""The simple check-in page in chromium: no camera button where the browser cannot scan (issue 17)."""

from __future__ import annotations

import pytest

from eventsvc.extensions import db
from eventsvc.services.organizers import create_organizer
from tests.factories import make_event

pytestmark = pytest.mark.browser

PASSWORD = "a long organizer password"


def test_the_camera_button_stays_hidden_without_a_barcode_detector(pg_app, start_live_server, page):
    create_organizer("door@oav.example", PASSWORD, "Door Team")
    make_event(slug="camera-button")
    db.session.rollback()
    server = start_live_server(pg_app.config["SQLALCHEMY_DATABASE_URI"], workers=1)
    page.goto(f"{server.url}/organizer/login")
    page.fill("input[name=email]", "door@oav.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{server.url}/organizer/events")
    page.goto(f"{server.url}/organizer/events/camera-button/checkin")
    assert page.evaluate("'BarcodeDetector' in window") is False   # Debian's chromium, as Firefox or Safari
    assert page.locator("#scan").is_hidden()
    assert page.get_by_role("link", name="Door app: camera on every phone, search, offline").is_visible()
