"""The API tokens page: a token's scope chosen on the page under the command's rules (a
``checkin`` account's tokens only check in), and each token's scope in the list."""

from __future__ import annotations

import re

from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import ApiToken
from eventsvc.services.access import grant
from eventsvc.services.organizers import create_organizer, find_organizer
from tests.factories import make_event, make_registration
from tests.organizer.conftest import PASSWORD


def _new_secret(page: str) -> str:
    return page.split('<code id="new-token">', 1)[1].split("</code>", 1)[0]


def _listed_scopes(page: str) -> list[str]:
    return re.findall(r'<td data-scope="(\w+)">', page)


def test_api_tokens_page_shows_a_new_token_once(app, organizer_client, client):
    make_event(slug="tokens", status="draft")
    page = organizer_client.post("/organizer/tokens", data={"name": "CRM"}).get_data(as_text=True)
    secret = _new_secret(page)
    assert secret.startswith("evs_")
    assert secret not in organizer_client.get("/organizer/tokens").get_data(as_text=True)
    events = client.get("/api/v1/events", headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert [e["slug"] for e in events["data"]] == ["tokens"]
    token_id = db.session.scalar(select(ApiToken.id))
    db.session.rollback()
    organizer_client.post(f"/organizer/tokens/{token_id}/revoke")
    assert client.get("/api/v1/events", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_a_write_token_made_on_the_page_may_cancel_and_a_read_token_may_not(app, organizer_client, client):
    event = make_event(slug="berlin")
    registration_id = make_registration(event).public_id
    db.session.rollback()
    form = organizer_client.get("/organizer/tokens").get_data(as_text=True)
    assert re.findall(r'<option (?:selected )?value="(\w+)"', form.split('name="scope"', 1)[1].split("</select>")[0]) == [
        "read", "write", "checkin"]
    assert '<option selected value="read">' in form           # what `flask organizers token` makes too

    read = _new_secret(organizer_client.post("/organizer/tokens", data={"name": "Reports"}).get_data(as_text=True))
    page = organizer_client.post("/organizer/tokens", data={"name": "CRM", "scope": "write"}).get_data(as_text=True)
    write = _new_secret(page)
    assert _listed_scopes(page) == ["write", "read"]           # newest first

    cancel = f"/api/v1/events/berlin/registrations/{registration_id}/cancel"
    refused = client.post(cancel, headers={"Authorization": f"Bearer {read}"})
    assert refused.status_code == 403 and refused.get_json()["error"] == "insufficient_scope"
    assert client.post(cancel, headers={"Authorization": f"Bearer {write}"}).get_json()["status"] == "cancelled"


def test_a_checkin_account_makes_checkin_tokens_and_is_told_in_its_language_why_not_others(app, client):
    event = make_event(slug="launch")
    create_organizer("door@oav.example", PASSWORD, role="checkin")
    grant(find_organizer("door@oav.example"), event)
    volunteer = app.test_client()
    assert volunteer.post("/organizer/login", data={"email": "door@oav.example", "password": PASSWORD}).status_code == 302

    form = volunteer.get("/organizer/tokens?lang=de").get_data(as_text=True)
    assert '<option selected value="checkin">' in form and "API-Tokens" in form

    refused = volunteer.post("/organizer/tokens?lang=de", data={"name": "Handscanner", "scope": "read"})
    assert refused.status_code == 422
    assert "Ein Check-in-Konto kann nur Tokens mit der Berechtigung „Check-in“ erstellen." in refused.get_data(as_text=True)
    assert db.session.scalars(select(ApiToken)).all() == []
    db.session.rollback()
    chinese = volunteer.post("/organizer/tokens?lang=zh", data={"name": "扫码枪", "scope": "write"})
    assert chinese.status_code == 422 and "签到账户只能创建“签到”权限的令牌。" in chinese.get_data(as_text=True)

    page = volunteer.post("/organizer/tokens?lang=de", data={"name": "Handscanner", "scope": "checkin"})
    assert page.status_code == 200 and _listed_scopes(page.get_data(as_text=True)) == ["checkin"]
    secret = _new_secret(page.get_data(as_text=True))
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/events/launch/checkin-list", headers=headers).status_code == 200
    assert client.get("/api/v1/events/launch/registrations", headers=headers).status_code == 404
