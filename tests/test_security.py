"""Safety headers, the secret key, bad JSON, running behind a TLS proxy (issue 9, items 2 and 5)."""

from __future__ import annotations

import pytest

from eventsvc import create_app
from tests.factories import make_event, make_registration


def test_every_page_carries_a_strict_content_security_policy(app, client):
    make_event(slug="headers")
    for url in ("/", "/events/headers", "/events/headers/register", "/organizer/login", "/privacy",
                "/api/v1/events", "/no-such-page"):
        response = client.get(url)
        policy = response.headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'" and "unsafe-inline" not in policy, url
        assert directives["frame-ancestors"] == "'none'"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in response.headers  # BASE_URL is http in tests


def test_the_registrants_pages_cannot_be_framed_and_keep_the_token_off_other_sites(app, client):
    registration = make_registration(make_event())
    for url in (f"/r/{registration.manage_token}", f"/r/{registration.manage_token}/cancel"):
        response = client.get(url)
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        # same-origin: no Referer to other sites; this site's own forms keep theirs (CSRF on HTTPS).
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_no_template_has_inline_script_or_style(app):
    from pathlib import Path
    import re

    for path in (Path(__file__).parent.parent / "templates").rglob("*.html"):
        if path.parts[-2] == "email":
            continue  # mail is not shown under this site's policy
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert "<style" not in text and " style=" not in text and not re.search(r"\son[a-z]+=", text), path


def test_hsts_when_the_base_url_is_https(database_url, tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
                      "BASE_URL": "https://events.example", "SESSION_COOKIE_SECURE": True})
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("key", [None, "", "development only, not secret"])
def test_the_app_refuses_to_start_outside_testing_without_a_real_secret_key(key, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SECRET_KEY": key, "DEBUG": True})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SECRET_KEY": key})
    assert create_app({"SECRET_KEY": key, "TESTING": True}).config["SECRET_KEY"]


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
                                  b"\xff\xfe\x00garbage", b'{"email": "\xed\xa0\x80"}', b"1" + b"0" * 5000])
def test_any_body_the_json_parser_cannot_take_is_a_400(app, client, body):
    make_event(slug="json-body")
    response = client.post("/api/v1/events/json-body/registrations", data=body,
                           content_type="application/json")
    assert response.status_code == 400
    assert response.is_json


def _fail_logins(client, count: int, forwarded_for: str, proxy: str = "10.0.0.1"):
    """Failed logins for ``count`` different accounts, as sent through the proxy at ``proxy``."""
    statuses = []
    for n in range(count):
        statuses.append(client.post(
            "/organizer/login", data={"email": f"nobody{n}@oav.example", "password": "guess"},
            headers={"X-Forwarded-For": forwarded_for}, environ_base={"REMOTE_ADDR": proxy},
        ).status_code)
    return statuses


class TestBehindOneProxy:
    @pytest.fixture
    def app_overrides(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                "PROXY_FIX_X_FOR": 1, "PROXY_FIX_X_PROTO": 1}

    def test_limits_count_each_client_not_the_proxy(self, app):
        allowed = app.extensions["eventsvc.login_limits"]["address"].amount
        client = app.test_client()
        assert set(_fail_logins(client, allowed, "203.0.113.5")) == {200}
        assert _fail_logins(client, 1, "203.0.113.5") == [422]  # a proof-of-work challenge first
        assert _fail_logins(client, 1, "198.51.100.9") == [200]  # another client, the same proxy

    def test_the_client_address_and_scheme_come_from_the_proxy(self, app):
        from flask import request

        app.add_url_rule("/_seen", "seen", lambda: f"{request.remote_addr} {request.scheme}")
        response = app.test_client().get("/_seen", environ_base={"REMOTE_ADDR": "10.0.0.1"}, headers={
            "X-Forwarded-For": "203.0.113.5", "X-Forwarded-Proto": "https"})
        assert response.get_data(as_text=True) == "203.0.113.5 https"


class TestWithoutProxySettings:
    @pytest.fixture
    def app_overrides(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}

    def test_a_forged_forwarded_for_does_not_escape_the_limits(self, app):
        allowed = app.extensions["eventsvc.login_limits"]["address"].amount
        client = app.test_client()
        _fail_logins(client, allowed, "203.0.113.5", proxy="192.0.2.1")
        assert _fail_logins(client, 1, "198.51.100.9", proxy="192.0.2.1") == [422]


@pytest.mark.parametrize("body", [b"1", b"[]", b'"text"', b'{"email": ["a"]}'])
def test_a_json_body_on_a_page_form_is_a_400(app, client, body):
    """Found by the fuzzing tests: Flask-WTF read a JSON scalar as form data and failed with a 500."""
    make_event(slug="json-form")
    for url in ("/events/json-form/register", "/organizer/login"):
        response = client.post(url, data=body, content_type="application/json")
        assert response.status_code == 400, url


def test_a_session_cookie_from_before_is_still_read_and_new_ones_are_signed_uncompressed(app):
    from flask.sessions import SecureCookieSessionInterface

    with app.test_request_context():
        # A cookie as Flask's own interface wrote it (zlib-compressed when that is shorter).
        old = SecureCookieSessionInterface().get_signing_serializer(app).dumps({"registered_email": "a" * 80})
        assert old.startswith(".")
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], old)
    event = make_event()
    page = client.get(f"/events/{event.slug}/registered?lang=en").get_data(as_text=True)
    assert f"A mail to {'a' * 80} is on its way" in page
    client.post(f"/events/{event.slug}/register?lang=en", data={
        "email": "li@example.com", "family_name": "Wang", "given_name": "Li", "language": "en",
        "privacy_consent": "y"})
    new = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert not new.startswith(".")
    with app.test_request_context():
        assert app.session_interface.get_signing_serializer(app).loads(new)["registered_email"] == "li@example.com"
