"""Fixtures of the organizer tests: an organizer account and a client logged in as them."""

from __future__ import annotations

import pytest

from eventsvc.services.organizers import create_organizer

PASSWORD = "correct horse battery"


@pytest.fixture
def organizer(app):
    return create_organizer("Organizer@OAV.example", PASSWORD, "Ada Organizer")


@pytest.fixture
def organizer_client(app, organizer):
    """A test client logged in through the real login form."""
    client = app.test_client()
    response = client.post("/organizer/login", data={"email": "organizer@oav.example", "password": PASSWORD})
    assert response.status_code == 302
    return client

