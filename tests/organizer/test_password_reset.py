"""A forgotten password: the same answer for every address, a single-use link by mail (through the
outbox, to the real SMTP server) in the organizer's language, valid for PASSWORD_RESET_MINUTES."""

import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.models import OutboundMail, PasswordReset
from eventsvc.services.mailing import send_from_outbox
from tests.fixtures.mail import html_body, text_body
from tests.organizer.conftest import PASSWORD

EMAIL = "organizer@oav.example"
NEW = "a brand new passphrase"


@pytest.fixture
def app_overrides(smtp_server):
    return {"MAIL_PORT": smtp_server.port, "PASSWORD_RESET_MINUTES": 30}


def _ask(client, email=EMAIL, lang="en"):
    return client.post(f"/organizer/password-reset?lang={lang}", data={"email": email})


def _send_all() -> None:
    for mail_id in db.session.scalars(select(OutboundMail.id).where(OutboundMail.status == "queued")).all():
        send_from_outbox(mail_id)


def _link(smtp_server, lang_word="Reset") -> str:
    [message] = smtp_server.extract_emails(count=1, to=EMAIL)
    body = text_body(message)
    match = re.search(r"http://\S+/organizer/password-reset/(\S+)", body)
    assert match, body
    return "/organizer/password-reset/" + match.group(1)


def _mails() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(OutboundMail))


def test_known_and_unknown_addresses_get_the_same_answer(app, client, organizer, smtp_server):
    known = _ask(client)
    unknown = _ask(client, "nobody@oav.example")
    assert known.status_code == unknown.status_code == 200
    assert (known.get_data(as_text=True).replace(EMAIL, "X")
            == unknown.get_data(as_text=True).replace("nobody@oav.example", "X"))
    assert _mails() == 1  # a mail only for the account that exists


def test_the_link_arrives_by_mail_and_sets_a_new_password_once(app, client, organizer, smtp_server):
    browser = app.test_client()
    assert browser.post("/organizer/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 302
    _ask(client)
    _send_all()
    link = _link(smtp_server)
    page = client.get(link)
    assert page.status_code == 200 and 'name="new_password"' in page.get_data(as_text=True)
    response = client.post(link, data={"new_password": NEW, "confirm_password": NEW})
    assert response.status_code == 302 and response.headers["Location"] == "/organizer/login"
    assert browser.get("/organizer/events").status_code == 302  # every session of the account ended
    assert app.test_client().post("/organizer/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 200
    assert app.test_client().post("/organizer/login", data={"email": EMAIL, "password": NEW}).status_code == 302
    again = client.post(link + "?lang=de", data={"new_password": "yet another passphrase",
                                                 "confirm_password": "yet another passphrase"})
    assert again.status_code == 410
    assert "Dieser Link wurde bereits verwendet" in again.get_data(as_text=True)
    assert app.test_client().post("/organizer/login", data={"email": EMAIL, "password": NEW}).status_code == 302


def test_the_mail_is_in_the_organizers_language(app, client, organizer, smtp_server):
    _ask(client, lang="zh")
    _send_all()
    [message] = smtp_server.extract_emails(count=1, to=EMAIL)
    assert "重置" in message["Subject"]
    assert "/organizer/password-reset/" in html_body(message)
    assert 'lang="zh"' in html_body(message)
    assert "30 分钟" in text_body(message)


def test_an_expired_link_says_so_and_changes_nothing(app, client, organizer, smtp_server):
    start = datetime.now(timezone.utc)
    with time_machine.travel(start, tick=False) as clock:
        _ask(client)
        _send_all()
        link = _link(smtp_server)
        clock.shift(timedelta(minutes=31))
        response = client.post(link + "?lang=zh", data={"new_password": NEW, "confirm_password": NEW})
        assert response.status_code == 410 and "此链接已过期" in response.get_data(as_text=True)
    assert app.test_client().post("/organizer/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("token", ["1-0000000000000000000000000000000000000000", "nonsense", "x" * 100])
def test_a_made_up_link_is_refused_without_an_error(app, client, organizer, token):
    response = client.get(f"/organizer/password-reset/{token}")
    assert response.status_code == 404 and "This link is not valid" in response.get_data(as_text=True)
    assert client.post(f"/organizer/password-reset/{token}",
                       data={"new_password": NEW, "confirm_password": NEW}).status_code == 404


def test_a_new_password_that_will_not_do_keeps_the_link_usable(app, client, organizer, smtp_server):
    _ask(client)
    _send_all()
    link = _link(smtp_server)
    response = client.post(link, data={"new_password": "short", "confirm_password": "short"})
    assert response.status_code == 422 and "Choose at least 10 characters." in response.get_data(as_text=True)
    assert client.post(link, data={"new_password": NEW, "confirm_password": NEW}).status_code == 302


def test_the_database_holds_no_usable_link(app, client, organizer, smtp_server):
    _ask(client)
    _send_all()
    token = _link(smtp_server).rsplit("/", 1)[1]
    stored = db.session.scalars(select(PasswordReset)).one()
    assert token not in stored.token_hash
    assert all(token not in str(mail.payload) for mail in db.session.scalars(select(OutboundMail)))


def test_a_disabled_account_gets_no_link(app, client, organizer, smtp_server):
    app.test_cli_runner().invoke(args=["organizers", "disable", EMAIL])
    assert _ask(client).status_code == 200
    assert _mails() == 0
