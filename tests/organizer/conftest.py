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


@pytest.fixture(autouse=True)
def _site_home(app):
    """base.html links to the public home page; until the public blueprint has it, stand in."""
    if "public.index" not in app.view_functions:
        app.add_url_rule("/", endpoint="public.index", view_func=lambda: "home")
