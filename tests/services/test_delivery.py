"""Mail to Chinese and German inboxes: relays per domain, caps per domain, VERP and DKIM,
with real SMTP servers in the test process (SQLite, then PostgreSQL)."""

from __future__ import annotations

import base64
import email
import subprocess
from datetime import timedelta

import dkim
import pytest
from sqlalchemy import select

from eventsvc import create_app
from eventsvc.extensions import db
from eventsvc.models import OutboundMail
from eventsvc.models.types import utcnow
from eventsvc.services.mailing import send_from_outbox
from eventsvc.services.mailing import delivery
from eventsvc.services.mailing.delivery import MailSettingError, mail_id_from_bounce_address
from eventsvc.services.reports import publish_report
from tests.factories import make_event, make_registration
from tests.fixtures.mail import SMTPServer



@pytest.fixture
def cn_relay():
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def app_overrides(smtp_server, cn_relay):
    return {
        "MAIL_PORT": smtp_server.port, "MAIL_BATCH_SIZE": 50,
        "MAIL_ROUTES": f"qq.com foxmail.com 163.com=smtp://127.0.0.1:{cn_relay.port}",
    }


def _drain(now=None) -> None:
    while send_from_outbox(None, now).claimed:
        pass


def _mail(email: str) -> OutboundMail:
    db.session.rollback()
    return db.session.scalar(select(OutboundMail).join(OutboundMail.registration)
                             .where(OutboundMail.registration.has(email=email)))


def test_mail_to_a_routed_domain_goes_through_its_relay_and_the_rest_through_mail_server(app, smtp_server, cn_relay):
    event = make_event()
    for address in ("wang@qq.com", "li@mail.163.com", "anna@example.de"):
        make_registration(event, email=address)
    _drain()
    assert sorted(r for _, rcpts in cn_relay.envelopes for r in rcpts) == ["li@mail.163.com", "wang@qq.com"]
    assert [r for _, rcpts in smtp_server.envelopes for r in rcpts] == ["anna@example.de"]
    assert _mail("wang@qq.com").route == f"127.0.0.1:{cn_relay.port}"
    assert _mail("anna@example.de").route == f"127.0.0.1:{smtp_server.port}"


def test_a_relay_that_is_down_delays_only_its_own_mail(app, smtp_server, cn_relay):
    cn_relay.stop()
    event = make_event()
    make_registration(event, email="wang@qq.com")
    make_registration(event, email="anna@example.de")
    _drain()
    assert [r for _, rcpts in smtp_server.envelopes for r in rcpts] == ["anna@example.de"]
    waiting = _mail("wang@qq.com")
    assert waiting.status == "queued" and waiting.last_error.startswith("connection failed")
    cn_relay.start()
    _drain(utcnow() + timedelta(hours=1))
    assert [r for _, rcpts in cn_relay.envelopes for r in rcpts] == ["wang@qq.com"]


def test_mail_over_a_domains_hourly_cap_waits_and_goes_when_the_window_allows(app, smtp_server):
    app.config.update(MAIL_ROUTES="", MAIL_RATE_LIMITS="qq.com=3/h;*=100/h")
    app.extensions["eventsvc.delivery"] = delivery.load(app)
    event = make_event()
    for n in range(5):
        make_registration(event, email=f"user{n}@qq.com")
    make_registration(event, email="anna@example.de")
    start = utcnow()
    _drain(start)
    sent = [r for _, rcpts in smtp_server.envelopes for r in rcpts]
    assert len([r for r in sent if r.endswith("@qq.com")]) == 3 and "anna@example.de" in sent
    db.session.rollback()
    waiting = list(db.session.scalars(select(OutboundMail).where(OutboundMail.status == "queued")))
    assert len(waiting) == 2
    assert {m.last_error for m in waiting} == {"waiting: hourly limit for qq.com"}
    _drain(start + timedelta(minutes=30))  # still inside the window: nothing more
    assert len(smtp_server.envelopes) == 4
    _drain(start + timedelta(minutes=61))
    recipients = [r for _, rcpts in smtp_server.envelopes for r in rcpts]
    assert len(recipients) == 6 and len(set(recipients)) == 6  # everyone, nobody twice


def test_bad_delivery_settings_stop_the_app_at_start_naming_the_entry():
    cases = {
        "MAIL_ROUTES": ("qq.com=smtp://relay.example:25;163.com=http://relay.example", "MAIL_ROUTES entry 2 (163.com)"),
        "MAIL_RATE_LIMITS": ("qq.com=300/h;163.com=lots", "MAIL_RATE_LIMITS entry 2 (163.com)"),
        "DKIM_PRIVATE_KEY_FILE": ("/nonexistent/key.pem", "DKIM_PRIVATE_KEY_FILE: cannot read"),
        "MAIL_CONNECTIONS_PER_RELAY": ("many", "MAIL_CONNECTIONS_PER_RELAY: 'many'"),
    }
    for name, (value, words) in cases.items():
        extra = {"DKIM_DOMAIN": "events.test", "DKIM_SELECTOR": "s1"} if name.startswith("DKIM") else {}
        with pytest.raises(MailSettingError, match=words.replace("(", r"\(").replace(")", r"\)")):
            create_app({"TESTING": True, name: value, **extra})


