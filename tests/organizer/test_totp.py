"""Two factors: an authenticator app (TOTP) and recovery codes; codes computed here with pyotp."""

import re
import time
from datetime import datetime, timedelta, timezone

import pyotp
import pytest
import time_machine

from eventsvc.extensions import db
from eventsvc.models import Organizer
from tests.organizer.conftest import PASSWORD

EMAIL = "organizer@oav.example"


def _enrol(client) -> tuple[pyotp.TOTP, list[str]]:
    """Set up the app through the pages, as an organizer would; returns the app and the codes."""
    assert client.post("/organizer/account/two-factor/totp").status_code == 302
    page = client.get("/organizer/account/two-factor/totp").get_data(as_text=True)
    assert "<svg" in page  # the QR code
    uri = re.search(r'id="otpauth-uri">([^<]+)<', page).group(1).replace("&amp;", "&")
    assert uri.startswith("otpauth://totp/") and "OAV" in uri
    app = pyotp.parse_uri(uri)
    response = client.post("/organizer/account/two-factor/totp/confirm", data={"code": app.now()})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", response.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    return app, codes


def _next_code(totp: pyotp.TOTP) -> str:
    """The app's next code (the current one was taken at enrolment; each code works once)."""
    return totp.at(time.time() + 30)


def _password(client, lang="en"):
    return client.post(f"/organizer/login?lang={lang}", data={"email": EMAIL, "password": PASSWORD})


def _inside(client) -> bool:
    return client.get("/organizer/events").status_code == 200


@pytest.fixture
def enrolled(app, organizer_client):
    return _enrol(organizer_client)


def test_after_enrolment_the_password_alone_does_not_open_the_account(app, enrolled):
    totp, _codes = enrolled
    thief = app.test_client()
    response = _password(thief)
    assert response.status_code == 302 and response.headers["Location"] == "/organizer/login"
    page = thief.get("/organizer/login").get_data(as_text=True)
    assert 'name="code"' in page and 'name="password"' not in page
    assert not _inside(thief)
    assert thief.post("/organizer/login", data={"code": _next_code(totp)}).status_code == 302
    assert _inside(thief)


def test_each_code_works_once(app, enrolled):
    totp, _codes = enrolled
    start = datetime.now(timezone.utc) + timedelta(minutes=5)  # past the step used at enrolment
    with time_machine.travel(start, tick=False):
        code = totp.now()
        first = app.test_client()
        _password(first)
        assert first.post("/organizer/login", data={"code": code}).status_code == 302
        second = app.test_client()
        _password(second, "de")
        response = second.post("/organizer/login?lang=de", data={"code": code})
        assert response.status_code == 422
        assert "Dieser Code wurde bereits verwendet" in response.get_data(as_text=True)
        assert not _inside(second)


def test_a_wrong_code_says_so_in_chinese_and_counts_as_a_failed_attempt(app, organizer_client, enrolled):
    totp, _codes = enrolled
    client = app.test_client()
    _password(client, "zh")
    wrong = f"{(int(totp.now()) + 1) % 1000000:06d}"
    response = client.post("/organizer/login?lang=zh", data={"code": wrong})
    assert response.status_code == 422 and "验证码不正确" in response.get_data(as_text=True)
    assert not _inside(client)
    page = organizer_client.get("/organizer/account?lang=en").get_data(as_text=True)
    assert "the second factor" in page.split('id="failures"')[1]


def test_recovery_codes_work_once_each(app, enrolled):
    _totp, codes = enrolled
    client = app.test_client()
    _password(client)
    assert client.post("/organizer/login", data={"code": codes[0].upper()}).status_code == 302
    again = app.test_client()
    _password(again)
    assert again.post("/organizer/login", data={"code": codes[0]}).status_code == 422
    assert again.post("/organizer/login", data={"code": codes[1]}).status_code == 302


def test_five_wrong_codes_send_the_guesser_back_to_the_password(app, enrolled):
    client = app.test_client()
    _password(client)
    for _ in range(4):
        assert client.post("/organizer/login", data={"code": "000000"}).status_code == 422
    response = client.post("/organizer/login", data={"code": "000000"})
    assert response.status_code == 302
    assert 'name="password"' in client.get("/organizer/login").get_data(as_text=True)


def test_a_wrong_code_at_enrolment_changes_nothing(app, organizer_client):
    organizer_client.post("/organizer/account/two-factor/totp")
    response = organizer_client.post("/organizer/account/two-factor/totp/confirm", data={"code": "12345x"})
    assert response.status_code == 422 and "The code is wrong" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.query(Organizer).one().totp_enabled_at is None
    assert _password(app.test_client()).headers["Location"] == "/organizer/events"


def test_turning_the_app_off_needs_the_password(app, organizer_client, enrolled):
    organizer_client.post("/organizer/account/two-factor/totp/disable", data={"password": "wrong"})
    assert _password(app.test_client()).headers["Location"] == "/organizer/login"
    organizer_client.post("/organizer/account/two-factor/totp/disable", data={"password": PASSWORD})
    assert _password(app.test_client()).headers["Location"] == "/organizer/events"


class TestRequired:
    @pytest.fixture
    def app_overrides(self):
        return {"ORGANIZER_REQUIRE_2FA": True}

    def test_every_account_enrols_at_its_next_login(self, app, organizer):
        client = app.test_client()
        response = _password(client)
        assert response.headers["Location"] == "/organizer/account/two-factor"
        assert client.get("/organizer/events").headers["Location"] == "/organizer/account/two-factor"
        totp, _codes = _enrol(client)
        assert _inside(client)
        other = app.test_client()
        _password(other)
        assert other.post("/organizer/login", data={"code": _next_code(totp)}).status_code == 302
