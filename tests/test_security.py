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
