"""Webhooks with real ``celery`` workers: the CRM hears of each registration within a minute,
and of every change once it recovers from an outage, in order per registration."""

from __future__ import annotations

import pytest

from eventsvc.extensions import db
from eventsvc.services.registration import cancel
from eventsvc.services.webhooks import add_endpoint
from tests.factories import make_event, make_registration
from tests.fixtures.worker import use_broker

pytestmark = pytest.mark.worker


def test_the_crm_hears_of_every_change_once_it_recovers(pg_app, smtp_server, redis_broker, start_worker,
                                                        webhook_receiver):
    pg_app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    use_broker(pg_app, redis_broker)
    # Retries a second apart instead of 30 s, 5 min, …: the order and the outcome are the same.
    start_worker(pg_app, smtp_server, redis_broker, env={"WEBHOOK_ALLOW_PRIVATE": "true",
                                                          "WEBHOOK_RETRY_SCHEDULE": "1,1,1,1,1,1"})
    receiver = webhook_receiver(fail_first=4)
    receiver.secret = add_endpoint(receiver.url).secret
    event = make_event()
    registrations = [make_registration(event, email=f"p{n}@example.com") for n in range(3)]
    cancel(registrations[0].id)
    ids = [r.public_id for r in registrations]
    db.session.rollback()

    arrived = receiver.wait_for(4, timeout=60)
    bodies = [body for _, body in arrived]
    assert receiver.bad_signatures == 0
    assert sorted((b["type"], b["data"]["id"]) for b in bodies) == sorted(
        [("registration.created", i) for i in ids] + [("registration.cancelled", ids[0])])
    first = [b["type"] for b in bodies if b["data"]["id"] == ids[0]]
    assert first == ["registration.created", "registration.cancelled"]
    assert len({headers["webhook-id"] for headers, _ in arrived}) == 4    # each delivered once
