"""Sending the outbox to a real SMTP server in the test process (SQLite, then PostgreSQL)."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import OutboundMail
from eventsvc.models.types import utcnow
from eventsvc.services.mailing import send_from_outbox, sweep_outbox
from eventsvc.services.mailing.delivery import relay_for
from eventsvc.services.mailing.message import WireMessage
from eventsvc.services.mailing.smtp import open_connection
from eventsvc.services.registration import cancel
from tests.factories import make_event, make_registration
from tests.fixtures.mail import calendar_part, text_body


@pytest.fixture
def app_overrides(smtp_server):
    return {"MAIL_PORT": smtp_server.port, "MAIL_BATCH_SIZE": 5, "MAIL_RETRY_BASE_SECONDS": 60}


def mails(**where) -> list[OutboundMail]:
    db.session.rollback()
    query = select(OutboundMail).order_by(OutboundMail.id)
    for name, value in where.items():
        query = query.where(getattr(OutboundMail, name) == value)
    return list(db.session.scalars(query))


def test_a_registration_gets_one_bilingual_confirmation_with_a_calendar_entry(app, smtp_server):
    event = make_event()
    registration = make_registration(event, email="li.wang@example.com", language="zh",
                                     family_name="王", given_name="丽")
    send_from_outbox(registration.mails.first().id)

    [message] = smtp_server.extract_emails(count=1, to="li.wang@example.com")
    assert message["Subject"].startswith("报名确认：")
    assert "Registration confirmed" in message["Subject"]
    body = text_body(message)
    assert body.index("尊敬的王丽") < body.index("Dear 王丽")
    calendar = calendar_part(message)
    [entry] = calendar.walk("VEVENT")
    assert str(entry["UID"]) == f"event-{event.id}@events.test"
    assert str(calendar["METHOD"]) == "REQUEST"
    [mail] = mails()
    assert mail.status == "sent" and mail.sent_at is not None
    assert message["Message-ID"] == mail.message_id
    assert mail.message_id.startswith(f"<outbox-{mail.id}.") and mail.message_id.endswith("@events.test>")


def test_one_task_sends_a_whole_batch_over_one_connection(app, smtp_server):
    event = make_event()
    for n in range(7):
        make_registration(event, email=f"batch{n}@example.com")
    first = mails()[0]

    outcome = send_from_outbox(first.id)

    assert len(outcome.sent) == 5  # MAIL_BATCH_SIZE
    send_from_outbox(None)
    smtp_server.extract_emails(count=7)
    assert sorted(to for _, [to] in smtp_server.envelopes) == [f"batch{n}@example.com" for n in range(7)]
    assert {m.status for m in mails()} == {"sent"}
    # A hint for a mail that is already sent sends nothing twice.
    assert send_from_outbox(first.id).claimed == 0
    assert len(smtp_server.messages) == 7


def test_the_task_goes_on_batch_after_batch_while_mail_is_due(app, smtp_server):
    event = make_event()
    for n in range(12):
        make_registration(event, email=f"batch{n}@example.com")

    outcome = send_from_outbox(mails()[0].id, keep_going=True)  # batches of 5: 5, 5, then 2

    assert len(outcome.sent) == 12
    smtp_server.extract_emails(count=12)
    assert sorted(to for _, [to] in smtp_server.envelopes) == sorted(f"batch{n}@example.com" for n in range(12))
    assert {m.status for m in mails()} == {"sent"}


def test_a_permanent_refusal_fails_the_mail_with_the_servers_reason(app, smtp_server):
    registration = make_registration(make_event())
    smtp_server.reply = "550 5.1.1 Mailbox does not exist"

    send_from_outbox(registration.mails.first().id)

    [mail] = mails()
    assert mail.status == "failed"
    assert mail.last_error == "550 5.1.1 Mailbox does not exist"
    assert send_from_outbox(mail.id).claimed == 0  # not retried


def test_a_temporary_failure_waits_and_is_retried_with_the_same_message_id(app, smtp_server):
    registration = make_registration(make_event())
    smtp_server.stop()

    before = utcnow()
    send_from_outbox(registration.mails.first().id)

    [mail] = mails()
    assert mail.status == "queued" and mail.attempts == 1
    assert "connection failed" in mail.last_error
    assert before + timedelta(seconds=40) < mail.next_attempt_at < before + timedelta(seconds=80)
    first_message_id = mail.message_id
    assert send_from_outbox(mail.id).claimed == 0  # not due yet

    smtp_server.start()
    send_from_outbox(mail.id, now=mail.next_attempt_at)
    [message] = smtp_server.extract_emails(count=1)
    assert message["Message-ID"] == first_message_id
    [mail] = mails()
    assert mail.status == "sent" and mail.attempts == 2


def test_a_4xx_reply_is_temporary(app, smtp_server):
    registration = make_registration(make_event())
    smtp_server.reply = "451 4.3.0 Try again later"
    send_from_outbox(registration.mails.first().id)
    [mail] = mails()
    assert mail.status == "queued" and mail.last_error == "451 4.3.0 Try again later"


def test_mail_that_keeps_failing_temporarily_fails_after_the_last_attempt(app, smtp_server):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    registration = make_registration(make_event())
    smtp_server.stop()
    now = utcnow()
    for _ in range(3):
        send_from_outbox(registration.mails.first().id, now=now)
        now += timedelta(hours=2)
    [mail] = mails()
    assert mail.status == "failed" and mail.attempts == 3
    assert mail.last_error.startswith("gave up after 3 attempts: connection failed")


def test_the_sweeper_takes_back_mail_whose_worker_died(app, smtp_server):
    registration = make_registration(make_event())
    mail = registration.mails.first()
    # A worker claimed it and died before sending: the row is stuck in "sending".
    mail.status, mail.attempts = "sending", 1
    mail.lease_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    assert sweep_outbox() == 1
    [mail] = mails()
    assert mail.status == "queued"
    send_from_outbox(mail.id)
    smtp_server.extract_emails(count=1)
    assert mails()[0].status == "sent"


def test_mail_made_moot_by_a_cancellation_is_skipped_not_sent(app, smtp_server):
    registration = make_registration(make_event())
    cancel(registration.id)

    send_from_outbox(None)

    [message] = smtp_server.extract_emails(count=1)
    assert "Registration cancelled" in message["Subject"]
    confirmation, cancellation = mails()
    assert confirmation.status == "failed"
    assert confirmation.last_error == "skipped: the registration was cancelled"
    assert cancellation.status == "sent"
    assert str(calendar_part(message)["METHOD"]) == "CANCEL"


def test_a_waiting_list_mail_not_yet_sent_when_a_seat_came_free_is_skipped(app, smtp_server):
    from eventsvc.services.registration import set_capacity

    event = make_event(capacity=1)
    make_registration(event, email="first@example.com")
    make_registration(event, email="second@example.com")
    set_capacity(event.id, 2)

    send_from_outbox(None)

    subjects = [m["Subject"] for m in smtp_server.extract_emails(count=2)]
    assert not any("Waiting list" in subject for subject in subjects)
    assert any("You have a seat" in subject for subject in subjects)
    waitlisted = mails(kind="waitlisted")[0]
    assert waitlisted.status == "failed" and waitlisted.last_error == "skipped: the registrant has a seat by now"


def test_a_message_arrives_as_smtplib_delivers_it_whether_or_not_a_line_starts_with_a_dot(app, smtp_server):
    # The connection leaves out smtplib's dot-stuffing search when no line starts with a dot.
    head = b"From: events@events.test\r\nTo: li@example.cn\r\nSubject: %s\r\n\r\n"
    messages = [head % b"plain" + b"no dot here\r\n", head % b"no line end" + b"the last line",
                head % b"dots" + b".a line with a dot\r\n.\r\n..two\r\nend\r\n", b".at the start\r\n\r\nbody"]
    with open_connection(relay_for("li@example.cn")) as connection:
        for data in messages:
            connection.send_wire(WireMessage("li@example.cn", data))
    with smtplib.SMTP(smtp_server.host, smtp_server.port) as plain:
        for data in messages:
            plain.sendmail("events@events.test", ["li@example.cn"], data)
    smtp_server.extract_emails(count=2 * len(messages))
    assert smtp_server.raw[:len(messages)] == smtp_server.raw[len(messages):]
    assert smtp_server.raw[2].count(b"\r\n.a line with a dot\r\n.\r\n..two\r\n") == 1
