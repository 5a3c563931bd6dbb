"""Logging in and out; every organizer page and API route refuses an anonymous visitor."""

import re

import pytest

from eventsvc.organizer.routes import PUBLIC_ENDPOINTS
from tests.organizer.conftest import PASSWORD

#: API routes anyone may call: the published events, the API description, registering.
PUBLIC_API = {("GET", "/api/v1/events"), ("GET", "/api/v1/openapi.json"),
              ("POST", "/api/v1/events/<slug>/registrations"), ("GET", "/api/v1/challenge")}


def _example_path(rule) -> str:
    return re.sub(r"<(?:int(?:\([^)]*\))?:)?(\w+)>", lambda m: "1" if m.group(0).startswith("<int") else "x", rule.rule)


def test_every_organizer_page_sends_an_anonymous_visitor_to_login(app, client):
    # The login page, the door's service worker script (which holds nothing private), the password
    # reset and the login's passkey step are public.
    rules = [r for r in app.url_map.iter_rules()
             if r.endpoint.startswith("organizer.") and r.endpoint not in PUBLIC_ENDPOINTS]
    assert PUBLIC_ENDPOINTS == {"organizer.login", "organizer.door_service_worker", "organizer.password_reset",
                                "organizer.password_reset_link", "organizer.login_passkey_options",
                                "organizer.login_passkey"}
    assert len(rules) > 15
    for rule in rules:
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(_example_path(rule), method=method)
            assert response.status_code == 302, (method, rule.rule)
            assert response.headers["Location"].startswith("/organizer/login"), (method, rule.rule)


def test_every_organizer_api_route_refuses_without_a_token(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (method, rule.rule) in PUBLIC_API:
                continue
            response = client.open(_example_path(rule), method=method)
            assert response.status_code == 401, (method, rule.rule)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            assert "data" not in response.get_json()
            checked += 1
    assert checked >= 1


def test_login_then_logout(app, client, organizer):
    page = client.get("/organizer/login")
    assert page.status_code == 200 and 'name="password"' in page.get_data(as_text=True)
    response = client.post("/organizer/login?next=/organizer/mail",
                           data={"email": " ORGANIZER@oav.example", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/organizer/mail"
    assert client.get("/organizer/events").status_code == 200
    assert client.post("/organizer/logout").headers["Location"] == "/organizer/login"
    assert client.get("/organizer/events").status_code == 302


def test_wrong_password_says_so_and_never_redirects_elsewhere(app, client, organizer):
    response = client.post("/organizer/login", data={"email": "organizer@oav.example", "password": "nope"})
    assert response.status_code == 200
    assert "The address or the password is wrong." in response.get_data(as_text=True)
    response = client.post("/organizer/login?next=https://evil.example/",
                           data={"email": "organizer@oav.example", "password": PASSWORD})
    assert response.headers["Location"] == "/organizer/events"


def test_login_page_in_chinese(app, client):
    assert "组织者登录" in client.get("/organizer/login?lang=zh").get_data(as_text=True)


class TestRateLimit:
    """The whole of the login guard is in test_login_guard.py; here what the old limits promised."""

    @pytest.fixture
    def app_overrides(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}

    def test_successes_do_not_count_and_guesses_from_one_address_lead_to_a_challenge(self, app, client, organizer):
        for _ in range(3):  # successful logins are not counted against anyone
            assert client.post("/organizer/login", data={"email": "organizer@oav.example",
                                                         "password": PASSWORD}).status_code == 302
            client.post("/organizer/logout")
        stranger = app.test_client()
        for _ in range(5):
            response = stranger.post("/organizer/login", data={"email": "organizer@oav.example", "password": "guess"})
            assert response.status_code == 200
        challenged = stranger.post("/organizer/login", data={"email": "organizer@oav.example", "password": PASSWORD})
        assert challenged.status_code == 422 and 'id="altcha"' in challenged.get_data(as_text=True)

    def test_a_stranger_cannot_lock_out_an_organizer_who_logs_in_from_elsewhere(self, app, organizer):
        attacker = app.test_client()
        for _ in range(10):
            attacker.post("/organizer/login", data={"email": "organizer@oav.example", "password": "guess"},
                          environ_base={"REMOTE_ADDR": "203.0.113.66"})
        office = app.test_client()
        response = office.post("/organizer/login", data={"email": "organizer@oav.example", "password": PASSWORD},
                               environ_base={"REMOTE_ADDR": "198.51.100.7"})
        assert response.status_code == 302


@pytest.mark.parametrize("target", ["/%09/evil.example", "/\\evil.example", "//evil.example", "https://evil.example",
                                    "/\t/evil.example", "///evil.example", " //evil.example", "/.//evil.example"])
def test_after_login_next_never_leads_off_site(app, client, organizer, target):
    from urllib.parse import unquote, urlsplit

    response = client.post("/organizer/login?next=" + target,
                           data={"email": "organizer@oav.example", "password": PASSWORD})
    if response.status_code == 400:
        return
    location = response.headers["Location"]
    # What a browser makes of it: tabs and newlines dropped, backslashes read as slashes.
    seen = unquote(location).replace("\t", "").replace("\n", "").replace("\\", "/")
    assert seen.startswith("/") and not seen.startswith("//") and not urlsplit(seen).netloc


@pytest.mark.parametrize("target", ["/organizer/mail%0A", "/organizer/%0D%0ASet-Cookie:x=1", "/%09/evil.example"])
def test_a_control_character_in_next_is_a_400(app, client, organizer, target):
    for method in (client.get, client.post):
        response = method("/organizer/login?next=" + target,
                          data={"email": "organizer@oav.example", "password": PASSWORD})
        assert response.status_code == 400


def test_a_stranger_is_told_to_log_in_and_then_led_back(app, client, organizer):
    response = client.get("/organizer/mail?status=failed", follow_redirects=True)
    assert "Please log in to see the organizer pages." in response.get_data(as_text=True)
    assert response.request.args["next"] == "/organizer/mail?status=failed"
    after = client.post("/organizer/login", query_string={"next": response.request.args["next"]},
                        data={"email": "organizer@oav.example", "password": PASSWORD})
    assert after.headers["Location"] == "/organizer/mail?status=failed"
