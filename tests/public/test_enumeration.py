"""No enumeration: the form and the API answer a registered address exactly as a new one, in
every state of the event (open, full with a waiting list, full without one, closed), and never
hand out the id of an earlier registration (SQLite, then PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import OutboundMail, Registration
from eventsvc.models.types import utcnow
from tests.factories import make_event, make_registration

KNOWN, NEW = "known.person@example.com", "new.person@example.com"
STATES = ["open", "waiting_list", "full", "closed"]


def _event_in(state: str):
    """An event in ``state`` where KNOWN holds a live registration."""
    capacity = {"open": None, "waiting_list": 1, "full": 1, "closed": None}[state]
    event = make_event(capacity=capacity, waitlist_enabled=state != "full")
    known = make_registration(event, email=KNOWN)
    if state == "closed":
        event.registration_closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    return event, known


def _fields(email: str, n: int) -> dict:
    return {"email": email, "family_name": "Lee", "given_name": f"Tom{n}", "organization": "Bosch",
            "job_title": "Buyer", "language": "en", "privacy_consent": "y"}


@pytest.mark.parametrize("state", STATES)
def test_the_api_answers_a_registered_and_a_new_address_alike(app, client, state):
    event, known = _event_in(state)
    url = f"/api/v1/events/{event.slug}/registrations"
    answers = [client.post(url, json={**_fields(email, 1), "privacy_consent": True}) for email in (KNOWN, NEW)]
    assert answers[0].status_code == answers[1].status_code < 500
    assert answers[0].get_json() == answers[1].get_json()
    assert known.public_id not in answers[0].get_data(as_text=True)


@pytest.mark.parametrize("state", STATES)
def test_the_form_answers_a_registered_and_a_new_address_alike(app, client, state):
    event, known = _event_in(state)
    url = f"/events/{event.slug}/register"
    answers = [client.post(url, data=_fields(email, 1)) for email in (KNOWN, NEW)]
    assert answers[0].status_code == answers[1].status_code < 500
    assert answers[0].headers.get("Location") == answers[1].headers.get("Location")
    pages = [a.get_data(as_text=True).replace(email, "ADDRESS") for a, email in zip(answers, (KNOWN, NEW))]
    assert pages[0] == pages[1]
    assert known.public_id not in pages[0] and known.manage_token not in pages[0]


def test_on_a_full_event_the_registered_address_still_gets_its_own_link_by_mail(app, client):
    event, known = _event_in("full")
    response = client.post(f"/api/v1/events/{event.slug}/registrations",
                           json={**_fields(KNOWN, 1), "privacy_consent": True})
    assert response.status_code == 409 and response.get_json()["error"] == "event_full"
    kinds = db.session.scalars(select(OutboundMail.kind).where(OutboundMail.registration_id == known.id)).all()
    assert "already_registered" in kinds
    assert db.session.scalar(select(Registration).where(Registration.email == KNOWN)).status == "confirmed"
