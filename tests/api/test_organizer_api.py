"""API v1 for organizers: tokens, events, registrations with cursor pages, OpenAPI."""

import re

import pytest

from eventsvc.services.organizers import create_api_token, create_organizer, revoke_api_token
from eventsvc.services.registration import cancel
from tests.factories import make_event, make_registration


@pytest.fixture
def token(app):
    create_organizer("api@oav.example", "long enough password")
    _row, secret = create_api_token("api@oav.example", "tests")
    return secret


def _auth(secret):
    return {"Authorization": f"Bearer {secret}"}


def test_missing_wrong_or_revoked_token_gets_401_and_no_data(app, client, token):
    event = make_event(slug="secret-list")
    make_registration(event)
    url = "/api/v1/events/secret-list/registrations"
    for headers in ({}, _auth("evs_wrong"), {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}):
        response = client.get(url, headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="eventsvc"')
        assert "data" not in response.get_json() and "@example.com" not in response.get_data(as_text=True)
    assert client.get(url, headers=_auth(token)).status_code == 200
    from eventsvc.models import ApiToken
    from eventsvc.extensions import db

    row = db.session.scalar(db.select(ApiToken))
    revoke_api_token(row.organizer, row.id)
    assert client.get(url, headers=_auth(token)).status_code == 401


def test_events_are_public_when_published_and_all_with_a_token(app, client, token):
    make_event(slug="open-one", title={"en": "Open", "zh": "公开"})
    make_event(slug="draft-one", status="draft")
    public = client.get("/api/v1/events").get_json()["data"]
    assert [e["slug"] for e in public] == ["open-one"] and public[0]["title"]["zh"] == "公开"
    assert public[0]["starts_at"].endswith(("+01:00", "+02:00"))
    everything = client.get("/api/v1/events", headers=_auth(token)).get_json()["data"]
    assert {e["slug"] for e in everything} == {"open-one", "draft-one"}
    assert client.get("/api/v1/events", headers=_auth("evs_wrong")).status_code == 401


def test_registrations_come_in_cursor_pages_with_a_status_filter(app, client, token):
    event = make_event(slug="paged")
    people = [make_registration(event, email=f"p{n}@example.com") for n in range(7)]
    cancel(people[3].id)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/events/paged/registrations", query_string=params, headers=_auth(token)).get_json()
        seen += [r["email"] for r in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"p{n}@example.com" for n in range(7)] and pages == 3
    cancelled = client.get("/api/v1/events/paged/registrations?status=cancelled", headers=_auth(token)).get_json()
    assert [r["email"] for r in cancelled["data"]] == ["p3@example.com"] and cancelled["next_cursor"] is None
    assert cancelled["data"][0]["cancelled_at"] is not None


def test_bad_parameters_are_400_and_unknown_event_404(app, client, token):
    make_event(slug="params")
    base = "/api/v1/events/params/registrations"
    for query in ("limit=0", "limit=501", "limit=ten", "status=maybe", "cursor=%%%", "cursor=eDox"):
        response = client.get(f"{base}?{query}", headers=_auth(token))
        assert response.status_code == 400, query
        assert response.get_json()["errors"]
    assert client.get("/api/v1/events/none/registrations", headers=_auth(token)).status_code == 404


def test_openapi_document_describes_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert method.lower() in paths[path], (method, path)
    post = paths["/events/{slug}/registrations"]["post"]
    fields = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(document["components"]["schemas"][fields]["properties"]) == {
        "email", "family_name", "given_name", "organization", "job_title", "language",
        "privacy_consent", "marketing_consent", "altcha"}
    assert {"201", "400", "404"} <= set(post["responses"])


def test_a_token_carries_its_owners_access_and_can_be_narrowed_to_one_event(app, client):
    from eventsvc.services.access import grant
    from eventsvc.services.events import find_event
    from eventsvc.services.organizers import find_organizer

    mine, other_mine, their_draft = (make_event(slug=s, status="draft") for s in ("mine", "other-mine", "their-draft"))
    theirs = make_event(slug="theirs")
    make_registration(theirs, email="secret@example.com")
    create_organizer("second@oav.example", "long enough password", role="organizer")
    grant(find_organizer("second@oav.example"), mine)
    grant(find_organizer("second@oav.example"), other_mine)
    _row, broad = create_api_token("second@oav.example", "all mine")
    _row, narrow = create_api_token("second@oav.example", "one", find_event("mine"))
    slugs = {e["slug"] for e in client.get("/api/v1/events", headers=_auth(broad)).get_json()["data"]}
    assert slugs == {"mine", "other-mine", "theirs"}  # published events are public anyway
    assert client.get("/api/v1/events/mine/registrations", headers=_auth(broad)).status_code == 200
    theirs_list = client.get("/api/v1/events/theirs/registrations", headers=_auth(broad))
    assert theirs_list.status_code == 404 and "secret@example.com" not in theirs_list.get_data(as_text=True)
    assert client.get("/api/v1/events/mine/registrations", headers=_auth(narrow)).status_code == 200
    assert client.get("/api/v1/events/other-mine/registrations", headers=_auth(narrow)).status_code == 404
    slugs = {e["slug"] for e in client.get("/api/v1/events", headers=_auth(narrow)).get_json()["data"]}
    assert slugs == {"mine", "theirs"}


def test_a_token_expires_after_a_year_unless_told_otherwise(app, client):
    from datetime import timedelta

    from eventsvc.models.types import utcnow

    make_event(slug="expiring")
    create_organizer("exp@oav.example", "long enough password")
    row, secret = create_api_token("exp@oav.example", "sync")
    assert timedelta(days=364) < row.expires_at - utcnow() <= timedelta(days=365)
    url = "/api/v1/events/expiring/registrations"
    assert client.get(url, headers=_auth(secret)).status_code == 200
    _row, old = create_api_token("exp@oav.example", "old", days=1, now=utcnow() - timedelta(days=2))
    response = client.get(url, headers=_auth(old))
    assert response.status_code == 401 and 'error="invalid_token"' in response.headers["WWW-Authenticate"]