def _rsa_key(tmp_path):
    key = tmp_path / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "1024"], check=True, capture_output=True)
    public = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"],
                            check=True, capture_output=True).stdout
    return key, public


def test_every_mail_is_dkim_signed_and_verifies_against_the_public_key(app, smtp_server, tmp_path):
    key, public_der = _rsa_key(tmp_path)
    app.config.update(DKIM_DOMAIN="events.test", DKIM_SELECTOR="s2027", DKIM_PRIVATE_KEY_FILE=str(key))
    app.extensions["eventsvc.delivery"] = delivery.load(app)
    make_registration(make_event(), email="anna@example.de", language="de")
    _drain()
    [raw] = smtp_server.raw
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public_der)
    assert dkim.verify(raw, dnsfunc=lambda name, timeout=5: record if name == b"s2027._domainkey.events.test." else None)
    tags = dict(tag.strip().split("=", 1) for tag in
                "".join(str(email.message_from_bytes(raw)["DKIM-Signature"]).split()).split(";") if tag.strip())
    assert tags["d"] == "events.test" and tags["s"] == "s2027"
    assert set(tags["h"].lower().split(":")) >= {"from", "to", "subject", "date", "message-id",
                                                 "list-unsubscribe", "list-unsubscribe-post"}
    tampered = raw.replace(b"Subject:", b"Subject: FW:", 1)
    assert not dkim.verify(tampered, dnsfunc=lambda name, timeout=5: record)


def test_with_a_bounce_address_each_mail_has_its_own_signed_envelope_sender(app, smtp_server):
    app.config["MAIL_BOUNCE_ADDRESS"] = "bounces@events.test"
    app.extensions["eventsvc.delivery"] = delivery.load(app)
    make_registration(make_event(), email="anna@example.de")
    _drain()
    [(sender, _)] = smtp_server.envelopes
    mail = _mail("anna@example.de")
    assert sender.startswith(f"bounces+{mail.id}-") and sender.endswith("@events.test")
    assert mail_id_from_bounce_address(sender) == mail.id
    forged = sender.replace(f"+{mail.id}-", f"+{mail.id + 1}-")
    assert mail_id_from_bounce_address(forged) is None


def test_a_provider_that_answers_421_over_its_limit_gets_the_mail_later_once(app, smtp_server, cn_relay):
    cn_relay.reply = "421 4.7.0 [qq.com] Too many mails from your IP, try again later"
    event = make_event()
    for n in range(3):
        make_registration(event, email=f"user{n}@qq.com")
    _drain()
    db.session.rollback()
    waiting = list(db.session.scalars(select(OutboundMail).where(OutboundMail.status == "queued")))
    assert len(waiting) == 3 and all(m.last_error.startswith("421 4.7.0") for m in waiting)
    cn_relay.reply = None
    _drain(utcnow() + timedelta(hours=2))
    recipients = [r for _, rcpts in cn_relay.envelopes for r in rcpts]
    assert sorted(recipients) == ["user0@qq.com", "user1@qq.com", "user2@qq.com"]


def test_a_report_edition_drains_at_the_caps_pace_with_nothing_lost_or_sent_twice(app, smtp_server):
    app.config.update(MAIL_ROUTES="", MAIL_BATCH_SIZE=7)
    app.extensions["eventsvc.delivery"] = delivery.load(app)
    event = make_event()
    for n in range(25):
        make_registration(event, email=f"reader{n}@qq.com")
    _drain()  # the confirmations, before any cap
    smtp_server.clear()
    app.config["MAIL_RATE_LIMITS"] = "qq.com=10/h"
    app.extensions["eventsvc.delivery"] = delivery.load(app)
    start = utcnow()
    assert publish_report("zh", "https://oav.example/zh.pdf", now=start).mails_queued == 25
    per_hour = []
    for hour in range(4):
        before = len(smtp_server.envelopes)
        _drain(start + timedelta(hours=hour, minutes=1))
        per_hour.append(len(smtp_server.envelopes) - before)
    assert per_hour == [10, 10, 5, 0]
    recipients = [r for _, rcpts in smtp_server.envelopes for r in rcpts]
    assert sorted(recipients) == sorted(f"reader{n}@qq.com" for n in range(25))


def test_a_relay_that_allows_it_gets_several_connections_at_once_and_each_mail_once(app, smtp_server):
    app.config["MAIL_CONNECTIONS_PER_RELAY"] = "3"
    app.extensions["eventsvc.delivery"] = delivery.load(app)
    event = make_event()
    people = [f"reader{n}@example.de" for n in range(9)]
    for address in people:
        make_registration(event, email=address)
    smtp_server.delay = 0.1
    outcome = send_from_outbox(None)
    assert sorted(outcome.sent) == sorted(m.id for m in OutboundMail.query.all())
    smtp_server.extract_emails(count=9)
    assert sorted(to for _, [to] in smtp_server.envelopes) == sorted(people)
    assert len({port for _, port in smtp_server.peers}) == 3
    db.session.rollback()
    assert {m.status for m in OutboundMail.query.all()} == {"sent"}
