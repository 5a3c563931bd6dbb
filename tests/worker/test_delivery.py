"""Delivery as operators run it: the worker started exactly as the docs write it."""

from __future__ import annotations

import pytest

from eventsvc.extensions import db
from tests.factories import make_event, make_registration
from tests.fixtures.worker import use_broker

pytestmark = pytest.mark.worker


@pytest.mark.parametrize("queues", [None, "mail"], ids=["celery -A worker worker", "-Q mail"])
def test_the_documented_worker_command_sends_the_confirmation(pg_app, smtp_server, broker, start_worker, queues):
    use_broker(pg_app, broker)
    start_worker(pg_app, smtp_server, broker, queues=queues)
    make_registration(make_event(title={"en": "Launch", "zh": "发布会"}), email="li.wei@example.cn", language="zh")
    db.session.rollback()
    [message] = smtp_server.extract_emails(count=1, to="li.wei@example.cn", timeout=30)
    assert str(message["Subject"]).startswith("报名确认：发布会")
