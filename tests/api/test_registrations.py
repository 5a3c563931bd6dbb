"""POST /api/v1/events/<slug>/registrations: JSON in, the same rules as the form."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import OutboundMail, Registration
from tests.factories import make_event, make_registration

BODY = {"email": "Anna.Schmidt@example.com", "family_name": "Schmidt", "given_name": "Anna",
        "organization": "Volkswagen", "job_title": "Manager", "language": "de", "privacy_consent": True}


def url(event) -> str:
    return f"/api/v1/events/{event.slug}/registrations"


def test_created_and_received_without_an_id(client):
    event = make_event()
    response = client.post(url(event), json={**BODY, "marketing_consent": True})
    assert response.status_code == 201
    registration = db.session.scalar(select(Registration))
    assert response.get_json() == {"status": "received"}
    assert registration.email == "anna.schmidt@example.com" and registration.language == "de"
    # The follow-up consent only counts once confirmed: a second mail asks for that.
    assert registration.marketing_consent and [m.kind for m in registration.mails] == ["confirmation", "consent"]


def test_a_known_address_gets_the_same_answer_and_nothing_new(client):
    event = make_event(capacity=1)
    first = client.post(url(event), json=BODY)
    make_registration(event)  # the event is now full: a new address would be waitlisted
    again = client.post(url(event), json={**BODY, "email": "ANNA.SCHMIDT@example.com"})
    assert again.status_code == first.status_code == 201
    assert again.get_json() == first.get_json()  # no "confirmed" vs "waitlisted" to tell them apart
    assert db.session.query(Registration).count() == 2
    kinds = db.session.scalars(select(OutboundMail.kind).order_by(OutboundMail.id)).all()
    assert kinds.count("already_registered") == 1


@pytest.mark.parametrize("language, message", [
    ("en", "Please enter your family name."), ("zh", "请填写您的姓。"), ("de", "Bitte geben Sie Ihren Nachnamen ein."),
])
def test_errors_per_field_in_the_callers_language(client, language, message):
    event = make_event()
    response = client.post(url(event), json={**BODY, "family_name": "", "email": "nope", "privacy_consent": False,
                                               "job_title": "x" * 201},
                           headers={"Accept-Language": language})
    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert set(errors) == {"family_name", "email", "privacy_consent", "job_title"}
    assert errors["family_name"] == [message]
    assert db.session.query(Registration).count() == 0


@pytest.mark.parametrize("body", [b"{\"family_name\": \"a\\u0000b\"}", b"not json", b"[1, 2]", b'"text"', b"{\"email\": {\"a\": 1}}", b""])
def test_malformed_bodies_are_a_400_not_a_500(client, body):
    response = client.post(url(make_event()), data=body, content_type="application/json")
    assert response.status_code == 400 and "errors" in response.get_json()


def test_unknown_draft_and_closed_events(client):
    assert client.post("/api/v1/events/nope/registrations", json=BODY).status_code == 404
    assert client.post(url(make_event(status="draft")), json=BODY).status_code == 404
    closed = client.post(url(make_event(status="cancelled")), json=BODY)
    assert closed.status_code == 409 and closed.get_json()["error"] == "registration_closed"
    full = make_event(capacity=0, waitlist_enabled=False)
    assert client.post(url(full), json=BODY).get_json()["error"] == "event_full"
    assert db.session.query(Registration).count() == 0


