"""Admins add webhook endpoints on a page or with a command, and read each one's delivery log."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import WebhookEndpoint
from eventsvc.services.organizers import create_organizer
from eventsvc.services.webhook_delivery import deliver
from eventsvc.services.webhooks import all_endpoints
from tests.factories import make_event, make_registration


@pytest.fixture
def app_overrides():
    return {"WEBHOOK_ALLOW_PRIVATE": True}


def page(response) -> str:
    return response.get_data(as_text=True)


def test_an_admin_adds_an_endpoint_sees_its_secret_once_and_reads_the_log(app, organizer_client, webhook_receiver):
    receiver = webhook_receiver(fail_first=1)
    event = make_event(slug="berlin")
    added = organizer_client.post("/organizer/webhooks", data={
        "url": receiver.url, "event": "berlin", "types": ["registration.created", "registration.cancelled"]})
    assert added.status_code == 200
    secret = re.search(r'<code class="secret-value">(whsec_[^<]+)</code>', page(added)).group(1)
    receiver.secret = secret
    assert secret not in page(organizer_client.get("/organizer/webhooks"))     # shown once
    [endpoint] = all_endpoints()
    assert endpoint.event_id == event.id and endpoint.types == ["registration.created", "registration.cancelled"]
    endpoint_id = endpoint.id
    db.session.rollback()

    make_registration(event)
    delivery_id = db.session.execute(select(db.text("id")).select_from(db.text("webhook_deliveries"))).scalar()
    db.session.rollback()
    deliver(delivery_id, datetime.now(timezone.utc))
    log = page(organizer_client.get(f"/organizer/webhooks/{endpoint_id}"))
    assert "registration.created" in log and "receiver answered 500" in log and ">500<" in log


@pytest.mark.parametrize("url, message", [
    ("ftp://example.org/x", "starts with http:// or https://"),
    ("http://10.0.0.7/hook", "private network"),
])
def test_a_url_it_may_not_have_is_refused_with_a_clear_message(app, organizer_client, url, message):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    answer = organizer_client.post("/organizer/webhooks?lang=en", data={"url": url, "event": ""})
    assert message in page(answer)
    assert db.session.scalars(select(WebhookEndpoint)).all() == []


def test_only_admins_reach_the_webhooks(app):
    create_organizer("helper@oav.example", "a long password here", role="organizer")
    client = app.test_client()
    client.post("/organizer/login", data={"email": "helper@oav.example", "password": "a long password here"})
    assert client.get("/organizer/webhooks").status_code == 404   # as for every admin page


def test_the_command_adds_an_endpoint_and_prints_its_secret(app, webhook_receiver):
    make_event(slug="hamburg")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["webhooks", "add", webhook_receiver().url, "--event", "hamburg",
                                 "--types", "registration.created,mail.bounced"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].startswith("whsec_")
    refused = runner.invoke(args=["webhooks", "add", "gopher://example.org"])
    assert refused.exit_code != 0 and "http:// or https://" in refused.output
    unknown = runner.invoke(args=["webhooks", "add", webhook_receiver().url, "--types", "everything"])
    assert unknown.exit_code != 0 and "unknown event type" in unknown.output
    listed = runner.invoke(args=["webhooks", "list"]).output
    assert "hamburg" in listed and "registration.created,mail.bounced" in listed
