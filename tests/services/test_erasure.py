"""Erased means erased: after an erasure, no column of any table holds the registrant's address,
name, organization or answers, even when a bounce or a refusal comes back later; the erasure's
own confirmation leaves through the route of the real address's domain (SQLite, then PostgreSQL).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select, text, update

from eventsvc.extensions import db
from eventsvc.models import MailKind, OutboundMail, Registration
from eventsvc.models.types import utcnow
from eventsvc.services.mailing import delivery, send_from_outbox
from eventsvc.services.mailing.bounces import import_bounces, record_bounce
from eventsvc.services.privacy import erase, purge
from eventsvc.services.webhooks import add_endpoint
from tests.factories import make_event, make_registration
from tests.fixtures.mail import SMTPServer

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "bounces"
ADDRESS = "zhao.erased@example.cn"
ERASED_VALUES = [ADDRESS, "zhao.erased", "Zhaoqianli", "Sunlibai", "Vandelay Industries", "Chief Latex Officer",
                 "allergic to walnuts"]
QUESTIONS = [{"key": "diet", "type": "text", "label": {"en": "Anything we should know?"}}]


@pytest.fixture
def cn_relay():
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def app_overrides(smtp_server, cn_relay):
    return {"WEBHOOK_ALLOW_PRIVATE": True, "MAIL_PORT": smtp_server.port, "MAIL_BOUNCE_ADDRESS": "bounces@events.test",
            "MAIL_ROUTES": f"example.cn=smtp://127.0.0.1:{cn_relay.port}"}


def _drain(now=None) -> None:
    while send_from_outbox(None, now).claimed:
        pass


def _registrant():
    event = make_event(questions=QUESTIONS)
    add_endpoint("http://127.0.0.1:9/crm")  # the CRM hears of the registration, with its address
    return make_registration(event, email=ADDRESS, family_name="Zhaoqianli", given_name="Sunlibai",
                             organization="Vandelay Industries", job_title="Chief Latex Officer",
                             marketing_consent=True, answers={"diet": "allergic to walnuts"})


def _traces() -> list[str]:
    """Every place in the database (table.column) that still holds one of the erased values."""
    db.session.rollback()
    found = []
    metadata = MetaData()
    metadata.reflect(bind=db.engine)
    with db.engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)).mappings():
                for column, value in row.items():
                    shown = str(value).lower()
                    found += [f"{table.name}.{column}: {needle}" for needle in ERASED_VALUES
                              if needle.lower() in shown]
    return sorted(set(found))


def _bounce_for(mail: OutboundMail) -> bytes:
    text_ = (SAMPLES / "postfix-dsn.eml").read_text(encoding="utf-8")
    text_ = text_.format(verp=delivery.envelope_sender(mail.id), rcpt=ADDRESS)
    return text_.replace("Diagnostic-Code: smtp; 550 Mailbox not found.",
                         f"Diagnostic-Code: smtp; 550 5.1.1 <{ADDRESS}>: Recipient address rejected"
                         ).replace("\n", "\r\n").encode()


def test_after_an_erasure_and_a_late_bounce_no_column_of_any_table_holds_the_erased_values(
        app, smtp_server, cn_relay, tmp_path):
    registration = _registrant()
    _drain()  # the confirmation and the consent request go out through the Chinese relay
    db.session.rollback()
    confirmation = db.session.scalar(select(OutboundMail).where(
        OutboundMail.registration_id == registration.id, OutboundMail.kind == MailKind.CONFIRMATION))
    assert confirmation.status == "sent" and _traces()  # the values are there before

    # The erasure's confirmation is refused once, with the address in the relay's reply.
    cn_relay.clear()
    smtp_server.clear()
    cn_relay.reply = f"451 4.7.1 <{ADDRESS}>: greylisted, try again later"
    assert erase(registration.id)
    _drain()
    cn_relay.reply = None
    _drain(utcnow() + timedelta(hours=2))
    [goodbye] = cn_relay.extract_emails(count=1, to=ADDRESS)  # routed by the real address's domain
    assert "erased" in goodbye["Subject"].lower()
    assert smtp_server.envelopes == []

    # A bounce of the earlier confirmation comes back late; and one through the bounce import.
    outcome = record_bounce(_bounce_for(confirmation), [delivery.envelope_sender(confirmation.id)])
    assert outcome.outcome == "erased"
    box = tmp_path / "bounces.mbox"
    box.write_bytes(b"From MAILER-DAEMON Thu May 20 10:02:11 2027\n" + _bounce_for(confirmation).replace(b"\r\n", b"\n"))
    assert import_bounces(box)["erased"] == 1

    assert _traces() == []


def test_the_purge_clears_stored_error_texts_of_erased_registrations(app, smtp_server, cn_relay):
    registration = _registrant()
    _drain()
    assert erase(registration.id)
    _drain()
    # A reply stored before this release (or by any other path) still names the address.
    db.session.execute(update(OutboundMail).where(OutboundMail.registration_id == registration.id)
                       .values(last_error=f"bounced: 550 5.1.1 <{ADDRESS}>: no such user"))
    db.session.commit()
    assert _traces()
    purge(365)
    assert _traces() == []
    db.session.rollback()
    assert db.session.get(Registration, registration.id).erased_at is not None
    assert db.session.execute(text("select count(*) from outbound_mails")).scalar() >= 1  # rows stay, texts go
