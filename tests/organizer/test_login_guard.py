"""No lockout: a stranger's guesses slow the stranger down, never the owner's own browser."""

import pytest

from eventsvc import create_app
from eventsvc.config import SettingError
from tests.fixtures.database import BASE_OVERRIDES
from tests.organizer.conftest import PASSWORD
from tests.public.test_abuse import solve

EMAIL = "organizer@oav.example"
OWNER = "198.51.100.7"


@pytest.fixture
def app_overrides():
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}


def _post(client, password, address, **extra):
    return client.post("/organizer/login", data={"email": EMAIL, "password": password, **extra},
                       environ_base={"REMOTE_ADDR": address})


def _known_browser(app):
    """The owner's browser: it has signed in to the account before, then logged out."""
    browser = app.test_client()
    assert _post(browser, PASSWORD, OWNER).status_code == 302
    browser.post("/organizer/logout", environ_base={"REMOTE_ADDR": OWNER})
    return browser


def _guess_from_ten_addresses(app):
    """The issue's finding: five wrong passwords from each of ten addresses."""
    for n in range(10):
        stranger = app.test_client()
        for _ in range(5):
            response = _post(stranger, "guess", f"203.0.113.{n + 1}")
            assert response.status_code == 200


def test_the_owners_browser_gets_in_after_fifty_guesses_from_ten_addresses(app, organizer):
    browser = _known_browser(app)
    _guess_from_ten_addresses(app)
    response = _post(browser, PASSWORD, OWNER)
    assert response.status_code == 302 and response.headers["Location"] == "/organizer/events"
    assert browser.get("/organizer/events").status_code == 200


def test_a_new_browser_of_the_owner_is_challenged_then_let_in_not_locked_for_a_day(app, organizer):
    _guess_from_ten_addresses(app)
    laptop = app.test_client()
    asked = _post(laptop, PASSWORD, "192.0.2.200")
    assert asked.status_code == 422 and "Retry-After" not in asked.headers
    page = asked.get_data(as_text=True)
    assert 'id="altcha"' in page and "altcha.js" in page
    assert laptop.get("/organizer/events").status_code == 302  # not logged in without the solution
    response = _post(laptop, PASSWORD, "192.0.2.200", altcha=solve(laptop))
    assert response.status_code == 302
    assert laptop.get("/organizer/events").status_code == 200


def test_each_solution_counts_once(app, organizer):
    _guess_from_ten_addresses(app)
    solution = solve(app.test_client())
    assert _post(app.test_client(), "guess again", "192.0.2.1", altcha=solution).status_code == 200
    assert _post(app.test_client(), PASSWORD, "192.0.2.2", altcha=solution).status_code == 422


def test_an_address_past_its_limit_waits_longer_and_longer(app, organizer):
    stranger = app.test_client()
    for _ in range(5):
        assert _post(stranger, "guess", "203.0.113.66").status_code == 200
    assert _post(stranger, "guess", "203.0.113.66").status_code == 422  # a challenge now
    assert _post(stranger, "guess", "203.0.113.66", altcha=solve(stranger)).status_code == 200
    waiting = _post(stranger, PASSWORD, "203.0.113.66", altcha=solve(stranger))
    assert waiting.status_code == 429
    assert 1 <= int(waiting.headers["Retry-After"]) <= 300
    assert "Too many failed logins from your address" in waiting.get_data(as_text=True)
    # Another address, the owner's browser, is not held up at all.
    assert _post(app.test_client(), PASSWORD, OWNER).status_code == 302


def test_a_forged_or_foreign_device_cookie_earns_no_trust(app, organizer):
    from eventsvc.services.organizers import create_organizer

    create_organizer("other@oav.example", PASSWORD)
    theirs = app.test_client()
    assert theirs.post("/organizer/login", data={"email": "other@oav.example", "password": PASSWORD}).status_code == 302
    _guess_from_ten_addresses(app)
    for cookie in (theirs.get_cookie("organizer_device", path="/organizer").value, "W1sxLCJ4Il1d.forged"):
        browser = app.test_client()
        browser.set_cookie("organizer_device", cookie, path="/organizer")
        assert _post(browser, PASSWORD, "192.0.2.9").status_code == 422


def test_a_known_browser_that_keeps_guessing_loses_its_privilege(app, organizer):
    browser = _known_browser(app)
    _guess_from_ten_addresses(app)
    for _ in range(10):
        assert _post(browser, "guess", OWNER).status_code == 200
    assert _post(browser, PASSWORD, OWNER).status_code == 422


def test_the_account_page_shows_the_strangers_failed_attempts(app, organizer):
    browser = _known_browser(app)
    _guess_from_ten_addresses(app)
    _post(browser, PASSWORD, OWNER)
    page = browser.get("/organizer/account").get_data(as_text=True)
    failures = page.split('id="failures"')[1].split("</table>")[0]
    assert "203.0.113.10<" in failures and failures.count("<tr>") == 21  # the latest 20
    assert "50 failed attempts in the last 24 hours." in page


@pytest.mark.parametrize("value", ["address=5/15 minutes;account=fifty a day;device=10/hour",
                                   "address=5/15 minutes;device=10/hour",
                                   "address:5/15 minutes;account=50/day;device=10/hour",
                                   "address=5/15 minutes;account=50/day;device=10/hour;planet=1/day"])
def test_a_malformed_login_limits_setting_stops_the_app_naming_it(value):
    with pytest.raises(SettingError, match="LOGIN_LIMITS"):
        create_app({**BASE_OVERRIDES, "LOGIN_LIMITS": value})


def test_login_limits_in_flask_limiter_notation_are_taken(tmp_path):
    app = create_app({**BASE_OVERRIDES, "LOGIN_LIMITS": "address=3 per minute; account=100/day ;device=5/hour"})
    assert app.extensions["eventsvc.login_limits"]["address"].amount == 3
