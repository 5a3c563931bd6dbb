"""Sessions end for real: at logout, after a password change, a disable, "log out everywhere",
and after a long idle time; a copy of the cookie taken before is refused."""

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from eventsvc.services.organizers import create_api_token, create_organizer
from tests.organizer.conftest import PASSWORD

EMAIL = "organizer@oav.example"


def _logged_in(app, address="198.51.100.7"):
    client = app.test_client()
    response = client.post("/organizer/login", data={"email": EMAIL, "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 302
    return client


def _copy_of(app, client):
    """Another browser holding a copy of ``client``'s session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _inside(client) -> bool:
    return client.get("/organizer/events").status_code == 200


def test_a_cookie_copied_before_logout_no_longer_opens_the_organizer_area(app, organizer):
    owner = _logged_in(app)
    thief = _copy_of(app, owner)
    assert _inside(thief)
    owner.post("/organizer/logout")
    assert not _inside(owner)
    response = thief.get("/organizer/events")
    assert response.status_code == 302 and response.headers["Location"].startswith("/organizer/login")


def test_logging_out_one_browser_leaves_the_others_logged_in(app, organizer):
    laptop, phone = _logged_in(app), _logged_in(app, "203.0.113.9")
    laptop.post("/organizer/logout")
    assert _inside(phone)


def test_log_out_everywhere_ends_every_session_of_the_account(app, organizer):
    laptop, phone = _logged_in(app), _logged_in(app, "203.0.113.9")
    thief = _copy_of(app, phone)
    create_organizer("colleague@oav.example", PASSWORD)
    colleague = app.test_client()
    colleague.post("/organizer/login", data={"email": "colleague@oav.example", "password": PASSWORD})
    response = laptop.post("/organizer/account/logout-everywhere")
    assert response.headers["Location"] == "/organizer/login"
    assert not _inside(laptop) and not _inside(phone) and not _inside(thief)
    assert _inside(colleague)
    assert _inside(_logged_in(app))  # the owner logs in again as usual


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, organizer):
    laptop, phone = _logged_in(app), _logged_in(app, "203.0.113.9")
    response = laptop.post("/organizer/account/password", data={
        "current_password": PASSWORD, "new_password": "a new long passphrase",
        "confirm_password": "a new long passphrase"})
    assert response.status_code == 302
    assert _inside(laptop) and not _inside(phone)
    old = app.test_client().post("/organizer/login", data={"email": EMAIL, "password": PASSWORD})
    assert old.status_code == 200
    new = app.test_client().post("/organizer/login", data={"email": EMAIL, "password": "a new long passphrase"})
    assert new.status_code == 302


@pytest.mark.parametrize("data, message", [
    ({"current_password": "wrong one!", "new_password": "a new long passphrase",
      "confirm_password": "a new long passphrase"}, "The current password is wrong."),
    ({"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"},
     "Choose at least 10 characters."),
    ({"current_password": PASSWORD, "new_password": "a new long passphrase",
      "confirm_password": "another long passphrase"}, "The two new passwords differ."),
])
def test_a_password_change_that_cannot_be_made_says_why_and_changes_nothing(app, organizer, data, message):
    laptop, phone = _logged_in(app), _logged_in(app, "203.0.113.9")
    response = laptop.post("/organizer/account/password", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _inside(phone)
    assert app.test_client().post("/organizer/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 302


def test_the_current_password_is_asked_for_in_german(app, organizer):
    laptop = _logged_in(app)
    response = laptop.post("/organizer/account/password?lang=de", data={
        "current_password": "wrong one!", "new_password": "a new long passphrase",
        "confirm_password": "a new long passphrase"})
    assert "Das aktuelle Passwort ist falsch." in response.get_data(as_text=True)


def test_a_disabled_account_loses_its_sessions_and_tokens_at_once(app, organizer):
    browser = _logged_in(app)
    _token, secret = create_api_token(EMAIL, "CRM")
    headers = {"Authorization": f"Bearer {secret}"}
    assert app.test_client().get("/api/v1/events/x/registrations", headers=headers).status_code == 404
    result = app.test_cli_runner().invoke(args=["organizers", "disable", EMAIL])
    assert result.exit_code == 0, result.output
    assert not _inside(browser)
    told = browser.get("/organizer/events?lang=de", follow_redirects=True).get_data(as_text=True)
    assert "Dieses Konto ist gesperrt" in told
    refused = app.test_client().get("/api/v1/events/x/registrations", headers=headers)
    assert refused.status_code == 401 and "data" not in refused.get_json()
    login = app.test_client().post("/organizer/login?lang=zh", data={"email": EMAIL, "password": PASSWORD})
    assert login.status_code == 403 and "此账户已停用" in login.get_data(as_text=True)
    assert app.test_cli_runner().invoke(args=["organizers", "enable", EMAIL]).exit_code == 0
    assert not _inside(browser)  # enabling does not bring the old session back
    assert _inside(_logged_in(app))
    assert app.test_client().get("/api/v1/events/x/registrations", headers=headers).status_code == 404


def test_disable_names_an_unknown_account(app):
    result = app.test_cli_runner().invoke(args=["organizers", "disable", "nobody@oav.example"])
    assert result.exit_code != 0 and "nobody@oav.example" in result.output


class TestIdleSessions:
    @pytest.fixture
    def app_overrides(self):
        return {"ORGANIZER_SESSION_IDLE_MINUTES": 30}

    def test_an_idle_session_expires_and_a_busy_one_does_not(self, app, organizer):
        start = datetime.now(timezone.utc)
        with time_machine.travel(start, tick=False) as clock:
            busy, idle = _logged_in(app), _logged_in(app, "203.0.113.9")
            for _ in range(3):
                clock.shift(timedelta(minutes=20))
                assert _inside(busy)
            assert not _inside(idle)


def test_the_account_page_lists_sign_ins_and_failed_attempts_with_their_addresses(app, organizer):
    stranger = app.test_client()
    stranger.post("/organizer/login", data={"email": EMAIL, "password": "guess"},
                  environ_base={"REMOTE_ADDR": "203.0.113.66"})
    page = _logged_in(app, "198.51.100.7").get("/organizer/account").get_data(as_text=True)
    sign_ins = page.split('id="sign-ins"')[1].split("</table>")[0]
    failures = page.split('id="failures"')[1].split("</table>")[0]
    assert "198.51.100.7" in sign_ins and "203.0.113.66" not in sign_ins
    assert "203.0.113.66" in failures and "198.51.100.7" not in failures


def test_an_old_style_session_cookie_without_a_version_is_refused(app, organizer):
    browser = _logged_in(app)
    with browser.session_transaction() as session:
        session["_user_id"] = str(organizer.id)
    assert not _inside(browser)
