"""Access per event: roles, grants, the admins' accounts page, the commands (issue 9, item 3)."""

from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import OutboundMail, Registration
from eventsvc.services.access import grant
from eventsvc.services.organizers import create_organizer, find_organizer
from tests.factories import make_event, make_registration

PASSWORD = "another long password"


def _client_of(app, email: str, role: str):
    create_organizer(email, PASSWORD, role=role)
    client = app.test_client()
    assert client.post("/organizer/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def two_events(app):
    mine = make_event(slug="mine", title={"en": "Mine in Munich"})
    theirs = make_event(slug="theirs", title={"en": "Theirs in Tianjin"})
    make_registration(mine, family_name="Mineperson")
    make_registration(theirs, family_name="Theirperson")
    return mine, theirs


def test_a_second_organizer_sees_and_changes_only_granted_events(app, two_events):
    mine, theirs = two_events
    client = _client_of(app, "second@oav.example", "organizer")
    grant(find_organizer("second@oav.example"), mine)
    listing = client.get("/organizer/events").get_data(as_text=True)
    assert "Mine in Munich" in listing and "Theirs in Tianjin" not in listing
    assert client.get("/organizer/events/mine").status_code == 200
    assert "Mineperson" in client.get("/organizer/events/mine/attendees.csv").get_data(as_text=True)
    for url in ("/organizer/events/theirs", "/organizer/events/theirs/attendees",
                "/organizer/events/theirs/attendees.csv", "/organizer/events/theirs/attendees.xlsx",
                "/organizer/events/theirs/edit", "/organizer/events/theirs/checkin",
                "/organizer/events/theirs/cancel", "/organizer/events/new", "/organizer/accounts"):
        assert client.get(url).status_code == 404, url
    assert client.post("/organizer/events/theirs/cancel").status_code == 404
    assert client.post("/organizer/events/theirs/unpublish").status_code == 404
    assert client.post("/organizer/events/mine/copy").status_code == 404  # a new event: admins only
    assert client.post("/organizer/events/mine/invite").status_code == 404  # every subscriber: admins only
    db.session.expire_all()
    assert db.session.get(type(theirs), theirs.id).status == "published"


def test_a_checkin_account_sees_only_the_checkin_page_of_its_events_and_its_tokens(app, two_events):
    mine, _theirs = two_events
    client = _client_of(app, "door@oav.example", "checkin")
    grant(find_organizer("door@oav.example"), mine)
    assert client.get("/organizer/events/mine/checkin").status_code == 200
    listing = client.get("/organizer/events").get_data(as_text=True)
    assert "/organizer/events/mine/checkin" in listing and "Theirs" not in listing
    assert "/organizer/events/mine/attendees" not in listing
    for url in ("/organizer/events/mine", "/organizer/events/mine/attendees",
                "/organizer/events/mine/attendees.csv", "/organizer/events/theirs/checkin",
                "/organizer/mail", "/organizer/accounts"):
        assert client.get(url).status_code == 404, url
    assert client.get("/organizer/tokens").status_code == 200  # its tokens only check in (tests/organizer/test_tokens.py)


def test_the_mail_log_shows_and_retries_only_granted_events(app, two_events):
    mine, theirs = two_events
    client = _client_of(app, "second@oav.example", "organizer")
    grant(find_organizer("second@oav.example"), mine)
    db.session.execute(db.update(OutboundMail).values(status="failed", last_error="550 no"))
    db.session.commit()
    page = client.get("/organizer/mail?status=failed").get_data(as_text=True)
    assert "Mineperson" in page and "Theirperson" not in page
    their_mail = db.session.scalar(select(OutboundMail).join(Registration).where(Registration.event_id == theirs.id))
    client.post(f"/organizer/mail/{their_mail.id}/retry")
    db.session.expire_all()
    assert db.session.get(OutboundMail, their_mail.id).status == "failed"


def test_an_admin_sees_every_event_and_manages_roles_and_grants_on_a_page(app, two_events, organizer_client):
    mine, theirs = two_events
    assert organizer_client.get("/organizer/events/theirs").status_code == 200
    other = create_organizer("later@oav.example", PASSWORD, role="organizer")
    page = organizer_client.get("/organizer/accounts").get_data(as_text=True)
    assert "later@oav.example" in page
    organizer_client.post(f"/organizer/accounts/{other.id}/grants", data={"slug": "mine"})
    organizer_client.post(f"/organizer/accounts/{other.id}/grants", data={"slug": "theirs"})
    organizer_client.post(f"/organizer/accounts/{other.id}/role", data={"role": "checkin"})
    organizer_client.post(f"/organizer/accounts/{other.id}/grants/{theirs.id}/revoke")
    page = organizer_client.get("/organizer/accounts").get_data(as_text=True)
    assert f"/organizer/accounts/{other.id}/grants/{mine.id}/revoke" in page
    assert f"/organizer/accounts/{other.id}/grants/{theirs.id}/revoke" not in page
    organizer_client.post("/organizer/logout")
    # The test client shares one app context (and Flask-Login's cached user) between clients.
    g.pop("_login_user", None)
    client = app.test_client()
    client.post("/organizer/login", data={"email": "later@oav.example", "password": PASSWORD})
    assert find_organizer("later@oav.example").role == "checkin"
    assert client.get("/organizer/events/mine/checkin").status_code == 200
    assert client.get("/organizer/events/theirs/checkin").status_code == 404
    assert client.get("/organizer/events/mine").status_code == 404


def test_commands_create_accounts_with_a_role_and_grant_and_revoke_events(app, two_events):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["organizers", "create", "cli@oav.example", "--password-stdin",
                                 "--role", "organizer"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert find_organizer("cli@oav.example").role == "organizer"
    assert runner.invoke(args=["organizers", "create", "adm@oav.example", "--password-stdin"],
                         input=PASSWORD + "\n").exit_code == 0
    assert find_organizer("adm@oav.example").role == "admin"
    client = app.test_client()
    client.post("/organizer/login", data={"email": "cli@oav.example", "password": PASSWORD})
    assert client.get("/organizer/events/mine").status_code == 404
    result = runner.invoke(args=["organizers", "grant", "cli@oav.example", "mine"])
    assert result.exit_code == 0, result.output
    assert client.get("/organizer/events/mine").status_code == 200
    result = runner.invoke(args=["organizers", "revoke", "cli@oav.example", "mine"])
    assert result.exit_code == 0, result.output
    assert client.get("/organizer/events/mine").status_code == 404
    assert runner.invoke(args=["organizers", "grant", "cli@oav.example", "no-such-event"]).exit_code != 0
