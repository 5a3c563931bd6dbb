"""Delivery as operators run it: the worker started exactly as the docs write it."""

from __future__ import annotations

import pytest

from eventsvc.extensions import db
from tests.factories import make_event, make_registration
from tests.fixtures.mail import SMTPServer
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


def test_the_worker_sends_each_domain_through_its_route(pg_app, smtp_server, redis_broker, start_worker):
    cn_relay = SMTPServer().start()
    try:
        use_broker(pg_app, redis_broker)
        start_worker(pg_app, smtp_server, redis_broker, queues=None,
                     env={"MAIL_ROUTES": f"qq.com 163.com=smtp://127.0.0.1:{cn_relay.port}"})
        event = make_event()
        make_registration(event, email="wang@qq.com", language="zh")
        make_registration(event, email="anna@example.de", language="de")
        db.session.rollback()
        cn_relay.extract_emails(count=1, to="wang@qq.com", timeout=30)
        smtp_server.extract_emails(count=1, to="anna@example.de", timeout=30)
        assert len(cn_relay.messages) == 1 and len(smtp_server.messages) == 1
    finally:
        cn_relay.stop()
