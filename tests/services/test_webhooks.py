"""Webhooks as the CRM meets them: signed deliveries of every change, in order per registration,
retried while the CRM is down, and refused for addresses inside the network; an endpoint that
fails for a day is switched off and its owner told by mail (to the real SMTP server)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import WebhookDelivery, WebhookEndpoint
from eventsvc.services.checkin import check_in_registration
from eventsvc.services.event_changes import cancel_event
from eventsvc.services.mailing import send_from_outbox
from eventsvc.services.organizers import create_organizer, remember_language, set_disabled
from eventsvc.services.registration import cancel
from eventsvc.services.transaction import transaction
from eventsvc.services.webhook_delivery import DISABLE_AFTER, RETRY_SCHEDULE, deliver, sweep
from eventsvc.services.webhooks import WebhookUrlError, add_endpoint, emit_registration
from tests.factories import make_event, make_registration
from tests.fixtures.mail import html_body, text_body


@pytest.fixture
def app_overrides(smtp_server):
    return {"WEBHOOK_ALLOW_PRIVATE": True, "MAIL_PORT": smtp_server.port}


def pending_ids() -> list[int]:
    ids = list(db.session.scalars(select(WebhookDelivery.id).where(WebhookDelivery.status == "pending")
                                  .order_by(WebhookDelivery.id)))
    db.session.rollback()
    return ids


def run_due(now: datetime) -> None:
    """What the workers do at ``now``: try every due delivery (each waits for those before it)."""
    for delivery_id in pending_ids():
        deliver(delivery_id, now)


@pytest.mark.parametrize("url", ["ftp://93.184.215.14/x", "javascript:alert(1)", "https:///nohost",
                                 "http://127.0.0.1/x", "http://10.1.2.3/x", "http://192.168.0.5:8080/x",
                                 "http://169.254.169.254/latest", "http://[::1]/x", "http://localhost/x",
                                 "http://0.0.0.0/x"])
def test_a_url_that_is_not_http_or_points_inside_the_network_is_refused(app, url):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    with pytest.raises(WebhookUrlError):
        add_endpoint(url)
    assert db.session.scalars(select(WebhookEndpoint)).all() == []


def test_an_endpoint_on_the_internet_gets_a_secret_to_copy_once(app):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    endpoint = add_endpoint("https://93.184.215.14/hooks", types=["registration.created"])
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 40
    assert endpoint.types == ["registration.created"] and endpoint.active
    with pytest.raises(ValueError, match="unknown event type"):
        add_endpoint("https://93.184.215.14/hooks", types=["registration.deleted"])


def test_every_change_is_delivered_signed_once_the_crm_recovers_in_order_per_registration(app, webhook_receiver):
    receiver = webhook_receiver(fail_first=3)
    receiver.secret = add_endpoint(receiver.url).secret
    event = make_event(capacity=1)
    first = make_registration(event, email="first@example.com")
    second = make_registration(event, email="second@example.com")   # waiting list
    cancel(first.id)                                                 # second is promoted
    check_in_registration(second.id)
    first_id, second_id = first.public_id, second.public_id
    db.session.rollback()

    start = datetime.now(timezone.utc)
    run_due(start)                                 # the CRM answers 500: nothing is accepted
    assert receiver.accepted == []
    for delay in RETRY_SCHEDULE[:3]:
        start += timedelta(seconds=delay)
        run_due(start)

    arrived = [(body["type"], body["data"]["id"]) for _, body in receiver.accepted]
    assert sorted(arrived) == sorted([
        ("registration.created", first_id), ("registration.cancelled", first_id),
        ("registration.created", second_id), ("registration.promoted", second_id),
        ("registration.checked_in", second_id)])
    for registration_id in (first_id, second_id):   # in the order they happened, per registration
        kinds = [kind for kind, rid in arrived if rid == registration_id]
        expected = (["registration.created", "registration.cancelled"] if registration_id == first_id else
                    ["registration.created", "registration.promoted", "registration.checked_in"])
        assert kinds == expected
    assert receiver.bad_signatures == 0
    headers, body = receiver.accepted[0]
    assert headers["webhook-id"].startswith("msg_") and headers["webhook-signature"].startswith("v1,")
    assert set(body) == {"type", "timestamp", "data"}
    assert body["data"]["email"] in ("first@example.com", "second@example.com")
    assert pending_ids() == []


def test_a_retry_is_signed_afresh_and_every_attempt_is_logged_with_the_answer(app, webhook_receiver):
    receiver = webhook_receiver(fail_first=1)
    receiver.secret = add_endpoint(receiver.url).secret
    make_registration(make_event())
    now = datetime.now(timezone.utc)
    run_due(now)
    [delivery] = db.session.scalars(select(WebhookDelivery)).all()
    assert delivery.status == "pending" and delivery.next_attempt_at <= now + timedelta(minutes=1)
    db.session.rollback()
    run_due(now + timedelta(seconds=RETRY_SCHEDULE[0]))
    [delivery] = db.session.scalars(select(WebhookDelivery)).all()
    assert delivery.status == "delivered"
    assert [(a.status_code, a.answer) for a in delivery.attempt_log] == [(500, "receiver answered 500"), (200, "ok")]
    db.session.rollback()


def test_news_is_committed_with_the_change_or_not_at_all(app, webhook_receiver):
    add_endpoint(webhook_receiver().url)
    event = make_event()
    registration = make_registration(event)
    with pytest.raises(RuntimeError):
        with transaction():
            emit_registration("registration.cancelled", registration)
            raise RuntimeError("the change fails")
    assert [d.type for d in db.session.scalars(select(WebhookDelivery))] == ["registration.created"]
    db.session.rollback()


def test_an_endpoint_hears_only_its_event_and_types(app, webhook_receiver):
    wanted, other = make_event(), make_event()
    add_endpoint(webhook_receiver().url, wanted, ["registration.cancelled", "event.changed"])
    registration = make_registration(wanted)
    make_registration(other)
    cancel(registration.id)
    cancel_event(other.id)
    cancel_event(wanted.id)
    types = [d.type for d in db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))]
    assert types == ["registration.cancelled", "event.changed"]
    db.session.rollback()


def test_an_endpoint_failing_for_a_day_is_switched_off_and_catches_up_when_switched_on(app, webhook_receiver):
    from eventsvc.services.webhooks import set_active

    receiver = webhook_receiver(fail_first=10_000)
    endpoint = add_endpoint(receiver.url)
    receiver.secret = endpoint.secret
    endpoint_id = endpoint.id
    make_registration(make_event())
    now = datetime.now(timezone.utc)
    run_due(now)
    run_due(now + DISABLE_AFTER)
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    assert not endpoint.active and endpoint.disabled_reason == "failing for a day"
    db.session.rollback()
    requests = receiver.requests
    assert sweep(now + DISABLE_AFTER * 2) == 0      # nothing more goes to it
    run_due(now + DISABLE_AFTER * 2)
    assert receiver.requests == requests

    receiver.fail_first = 0
    set_active(endpoint_id, True)
    run_due(now + DISABLE_AFTER * 2)
    assert [body["type"] for _, body in receiver.accepted] == ["registration.created"]


def _send_all_mail() -> None:
    while send_from_outbox(None).claimed:
        pass


def _organizers_mailed(smtp_server) -> list[str]:
    """Who of the organizers (not the registrants, who get their confirmations) got mail."""
    return sorted(rcpt for _sender, rcpts in smtp_server.envelopes for rcpt in rcpts if rcpt.endswith("@oav.example"))


def _fail_for_a_day(receiver, owner_id: int | None = None) -> tuple[int, datetime]:
    """An endpoint that answers 500 from ``start`` on, tried again a day later; its id and ``start``."""
    endpoint = add_endpoint(receiver.url, owner_id=owner_id)
    receiver.secret = endpoint.secret
    endpoint_id = endpoint.id
    event = make_event()
    make_registration(event)
    make_registration(event)
    start = datetime.now(timezone.utc)
    run_due(start)
    run_due(start + DISABLE_AFTER)
    return endpoint_id, start


def test_the_owner_of_an_endpoint_switched_off_after_a_day_is_mailed_once_in_their_language(
        app, webhook_receiver, smtp_server):
    owner = create_organizer("crm-admin@oav.example", "a long admin password", "Carla Admin")
    remember_language(owner, "de")
    create_organizer("other-admin@oav.example", "a long admin password", "Other Admin")
    receiver = webhook_receiver(fail_first=10_000)
    endpoint_id, start = _fail_for_a_day(receiver, owner.id)
    assert not db.session.get(WebhookEndpoint, endpoint_id).active
    db.session.rollback()
    _send_all_mail()
    run_due(start + DISABLE_AFTER * 2)              # switched off: no second switch-off, no second mail
    _send_all_mail()

    [message] = smtp_server.extract_emails(count=1, to="crm-admin@oav.example")
    assert _organizers_mailed(smtp_server) == ["crm-admin@oav.example"]
    assert message["Subject"] == "Webhook-Endpunkt ausgeschaltet"
    text, html = text_body(message), html_body(message)
    assert receiver.url in text and receiver.url in html
    assert "seit" in text and f"{start:%d.%m.%Y}" in text and f"{start:%H:%M}" in text
    assert "500" in text and "receiver answered 500" in text
    switch_on = f"http://events.test/organizer/webhooks/{endpoint_id}"  # the page with its log and switch
    assert switch_on in text and f'href="{switch_on}"' in html and 'lang="de"' in html


def test_an_endpoint_without_an_owner_is_reported_to_every_admin_who_can_switch_it_on(
        app, webhook_receiver, smtp_server):
    for email, role in [("first-admin@oav.example", "admin"), ("second-admin@oav.example", "admin"),
                        ("gone-admin@oav.example", "admin"), ("partner@oav.example", "organizer")]:
        create_organizer(email, "a long admin password", role=role)
    set_disabled("gone-admin@oav.example", True)
    receiver = webhook_receiver(fail_first=10_000)
    _fail_for_a_day(receiver)
    _send_all_mail()
    for admin in ("first-admin@oav.example", "second-admin@oav.example"):
        [message] = smtp_server.extract_emails(count=1, to=admin)
        assert receiver.url in text_body(message)
    assert _organizers_mailed(smtp_server) == ["first-admin@oav.example", "second-admin@oav.example"]
    db.session.rollback()


def test_a_name_that_resolves_inside_the_network_at_delivery_time_is_not_contacted(app, webhook_receiver):
    receiver = webhook_receiver()
    receiver.secret = add_endpoint(receiver.url.replace("127.0.0.1", "localhost")).secret
    make_registration(make_event())
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False    # e.g. the name was changed to point inside
    run_due(datetime.now(timezone.utc))
    assert receiver.requests == 0
    [delivery] = db.session.scalars(select(WebhookDelivery)).all()
    assert delivery.status == "pending"
    assert delivery.attempt_log[0].status_code is None and "private" in delivery.attempt_log[0].answer
    db.session.rollback()


def test_a_due_retry_is_handed_on_by_the_sweep(app, webhook_receiver):
    add_endpoint(webhook_receiver().url)
    make_registration(make_event())
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(seconds=5)):
        assert sweep() == 1
