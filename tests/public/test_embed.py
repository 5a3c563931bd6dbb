"""The registration form embedded on another site: who may frame it, and its cookie-free CSRF."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from eventsvc import create_app
from eventsvc.extensions import db
from eventsvc.models import Registration
from tests.factories import make_event

OAV = "https://www.oav.de"


@pytest.fixture
def app_overrides():
    return {"EMBED_ORIGINS": [OAV, "http://127.0.0.2:8000"]}


def token_of(page: str) -> str:
    return re.search(r'name="embed_token" value="([^"]+)"', page).group(1)


def registrations() -> int:
    count = db.session.scalar(select(func.count()).select_from(Registration))
    db.session.rollback()
    return count


def form(token: str, **fields) -> dict:
    return {"embed_token": token, "email": "li.wang@example.cn", "family_name": "王", "given_name": "丽",
            "language": "zh", "privacy_consent": "y", **fields}


def test_only_the_embed_origins_may_frame_the_form_and_every_other_page_refuses(client):
    event = make_event()
    embed = client.get(f"/events/{event.slug}/embed")
    assert embed.status_code == 200
    assert "frame-ancestors https://www.oav.de http://127.0.0.2:8000;" in embed.headers["Content-Security-Policy"] + ";"
    assert "X-Frame-Options" not in embed.headers
    for path in ("/", f"/events/{event.slug}", f"/events/{event.slug}/register", "/organizer/login"):
        response = client.get(path)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
        assert response.headers["X-Frame-Options"] == "DENY"


def test_without_embed_origins_nobody_may_frame_it(app):
    other = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "BASE_URL")},
                        "TESTING": True, "EMBED_ORIGINS": []})
    slug = make_event().slug
    db.session.rollback()  # SQLite: hold no write lock while the other app reads
    response = other.test_client().get(f"/events/{slug}/embed")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_a_malformed_embed_origin_stops_the_app_naming_the_setting(monkeypatch):
    monkeypatch.setenv("EMBED_ORIGINS", "https://www.oav.de/events")
    with pytest.raises(ValueError, match="EMBED_ORIGINS"):
        create_app({"TESTING": True})


def test_registering_in_the_frame_needs_no_cookie_and_answers_in_place(client):
    event = make_event(title={"en": "Berlin", "zh": "柏林", "de": "Berlin"})
    page = client.get(f"/events/{event.slug}/embed?lang=zh&parent={OAV}")
    html = page.get_data(as_text=True)
    assert "柏林" in html and 'data-parent-origin="https://www.oav.de"' in html
    assert "csrf_token" not in html
    client.delete_cookie("lang")  # a browser that blocks third-party cookies keeps none

    answer = client.post(f"/events/{event.slug}/embed?lang=zh", data=form(token_of(html)),
                         headers={"Origin": "http://events.test"})
    assert answer.status_code == 200
    assert "请查收邮件" in answer.get_data(as_text=True)
    assert "Set-Cookie" not in answer.headers
    assert registrations() == 1


def test_a_parent_not_in_embed_origins_is_told_nothing(client):
    event = make_event()
    html = client.get(f"/events/{event.slug}/embed?parent=https://evil.example").get_data(as_text=True)
    assert "data-parent-origin" not in html


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Referer": "https://evil.example/page"},
    {},
])
def test_a_post_from_another_site_stores_nothing(client, headers):
    event = make_event()
    token = token_of(client.get(f"/events/{event.slug}/embed?lang=en").get_data(as_text=True))
    answer = client.post(f"/events/{event.slug}/embed?lang=en", data=form(token), headers=headers)
    assert answer.status_code == 403
    assert "This form may only be sent from this site" in answer.get_data(as_text=True)
    assert registrations() == 0


def test_a_post_from_an_embedding_site_itself_is_accepted(client):
    event = make_event()
    token = token_of(client.get(f"/events/{event.slug}/embed").get_data(as_text=True))
    answer = client.post(f"/events/{event.slug}/embed", data=form(token), headers={"Origin": OAV})
    assert answer.status_code == 200 and registrations() == 1


def test_a_missing_forged_old_or_other_events_token_stores_nothing(client):
    import time_machine as tm

    event, other = make_event(), make_event()
    good = token_of(client.get(f"/events/{event.slug}/embed").get_data(as_text=True))
    foreign = token_of(client.get(f"/events/{other.slug}/embed").get_data(as_text=True))
    with tm.travel("2020-01-01 12:00", tick=False):
        old = token_of(client.get(f"/events/{event.slug}/embed").get_data(as_text=True))
    for token in ("", good[:-3] + "AAA", foreign, old):
        answer = client.post(f"/events/{event.slug}/embed?lang=en", data=form(token),
                             headers={"Origin": "http://events.test"})
        assert answer.status_code == 400
        assert "The form was open for too long" in answer.get_data(as_text=True)
    assert registrations() == 0


def test_the_form_keeps_the_full_forms_rules(client):
    event = make_event(capacity=0, waitlist_enabled=False)
    token = token_of(client.get(f"/events/{event.slug}/embed?lang=de").get_data(as_text=True))
    headers = {"Origin": "http://events.test"}
    bad = client.post(f"/events/{event.slug}/embed?lang=de", data=form(token, email="nope"), headers=headers)
    assert bad.status_code == 422
    assert "Bitte" in bad.get_data(as_text=True)
    full = client.post(f"/events/{event.slug}/embed?lang=de", data=form(token), headers=headers)
    assert full.status_code == 409
    assert registrations() == 0


def test_the_loader_script_is_served(client):
    response = client.get("/embed.js")
    assert response.status_code == 200 and "javascript" in response.mimetype
    body = response.get_data(as_text=True)
    assert "/embed" in body and "postMessage" not in body  # it listens; the frame speaks
    response.close()
