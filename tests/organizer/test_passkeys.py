"""Passkeys, the bad input: another account's passkey, an answer that is not one, no pending
login. (The ceremony itself runs in chromium: tests/browser/test_passkeys.py.)"""

import pytest
from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.models import Organizer, Passkey
from eventsvc.services.organizers import create_organizer
from tests.organizer.conftest import PASSWORD

OWNER = "owner@oav.example"
OTHER = "other@oav.example"
CREDENTIAL = "b3duZXJzLXBhc3NrZXk"


@pytest.fixture
def two_accounts(app):
    owner = create_organizer(OWNER, PASSWORD)
    other = create_organizer(OTHER, PASSWORD)
    db.session.add(Passkey(organizer_id=owner.id, credential_id=CREDENTIAL, public_key=b"\xa5\x01\x02",
                           sign_count=7, name="owner's laptop"))
    db.session.add(Passkey(organizer_id=other.id, credential_id="b3RoZXItcGFzc2tleQ", public_key=b"\xa5\x01\x02",
                           sign_count=0, name="other's phone"))
    db.session.commit()
    return owner, other


def _pending(app, email):
    client = app.test_client()
    response = client.post("/organizer/login", data={"email": email, "password": PASSWORD})
    assert response.headers["Location"] == "/organizer/login"
    return client


def _inside(client) -> bool:
    return client.get("/organizer/events").status_code == 200


def test_the_second_step_offers_only_the_accounts_own_passkeys(app, two_accounts):
    client = _pending(app, OTHER)
    assert 'data-passkey="login"' in client.get("/organizer/login").get_data(as_text=True)
    options = client.post("/organizer/login/passkey/options", json={}).get_json()
    assert [c["id"] for c in options["allowCredentials"]] == ["b3RoZXItcGFzc2tleQ"]
    assert options["rpId"] == "events.test" and options["challenge"]  # the host of BASE_URL


def test_a_passkey_of_another_account_is_refused_in_the_organizers_language(app, two_accounts):
    client = _pending(app, OTHER)
    client.post("/organizer/login/passkey/options", json={})
    answer = {"id": CREDENTIAL, "rawId": CREDENTIAL, "type": "public-key", "response": {
        "clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA"}}
    response = client.post("/organizer/login/passkey?lang=de", json=answer)
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("Dieser Passkey gehört zu einem anderen Konto")
    assert not _inside(client)
    db.session.rollback()
    assert db.session.scalar(select(Passkey.sign_count).where(Passkey.credential_id == CREDENTIAL)) == 7


@pytest.mark.parametrize("body", [{}, {"id": "b3RoZXItcGFzc2tleQ"}, {"id": 5}, {"id": "x" * 30000}, [1, 2],
                                  {"id": "b3RoZXItcGFzc2tleQ", "response": {"clientDataJSON": "!!"}}])
def test_an_answer_that_is_not_one_is_a_clear_400(app, two_accounts, body):
    client = _pending(app, OTHER)
    client.post("/organizer/login/passkey/options", json={})
    response = client.post("/organizer/login/passkey", json=body)
    assert response.status_code == 400 and response.get_json()["message"]
    assert not _inside(client)


def test_without_a_pending_login_there_is_nothing_to_sign(app, two_accounts):
    client = app.test_client()
    for url in ("/organizer/login/passkey/options", "/organizer/login/passkey"):
        response = client.post(url + "?lang=zh", json={})
        assert response.status_code == 400 and response.get_json()["message"] == "请重新登录。"


def test_adding_a_passkey_with_a_made_up_answer_stores_nothing(app, organizer_client):
    organizer_client.post("/organizer/account/two-factor/passkey/options", json={})
    response = organizer_client.post("/organizer/account/two-factor/passkey", json={
        "id": "abc", "rawId": "abc", "type": "public-key", "name": "fake",
        "response": {"clientDataJSON": "e30", "attestationObject": "AA"}})
    assert response.status_code == 400 and "nothing was changed" in response.get_json()["message"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Passkey)) == 0
    assert db.session.query(Organizer).one().totp_enabled_at is None
