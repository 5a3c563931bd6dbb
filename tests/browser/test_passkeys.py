"""Passkeys in a real browser: chromium's virtual authenticator (Playwright over CDP) adds one on
the account page, and the login's second step takes it; against gunicorn at ``localhost`` (an IP
address cannot be a WebAuthn relying party)."""

from __future__ import annotations

import pytest

from eventsvc.extensions import db
from eventsvc.services.organizers import create_organizer
from tests.fixtures.live_server import LiveServer

pytestmark = pytest.mark.browser

PASSWORD = "a long organizer password"
EMAIL = "keys@oav.example"


def _authenticator(page) -> None:
    """A platform authenticator with a fingerprint that is always the right one."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})


def _password(page, base: str) -> None:
    page.goto(f"{base}/organizer/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_an_organizer_adds_a_passkey_and_logs_in_with_it(pg_app, page, tmp_path):
    create_organizer(EMAIL, PASSWORD, "Key Holder")
    db.session.rollback()  # keep no transaction open while the server works
    server = LiveServer(pg_app.config["SQLALCHEMY_DATABASE_URI"], workers=1, instance_path=tmp_path / "live")
    base = f"http://localhost:{server.port}"
    server.env["BASE_URL"] = base
    server.start()
    try:
        _authenticator(page)
        _password(page, base)
        page.wait_for_url(f"{base}/organizer/events")

        page.goto(f"{base}/organizer/account/two-factor")
        page.fill("#passkey-name", "laptop")
        page.click("button[data-passkey=register]")
        page.wait_for_selector("#passkeys >> text=laptop")

        page.click("button:has-text('Log out')")
        _password(page, base)
        page.wait_for_url(f"{base}/organizer/login")
        assert page.locator("button[data-passkey=login]").is_visible()
        assert page.goto(f"{base}/organizer/events").url.startswith(f"{base}/organizer/login")  # not in yet
        page.click("button[data-passkey=login]")
        page.wait_for_url(f"{base}/organizer/events")
        assert "Log out" in page.content()

        # A browser without the passkey gets the second step and no further.
        other = page.context.browser.new_context()
        try:
            stranger = other.new_page()
            _password(stranger, base)
            stranger.wait_for_url(f"{base}/organizer/login")
            stranger.goto(f"{base}/organizer/events")
            assert "/organizer/login" in stranger.url
        finally:
            other.close()
    finally:
        server.stop()
