"""Over HTTPS, a registrant changes their language and cancels from their own page (issue 9, item 2).

gunicorn serves TLS with a self-signed certificate, as a production server behind (or as) the TLS
end would. Flask-WTF refuses a form posted over HTTPS without a same-origin Referer: the
registrant's pages must let the browser send one to this site (and only to this site).
"""

from __future__ import annotations

import pytest

from eventsvc.extensions import db
from eventsvc.models import Registration
from tests.factories import make_event, make_registration


@pytest.mark.browser
def test_registrant_changes_language_and_cancels_over_https(app, start_live_server, browser):
    server = start_live_server(app.config["SQLALCHEMY_DATABASE_URI"], workers=1, tls=True)
    assert server.url.startswith("https://")
    registration = make_registration(make_event(), language="en")
    token, registration_id = registration.manage_token, registration.id
    db.session.rollback()  # hold no transaction while the server works (SQLite: the write lock)

    context = browser.new_context(ignore_https_errors=True, locale="en-US")
    try:
        page = context.new_page()
        page.goto(f"{server.url}/r/{token}")
        page.select_option("select[name=language]", "zh")
        with page.expect_navigation():
            page.locator("form.inline-form button[type=submit]").click()
        assert page.url.startswith(f"{server.url}/r/{token}")
        assert "今后我们将使用这种语言" in page.locator("main").inner_text()

        page.locator(f"a[href$='/r/{token}/cancel']").click()
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        assert page.url.startswith(f"{server.url}/r/{token}")
        assert "已取消" in page.locator("main").inner_text()
    finally:
        context.close()
    db.session.rollback()
    assert db.session.get(Registration, registration_id).status == "cancelled"
