"""The API that writes: events from an events-file record, cancellations, and scopes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import Event, OutboundMail, Registration
from eventsvc.services.access import grant
from eventsvc.services.organizers import create_api_token, create_organizer
from tests.factories import make_event, make_registration

RECORD = {
    "status": "published", "title": {"en": "Munich", "zh": "慕尼黑", "de": "München"},
    "venue": {"en": "IHK Munich"}, "city": "Munich", "country": "DE", "timezone": "Europe/Berlin",
    "starts_at": "2030-05-20T18:00:00", "ends_at": "2030-05-20T21:00:00", "capacity": 80,
    "languages": ["de", "en"],
}


def token(scope: str, role: str = "admin", event=None) -> dict:
    email = f"{scope}-{role}-{event.slug if event else 'all'}@oav.example"
    create_organizer(email, "long enough password", role=role)
    if event is not None and role != "admin":
        from eventsvc.services.organizers import find_organizer
        grant(find_organizer(email), event)
    _row, secret = create_api_token(email, "tests", event=event, scope=scope)
    return {"Authorization": f"Bearer {secret}"}


def stored(slug: str):
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    db.session.rollback()
    return event


def test_a_write_token_creates_and_updates_an_event_from_an_events_file_record(client):
    headers = token("write")
    created = client.put("/api/v1/events/munich-2030", json=RECORD, headers=headers)
    assert created.status_code == 201
    assert created.get_json()["starts_at"] == "2030-05-20T18:00:00+02:00"
    assert created.get_json()["status"] == "published"
    updated = client.put("/api/v1/events/munich-2030", json={**RECORD, "capacity": 120}, headers=headers)
    assert updated.status_code == 200 and updated.get_json()["capacity"] == 120
    assert stored("munich-2030").capacity == 120


def test_an_invalid_record_answers_422_with_every_problem_and_stores_nothing(client):
    headers = token("write")
    bad = {**RECORD, "country": "FR", "timezone": "Mars/Olympus", "capacity": -3, "title": {"zh": "只有中文"},
           "colour": "red"}
    response = client.put("/api/v1/events/munich-2030", json=bad, headers=headers)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"country", "timezone", "capacity", "title.en", "colour"}
    assert all(isinstance(messages, list) and messages for messages in errors.values())
    assert stored("munich-2030") is None

    event = make_event(slug="existing", capacity=10)
    before = (event.capacity, event.title)
    response = client.put("/api/v1/events/existing", json={**RECORD, "ends_at": "2030-05-20T17:00:00"},
                          headers=headers)
    assert response.status_code == 422 and response.get_json()["errors"] == {"ends_at": ["is before starts_at"]}
    assert (stored("existing").capacity, stored("existing").title) == before
    for body in ([1, 2], "text"):
        assert client.put("/api/v1/events/existing", json=body, headers=headers).status_code == 422
    assert client.put("/api/v1/events/existing", json={**RECORD, "slug": "other"}, headers=headers).status_code == 422


def test_a_write_token_cancels_a_registration_and_the_next_in_line_gets_the_seat(client):
    event = make_event(slug="full", capacity=1)
    first = make_registration(event, email="first@example.com")
    second = make_registration(event, email="second@example.com")
    first_id, second_row = first.public_id, second.id
    db.session.rollback()
    headers = token("write")
    response = client.post(f"/api/v1/events/full/registrations/{first_id}/cancel", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["id"] == first_id and response.get_json()["status"] == "cancelled"
    assert db.session.get(Registration, second_row).status == "confirmed"
    kinds = {m.kind for m in db.session.scalars(select(OutboundMail))}
    assert {"cancelled", "promoted"} <= kinds
    db.session.rollback()
    again = client.post(f"/api/v1/events/full/registrations/{first_id}/cancel", headers=headers)
    assert again.status_code == 200 and again.get_json()["status"] == "cancelled"


@pytest.mark.parametrize("scope", ["read", "checkin"])
def test_read_and_checkin_tokens_get_403_on_writes(client, scope):
    event = make_event(slug="berlin")
    registration_id = make_registration(event).public_id
    headers = token(scope, role="admin" if scope == "read" else "checkin", event=event if scope == "checkin" else None)
    put = client.put("/api/v1/events/berlin", json=RECORD, headers=headers)
    post = client.post(f"/api/v1/events/berlin/registrations/{registration_id}/cancel", headers=headers)
    for response in (put, post):
        assert response.status_code == 403
        assert response.get_json()["error"] == "insufficient_scope"
    assert stored("berlin").city == "Berlin"
    assert db.session.scalar(select(Registration.status)) == "confirmed"


def test_a_token_reaches_only_its_events(client):
    mine, theirs = make_event(slug="mine"), make_event(slug="theirs")
    theirs_registration = make_registration(theirs).public_id
    headers = token("write", role="organizer", event=mine)
    assert client.put("/api/v1/events/theirs", json=RECORD, headers=headers).status_code == 404
    assert client.post(f"/api/v1/events/theirs/registrations/{theirs_registration}/cancel",
                       headers=headers).status_code == 404
    assert client.put("/api/v1/events/brand-new", json=RECORD, headers=headers).status_code == 403
    assert client.put("/api/v1/events/mine", json={**RECORD, "city": "Munich"}, headers=headers).status_code == 200
    assert client.post("/api/v1/events/mine/registrations/no-such-id/cancel", headers=headers).status_code == 404


def test_the_writes_are_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert "put" in document["paths"]["/events/{slug}"]
    assert "post" in document["paths"]["/events/{slug}/registrations/{registration_id}/cancel"]
    assert "422" in document["paths"]["/events/{slug}"]["put"]["responses"]
