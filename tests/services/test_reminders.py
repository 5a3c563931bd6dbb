"""Reminders before an event: who gets which, and when (SQLite, then PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import MailKind, OutboundMail, Registration
from eventsvc.models.types import utcnow
from eventsvc.services.mailing import bulk, send_from_outbox
from eventsvc.services.mailing.outbox import queue_mail
from eventsvc.services.registration import cancel
from eventsvc.services.reminders import run_due
from tests.factories import make_event, make_registration
from tests.fixtures.mail import text_body


@pytest.fixture
def app_overrides(smtp_server):
    return {"MAIL_PORT": smtp_server.port}


def registered_days_ago(registration, days: int) -> None:
    db.session.execute(db.update(Registration).where(Registration.id == registration.id)
                       .values(created_at=utcnow() - timedelta(days=days)))
    db.session.commit()


def reminder_keys() -> list[tuple[str, str]]:
    db.session.rollback()
    rows = db.session.execute(
        select(Registration.email, OutboundMail.dedupe_key).join(OutboundMail.registration)
        .where(OutboundMail.kind == "reminder").order_by(Registration.email, OutboundMail.dedupe_key))
    return [tuple(row) for row in rows]


def test_each_reminder_goes_once_to_confirmed_registrants_only(app, smtp_server):
    start = utcnow().replace(microsecond=0) + timedelta(days=10)
    event = make_event(starts_at=start, capacity=2)
    early = make_registration(event, email="early@example.com", language="zh")
    second = make_registration(event, email="second@example.com")
    waiting = make_registration(event, email="waiting@example.com")
    gone = make_registration(event, email="gone@example.com")
    for registration in (early, second, waiting, gone):
        registered_days_ago(registration, 20)
    cancel(gone.id)
    second.unsubscribed_at = utcnow()
    db.session.commit()
    send_from_outbox(None)
    smtp_server.clear()

    assert run_due(start - timedelta(days=8)) == 0                    # not yet
    assert run_due(start - timedelta(days=7)) == 1                    # the seven-day one
    assert run_due(start - timedelta(days=6)) == 0                    # only once
    assert run_due(start - timedelta(hours=23)) == 1                  # the one-day one
    assert reminder_keys() == [("early@example.com", "reminder:P1D"), ("early@example.com", "reminder:P7D")]

    send_from_outbox(None, now=start - timedelta(hours=22))
    messages = smtp_server.extract_emails(count=2, to="early@example.com")
    assert messages[0]["Subject"].startswith("活动提醒：")
    assert "我们期待您的光临" in text_body(messages[0])


def test_no_reminder_whose_moment_passed_long_ago_or_before_the_registration(app):
    start = utcnow().replace(microsecond=0) + timedelta(hours=20)
    event = make_event(starts_at=start)
    old = make_registration(event, email="old@example.com")
    registered_days_ago(old, 30)
    make_registration(event, email="new@example.com")  # after the one-day moment: has the confirmation

    # Twenty hours before the start: the seven-day reminder would be six days late, so none; the
    # one-day reminder goes to the one who registered before its moment.
    assert run_due() == 1
    assert reminder_keys() == [("old@example.com", "reminder:P1D")]


def test_a_draft_or_cancelled_event_gets_no_reminder(app):
    start = utcnow().replace(microsecond=0) + timedelta(days=3)
    for status in ("draft", "cancelled"):
        event = make_event(starts_at=start, status="published")
        registered_days_ago(make_registration(event), 10)
        event.status = status
        db.session.commit()
    assert run_due(start - timedelta(hours=12)) == 0


def test_a_run_in_batches_queues_each_reminder_once(app, monkeypatch):
    """The run writes its mails a batch at a time, in the order of the registrations; one that
    already has its reminder (a run that died midway) is skipped, everyone else gets one."""
    monkeypatch.setattr(bulk, "BULK_BATCH", 2)
    start = utcnow().replace(microsecond=0) + timedelta(days=3)
    event = make_event(starts_at=start)
    people = [make_registration(event, email=f"guest{n}@example.com") for n in range(5)]
    for person in people:
        registered_days_ago(person, 10)
    queue_mail(people[2], MailKind.REMINDER, "reminder:P1D")
    db.session.commit()

    assert run_due(start - timedelta(hours=23)) == 4
    assert run_due(start - timedelta(hours=22)) == 0
    assert reminder_keys() == [(f"guest{n}@example.com", "reminder:P1D") for n in range(5)]
