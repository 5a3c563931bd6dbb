"""After a few registrations from one client the form carries a proof-of-work challenge, which the
browser solves by itself (static/altcha.js, no third-party script) before the form can be sent."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.models import Registration
from eventsvc.proof_of_work import FREE_ATTEMPTS
from tests.factories import make_event


@pytest.mark.browser
def test_the_browser_solves_the_challenge_and_the_registration_goes_through(app, start_live_server, page):
    server = start_live_server(app.config["SQLALCHEMY_DATABASE_URI"], workers=1,
                               env={"RATELIMIT_ENABLED": "true", "RATELIMIT_STORAGE_URI": "memory://"})
    slug = make_event().slug
    db.session.rollback()
    for n in range(FREE_ATTEMPTS + 1):
        page.goto(f"{server.url}/events/{slug}/register")
        if n == FREE_ATTEMPTS:
            assert page.locator("input[name=altcha]").count() == 1
            # The button waits for the solution, then the status says the check is done.
            page.wait_for_function("document.getElementById('altcha').value.length > 0", timeout=30_000)
            assert not page.locator("form button[type=submit]").is_disabled()
        else:
            assert page.locator("input[name=altcha]").count() == 0
        page.fill("input[name=email]", f"colleague{n}@example.com")
        page.fill("input[name=family_name]", "Schmidt")
        page.fill("input[name=given_name]", f"Anna {n}")
        page.check("input[name=privacy_consent]")
        page.locator("form button[type=submit]").click()
        page.wait_for_url(f"**/events/{slug}/registered")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Registration)) == FREE_ATTEMPTS + 1
