"""Publishing a report edition (SQLite, then PostgreSQL)."""

from __future__ import annotations

import re
from html import unescape

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


def links(html: str) -> list[tuple[str, str]]:
    """``(address, words)`` of every link in a mail's HTML, in order."""
    found = re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', html)
    return [(unescape(url), unescape(words).strip()) for url, words in found]


def report_links(html: str) -> list[tuple[str, str]]:
    """The report links among them: every mail has other links (registration, event)."""
    return [(url, words) for url, words in links(html) if url.startswith("http://events.test/reports/")]


def report_urls(text: str) -> list[str]:
    """Every report address in a mail's text part, in order."""
    return re.findall(r"http://events\.test/reports/\S*", text)


def test_everyone_who_wants_the_edition_gets_one_mail_with_its_link(app, client, smtp_server):
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
    assert message["Subject"].startswith("报告已发布：智慧城市中国：中国城市的未来 | ")
    # Only the Chinese edition exists: the mail links it (through the counted download link of
    # the reader's latest event), and no English edition that was never published.
    zh_link = "http://events.test/reports/zh?event=berlin"
    body, html = text_body(message), html_body(message)
    assert set(report_urls(body)) == {zh_link}
    assert {url for url, _ in report_links(html)} == {zh_link}
    # What each half announces is this edition: its title and link come right after the news.
    for news in ("报告新版本现已发布：", "A new edition of the report is available:"):
        assert body.split(news, 1)[1].split()[:2] == ["智慧城市中国：中国城市的未来", zh_link]
        assert links(html.split(news, 1)[1])[0] == (zh_link, "智慧城市中国：中国城市的未来")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    smtp_server.extract_emails(count=1, to="other@example.com")
    smtp_server.wait_quiet(0.3)
    assert len(smtp_server.messages) == 2
    db.session.rollback()
    assert db.session.scalar(select(Report.url)) == "https://oav.de/smart-city-china-zh-v2.pdf"
    # The link in the mail leads to the corrected edition.
    assert client.get(zh_link.removeprefix("http://events.test")).headers["Location"] == (
        "https://oav.de/smart-city-china-zh-v2.pdf")


def test_the_confirmation_links_every_published_edition_and_no_other(app, smtp_server):
    publish_report("en", "https://oav.de/scc-en.pdf")
    early = make_registration(make_event(slug="berlin"), email="early@example.com")
    send_from_outbox(early.mails.first().id)
    [before] = smtp_server.extract_emails(count=1, to="early@example.com")
    english = ("http://events.test/reports/en?event=berlin", "Smart City China: China's Urban Future")
    assert set(report_urls(text_body(before))) == {english[0]}  # no Chinese edition yet
    assert set(report_links(html_body(before))) == {english}

    publish_report("zh", "https://oav.de/scc-zh.pdf")
    registration = make_registration(make_event(slug="shanghai"), email="late@example.com")
    send_from_outbox(registration.mails.first().id)
    [message] = smtp_server.extract_emails(count=1, to="late@example.com")
    body = text_body(message)
    assert set(report_urls(body)) == {"http://events.test/reports/en?event=shanghai",
                                      "http://events.test/reports/zh?event=shanghai"}
    assert set(report_links(html_body(message))) == {
        ("http://events.test/reports/en?event=shanghai", "Smart City China: China's Urban Future"),
        ("http://events.test/reports/zh?event=shanghai", "智慧城市中国：中国城市的未来"),
    }


@pytest.mark.parametrize("language, url", [("fr", "https://oav.de/x.pdf"), ("zh", "oav.de/x.pdf"),
                                           ("zh", "javascript:alert(1)"), ("zh", "")])
def test_a_bad_language_or_url_is_refused(app, language, url):
    with pytest.raises(ReportError):
        publish_report(language, url)
    assert db.session.scalar(select(OutboundMail.id)) is None
