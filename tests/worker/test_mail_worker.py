"""The mail pipeline with real ``celery`` worker processes, over Redis and the embedded broker."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.models import OutboundMail
from eventsvc.models.types import utcnow
from eventsvc.services.mailing import sweep_outbox
from tests.factories import make_event, make_registration
from tests.fixtures.mail import calendar_part, text_body
from tests.fixtures.worker import Broker, use_broker

pytestmark = pytest.mark.worker


def statuses() -> dict[str, int]:
    db.session.rollback()
    rows = db.session.execute(select(OutboundMail.status, func.count()).group_by(OutboundMail.status))
    result = dict(rows.all())
    db.session.rollback()
    return result


def wait_for(condition, timeout: float = 30.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def test_a_registration_brings_exactly_one_bilingual_confirmation(pg_app, smtp_server, broker, start_worker):
    use_broker(pg_app, broker)
    start_worker(pg_app, smtp_server, broker)
    event = make_event()
    make_registration(event, email="anna@example.com", language="de", family_name="Schmidt", given_name="Anna")
    db.session.rollback()

    [message] = smtp_server.extract_emails(count=1, to="anna@example.com", timeout=30)
    body = text_body(message)
    assert body.startswith("Guten Tag Anna Schmidt,") and "Dear Anna Schmidt," in body
    [entry] = calendar_part(message).walk("VEVENT")
    assert str(entry["UID"]) == f"event-{event.id}@events.test"
    smtp_server.wait_quiet(1.0)
    assert len(smtp_server.messages) == 1
    assert statuses() == {"sent": 1}


def test_mail_waits_out_an_smtp_outage_and_arrives_once(pg_app, smtp_server, redis_broker, start_worker):
    use_broker(pg_app, redis_broker)
    # Retries every few seconds (capped at 4 s) so the mail follows soon after the server is back.
    start_worker(pg_app, smtp_server, redis_broker, env={
        "MAIL_RETRY_BASE_SECONDS": "1", "MAIL_RETRY_MAX_SECONDS": "4", "MAIL_MAX_ATTEMPTS": "30"})
    smtp_server.stop()
    event = make_event()
    people = [f"outage{n}@example.com" for n in range(3)]
    for address in people:
        make_registration(event, email=address)
    db.session.rollback()

    time.sleep(30)  # the outage: thirty seconds without a mail server
    assert statuses().get("sent", 0) == 0
    smtp_server.start()

    smtp_server.extract_emails(count=3, timeout=30)
    smtp_server.wait_quiet(2.0)
    assert sorted(to for _, [to] in smtp_server.envelopes) == sorted(people)
    assert wait_for(lambda: statuses() == {"sent": 3})


def test_a_permanent_refusal_is_recorded_and_not_retried(pg_app, smtp_server, redis_broker, start_worker):
    use_broker(pg_app, redis_broker)
    start_worker(pg_app, smtp_server, redis_broker)
    smtp_server.reply = "550 5.1.1 <nobody@example.com>: Recipient address rejected"
    make_registration(make_event(), email="nobody@example.com")
    db.session.rollback()

    wait_for(lambda: statuses() == {"failed": 1})
    time.sleep(2)
    [mail] = db.session.scalars(select(OutboundMail)).all()
    assert mail.attempts == 1
    assert mail.last_error == "550 5.1.1 <nobody@example.com>: Recipient address rejected"
    db.session.rollback()


def test_a_worker_killed_mid_batch_loses_nothing(pg_app, smtp_server, redis_broker, start_worker):
    use_broker(pg_app, redis_broker)
    event = make_event()
    people = [f"batch{n}@example.com" for n in range(12)]
    for address in people:
        make_registration(event, email=address)
    db.session.rollback()
    smtp_server.delay = 0.3  # a slow relay: the batch is still going when the worker dies
    settings = {"MAIL_LEASE_SECONDS": "3"}
    worker = start_worker(pg_app, smtp_server, redis_broker, concurrency=1, env=settings)
    smtp_server.extract_emails(count=3, timeout=30)
    worker.kill()
    assert len(smtp_server.messages) < len(people)

    start_worker(pg_app, smtp_server, redis_broker, concurrency=1, env=settings)
    time.sleep(3.5)  # the dead worker's lease runs out
    sweep_outbox()   # what beat does every minute
    smtp_server.delay = 0
    smtp_server.extract_emails(count=len(people), timeout=30)
    smtp_server.wait_quiet(1.5)

    received = [to for _, [to] in smtp_server.envelopes]
    assert set(received) == set(people)
    assert len(received) - len(set(received)) <= 1  # at most the mail in flight goes twice
    assert wait_for(lambda: statuses() == {"sent": len(people)})


def test_registrations_made_while_the_broker_is_down_get_their_mail_later(
        pg_app, smtp_server, private_redis, start_worker):
    broker = Broker(private_redis.url)
    use_broker(pg_app, broker)
    start_worker(pg_app, smtp_server, broker)
    event = make_event()
    private_redis.stop()

    people = [f"nobroker{n}@example.com" for n in range(3)]
    for address in people:
        make_registration(event, email=address)  # accepted: the outbox keeps the mail
    db.session.rollback()
    assert statuses() == {"queued": 3}

    private_redis.start()
    # Beat's sweeper, a minute later: all three mails are overdue and none of them was hinted, so
    # it hints all three again, and the worker (reconnecting on its own) sends them.
    assert sweep_outbox(now=utcnow() + timedelta(minutes=1)) == 3
    smtp_server.extract_emails(count=3, timeout=40)
    smtp_server.wait_quiet(1.5)
    assert sorted(to for _, [to] in smtp_server.envelopes) == sorted(people)
    assert wait_for(lambda: statuses() == {"sent": 3})


def test_two_workers_share_200_mails_without_duplicates(pg_app, smtp_server, redis_broker, start_worker):
    use_broker(pg_app, redis_broker)
    pg_app.config["MAIL_BATCH_SIZE"] = 10  # many hints, so both workers compete for the rows
    event = make_event()
    for n in range(200):
        make_registration(event, email=f"pair{n}@example.com")
    db.session.rollback()
    sweep_outbox(now=utcnow() + timedelta(minutes=1))  # extra hints: more contention
    env = {"MAIL_BATCH_SIZE": "10"}
    start_worker(pg_app, smtp_server, redis_broker, concurrency=2, env=env)
    start_worker(pg_app, smtp_server, redis_broker, concurrency=2, env=env)

    smtp_server.extract_emails(count=200, timeout=90)
    smtp_server.wait_quiet(1.5)
    received = [to for _, [to] in smtp_server.envelopes]
    assert len(received) == 200 and len(set(received)) == 200
    assert len(set(smtp_server.message_ids())) == 200
    assert wait_for(lambda: statuses() == {"sent": 200})
