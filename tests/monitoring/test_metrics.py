"""``GET /metrics``: figures about stored things for Prometheus, shown only to Prometheus."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from eventsvc import create_app
from eventsvc.extensions import db
from eventsvc.models import MailStatus, OutboundMail, Registration
from eventsvc.models.types import utcnow

from ..factories import make_event, make_registration
from ..fixtures.database import BASE_OVERRIDES

TOKEN = "scrape-7f3a9c2e1b"


@pytest.fixture
def app_overrides():
    return {"METRICS_TOKEN": TOKEN, "METRICS_ALLOW_FROM": "10.20.0.0/16, 2001:db8::/32"}


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def _scrape(client, **kwargs) -> dict:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, **kwargs)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return _samples(response.get_data(as_text=True))


def test_metrics_are_a_404_without_the_token_or_an_allowed_address(client):
    not_found = client.get("/nothing-here").get_data().replace(b"/nothing-here", b"/metrics")
    for headers, address in [({}, "127.0.0.1"), ({"Authorization": "Bearer wrong"}, "127.0.0.1"),
                             ({"Authorization": TOKEN}, "127.0.0.1"), ({}, "10.21.0.1")]:
        response = client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 404
        assert response.get_data() == not_found  # the site's own 404 page: no hint that the page exists
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.3.4"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "2001:db8::7"}).status_code == 200
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_nothing_is_allowed_by_default(database_url, tmp_path):
    app = create_app({**BASE_OVERRIDES, "SQLALCHEMY_DATABASE_URI": database_url})
    client = app.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_figures_about_stored_things_come_from_the_database(app, client):
    launch, shanghai = make_event(slug="hamburg-launch"), make_event(slug="shanghai-forum", capacity=1)
    people = [make_registration(launch) for _ in range(3)]
    make_registration(shanghai)
    make_registration(shanghai)  # waitlisted
    now = utcnow()
    mails = {mail.registration_id: mail for mail in db.session.scalars(db.select(OutboundMail))}
    first, second, third = (mails[person.id] for person in people)
    first.status, first.sent_at, first.route = MailStatus.SENT, now, "smtp.example.org:587"
    second.status, second.sent_at, second.route = MailStatus.BOUNCED, now, "smtp.example.org:587"
    third.status, third.route, third.last_error = MailStatus.FAILED, "relay-cn.example.cn:465", "550 no such user"
    people[0].checked_in_at = now
    db.session.commit()
    for mail in db.session.scalars(db.select(OutboundMail).where(OutboundMail.status == MailStatus.QUEUED)):
        mail.next_attempt_at = now - timedelta(minutes=10)
    db.session.commit()

    samples = _scrape(client)

    assert samples[("eventsvc_registrations_total", (("event", "hamburg-launch"), ("status", "confirmed")))] == 3
    assert samples[("eventsvc_registrations_total", (("event", "shanghai-forum"), ("status", "confirmed")))] == 1
    assert samples[("eventsvc_registrations_total", (("event", "shanghai-forum"), ("status", "waitlisted")))] == 1
    assert samples[("eventsvc_outbox_mails", (("relay", ""), ("status", "queued")))] == 2
    assert samples[("eventsvc_outbox_mails", (("relay", "smtp.example.org:587"), ("status", "bounced")))] == 1
    assert samples[("eventsvc_outbox_oldest_queued_seconds", ())] >= 600
    assert samples[("eventsvc_mail_sent_total", (("relay", "smtp.example.org:587"), ("result", "sent")))] == 2
    assert samples[("eventsvc_mail_sent_total", (("relay", "relay-cn.example.cn:465"), ("result", "failed")))] == 1
    assert samples[("eventsvc_bounces_total", ())] == 1
    assert samples[("eventsvc_checkins_total", (("door", ""), ("event", "hamburg-launch")))] == 1


def test_request_durations_by_endpoint(client):
    client.get("/")
    client.get("/healthz")
    samples = _scrape(client)
    counts = {dict(labels)["endpoint"]: value for (name, labels), value in samples.items()
              if name == "eventsvc_http_request_duration_seconds_count"}
    assert counts["public.index"] >= 1 and counts["healthz"] >= 1


@pytest.mark.parametrize("value", ["10.0.0.0/33", "not-a-network", "10.0.0.0/8;192.0.2.1"])
def test_a_malformed_allow_list_stops_the_app(value):
    with pytest.raises(ValueError, match="METRICS_ALLOW_FROM"):
        create_app({**BASE_OVERRIDES, "METRICS_ALLOW_FROM": value})


def test_checkins_are_counted_per_door(client):
    """Each door's count, where the schema records the door (the door app's check-in); one unnamed door before."""
    event = make_event(slug="berlin-dialogue")
    people = [make_registration(event) for _ in range(3)]
    recorded = hasattr(Registration, "checkin_door")
    for person, door in zip(people, ("North", "North", "北门")):
        person.checked_in_at = utcnow()
        if recorded:
            person.checkin_door = door
    db.session.commit()
    samples = _scrape(client)
    counts = {dict(labels)["door"]: value for (name, labels), value in samples.items()
              if name == "eventsvc_checkins_total" and dict(labels)["event"] == "berlin-dialogue"}
    assert counts == ({"North": 2, "北门": 1} if recorded else {"": 3})
