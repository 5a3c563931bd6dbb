"""Publishing a report edition (SQLite, then PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import OutboundMail, Report
from eventsvc.models.types import utcnow
from eventsvc.services.mailing import send_from_outbox
from eventsvc.services.registration import cancel
from eventsvc.services.reports import ReportError, publish_report
from tests.factories import make_event, make_registration
from tests.fixtures.mail import html_body, text_body


@pytest.fixture
def app_overrides(smtp_server):
    return {"MAIL_PORT": smtp_server.port}


def test_everyone_who_wants_the_edition_gets_one_mail_with_its_link(app, smtp_server):
    hamburg, berlin = make_event(slug="hamburg"), make_event(slug="berlin")
    make_registration(hamburg, email="reader@example.com", language="zh")
    make_registration(berlin, email="reader@example.com", language="zh")  # two events, one mail
    make_registration(hamburg, email="other@example.com", language="de")
    not_interested = make_registration(hamburg, email="no@example.com")
    unsubscribed = make_registration(hamburg, email="unsub@example.com")
    not_interested.wants_report = False
    unsubscribed.unsubscribed_at = utcnow()
    db.session.commit()
    cancel(make_registration(hamburg, email="cancelled@example.com").id)
    while send_from_outbox(None).claimed:
        pass
    smtp_server.clear()

    result = publish_report("zh", "https://oav.de/smart-city-china-zh.pdf")
    assert result.mails_queued == 2
    assert result.report.title == "智慧城市中国：中国城市的未来"
    assert publish_report("zh", "https://oav.de/smart-city-china-zh-v2.pdf").mails_queued == 0
    while send_from_outbox(None).claimed:
        pass

    [message] = smtp_server.extract_emails(count=1, to="reader@example.com")
    assert message["Subject"].startswith("报告已发布：智慧城市中国")
    assert "http://events.test/reports/zh?event=berlin" in text_body(message)
    assert "report" in html_body(message).lower()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    smtp_server.extract_emails(count=1, to="other@example.com")
    smtp_server.wait_quiet(0.3)
    assert len(smtp_server.messages) == 2
    db.session.rollback()
    assert db.session.scalar(select(Report.url)) == "https://oav.de/smart-city-china-zh-v2.pdf"


def test_the_confirmation_links_every_published_edition(app, smtp_server):
    publish_report("en", "https://oav.de/scc-en.pdf")
    publish_report("zh", "https://oav.de/scc-zh.pdf")
    registration = make_registration(make_event(slug="shanghai"))
    send_from_outbox(registration.mails.first().id)
    [message] = smtp_server.extract_emails(count=1)
    body = text_body(message)
    assert "http://events.test/reports/en?event=shanghai" in body
    assert "http://events.test/reports/zh?event=shanghai" in body


@pytest.mark.parametrize("language, url", [("fr", "https://oav.de/x.pdf"), ("zh", "oav.de/x.pdf"),
                                           ("zh", "javascript:alert(1)"), ("zh", "")])
def test_a_bad_language_or_url_is_refused(app, language, url):
    with pytest.raises(ReportError):
        publish_report(language, url)
    assert db.session.scalar(select(OutboundMail.id)) is None
