"""Follow-up invitations with double opt-in: only a confirmed, unwithdrawn consent is invited,
once per address and event (SQLite, then PostgreSQL, with a real SMTP server)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import FollowUpConsent, OutboundMail
from eventsvc.models.types import utcnow
from eventsvc.services.mailing import send_from_outbox
from tests.factories import make_event, make_registration
from tests.fixtures.mail import text_body


@pytest.fixture
def app_overrides(smtp_server):
    return {"MAIL_PORT": smtp_server.port, "PRIVACY_NOTICE_VERSION": "2027-01"}


def _send_all() -> None:
    while send_from_outbox(None).claimed:
        pass


def _consent_link(smtp_server, address: str) -> str:
    [mail] = [m for m, (_, rcpts) in zip(smtp_server.messages, smtp_server.envelopes)
              if address in rcpts and "follow-up" in str(m["Subject"])]
    return re.search(r"http://events.test(/consent/\S+)", text_body(mail)).group(1)


def test_ticking_the_box_asks_for_confirmation_and_only_the_link_makes_it_count(app, client, smtp_server):
    launch = make_event(slug="hamburg")
    make_registration(launch, email="anna@example.de", language="de", marketing_consent=True)
    make_registration(launch, email="tom@example.com", marketing_consent=False)
    _send_all()
    path = _consent_link(smtp_server, "anna@example.de")
    consent = db.session.scalar(select(FollowUpConsent))
    assert consent.email == "anna@example.de" and consent.confirmed_at is None
    assert "Möchten Sie Einladungen" in client.get(path).get_data(as_text=True)
    client.post(path, data={"action": "confirm"})
    db.session.rollback()
    consent = db.session.scalar(select(FollowUpConsent))
    assert consent.confirmed_at is not None and consent.notice_version == "2027-01"


def test_an_invitation_reaches_confirmed_consents_only_once_and_never_the_withdrawn(app, client, smtp_server):
    launch = make_event(slug="hamburg")
    for address in ("anna@example.de", "wang@example.cn", "never@example.com", "gone@example.com",
                    "already@example.com"):
        make_registration(launch, email=address, marketing_consent=True)
    _send_all()
    for address in ("anna@example.de", "wang@example.cn", "gone@example.com", "already@example.com"):
        client.post(_consent_link(smtp_server, address), data={"action": "confirm"})
    gone = _consent_link(smtp_server, "gone@example.com")
    client.post(gone, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    annas_link = _consent_link(smtp_server, "anna@example.de")
    berlin = make_event(slug="berlin")
    make_registration(berlin, email="already@example.com")
    smtp_server.clear()
    result = app.test_cli_runner().invoke(args=["events", "invite", "berlin"])
    assert result.output.strip() == "2 invitations queued."
    assert app.test_cli_runner().invoke(args=["events", "invite", "berlin"]).output.strip() == "0 invitations queued."
    _send_all()
    invited = sorted(r for m, (_, rcpts) in zip(smtp_server.messages, smtp_server.envelopes)
                     for r in rcpts if "Invitation:" in str(m["Subject"]))
    assert invited == ["anna@example.de", "wang@example.cn"]
    [mail] = [m for m in smtp_server.messages if "anna@example.de" in str(m["To"])]
    assert "/events/berlin" in text_body(mail)
    assert mail["List-Unsubscribe"].strip().startswith("<http://events.test/unsubscribe/")
    assert annas_link.rpartition("/")[2] not in mail.as_string()  # not the consent's own token
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def _invitation_to_anna(client, smtp_server):
    launch = make_event(slug="hamburg")
    make_registration(launch, email="anna@example.de", language="de", marketing_consent=True)
    _send_all()
    consent_path = _consent_link(smtp_server, "anna@example.de")
    client.post(consent_path, data={"action": "confirm"})
    make_event(slug="berlin")
    smtp_server.clear()
    app_runner = client.application.test_cli_runner()
    assert app_runner.invoke(args=["events", "invite", "berlin"]).output.strip() == "1 invitations queued."
    _send_all()
    [mail] = [m for m in smtp_server.messages if "anna@example.de" in str(m["To"])]
    return mail, consent_path


def _consent() -> FollowUpConsent:
    db.session.rollback()
    return db.session.scalar(select(FollowUpConsent).where(FollowUpConsent.email == "anna@example.de"))


def test_the_invitations_unsubscribe_link_can_only_withdraw_and_shows_nothing_personal(app, client, smtp_server):
    mail, consent_path = _invitation_to_anna(client, smtp_server)
    link = mail["List-Unsubscribe"].strip().strip("<>").removeprefix("http://events.test")
    assert link in text_body(mail)  # the link in the text is the same single-purpose one
    page = client.get(link)
    assert page.status_code == 200 and "anna@example.de" not in page.get_data(as_text=True)
    assert _consent().in_force  # looking changes nothing
    assert client.get(link.replace("/unsubscribe/", "/consent/")).status_code == 404  # no consent link
    done = client.post(link, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert done.status_code == 200 and "anna@example.de" not in done.get_data(as_text=True)
    withdrawn = _consent()
    assert withdrawn.withdrawn_at is not None
    client.post(link, data={"action": "confirm"})
    assert not _consent().in_force  # the withdrawal link never confirms again
    # Anna can still change her mind with the link she confirmed with.
    client.post(consent_path, data={"action": "confirm"})
    assert _consent().in_force


def test_a_draft_or_past_event_invites_nobody(app, client, smtp_server):
    launch = make_event(slug="hamburg")
    make_registration(launch, email="anna@example.de", marketing_consent=True)
    _send_all()
    client.post(_consent_link(smtp_server, "anna@example.de"), data={"action": "confirm"})
    make_event(slug="draft", status="draft")
    make_event(slug="past", starts_at=utcnow() - timedelta(days=3))
    for slug in ("draft", "past"):
        assert app.test_cli_runner().invoke(args=["events", "invite", slug]).output.strip() == "0 invitations queued."
    assert db.session.scalar(select(OutboundMail.id).where(OutboundMail.kind == "invitation")) is None


def test_an_invitation_queued_before_a_withdrawal_is_not_sent(app, client, smtp_server):
    launch = make_event(slug="hamburg")
    make_registration(launch, email="anna@example.de", marketing_consent=True)
    _send_all()
    path = _consent_link(smtp_server, "anna@example.de")
    client.post(path, data={"action": "confirm"})
    make_event(slug="berlin")
    app.test_cli_runner().invoke(args=["events", "invite", "berlin"])
    client.post(path, data={"action": "withdraw"})
    _send_all()
    db.session.rollback()
    invitation = db.session.scalar(select(OutboundMail).where(OutboundMail.kind == "invitation"))
    assert (invitation.status, invitation.last_error) == ("failed", "skipped: the consent was withdrawn")
