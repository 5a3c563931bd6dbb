"""The mails after the event: a thank-you to everyone checked in, a missed-you to confirmed
registrants who did not come; once each, in both languages, with links that work (SQLite, then
PostgreSQL, with a real SMTP server)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import OutboundMail, Report
from eventsvc.models.types import utcnow
from eventsvc.services.aftercare import send_due_follow_ups
from eventsvc.services.mailing import send_from_outbox
from eventsvc.services.registration import cancel
from tests.factories import make_event, make_registration
from tests.fixtures.mail import text_body


@pytest.fixture
def app_overrides(smtp_server):
    return {"MAIL_PORT": smtp_server.port}


def _send_all() -> None:
    while send_from_outbox(None).claimed:
        pass


def _end(event, hours_ago: float = 12) -> None:
    """Move the event into the past (registrations are only taken before it)."""
    event.starts_at = utcnow() - timedelta(hours=hours_ago + 3)
    event.ends_at = utcnow() - timedelta(hours=hours_ago)
    db.session.commit()


def _check_in(*registrations) -> None:
    for registration in registrations:
        registration.checked_in_at = utcnow() - timedelta(hours=14)
    db.session.commit()


def _recipients(smtp_server) -> list[str]:
    return sorted(r for _, rcpts in smtp_server.envelopes for r in rcpts)


def _crowd():
    """An event that has ended, with every kind of registrant, and a next event open for registration."""
    launch = make_event(slug="hamburg-launch", capacity=5,
                        title={"en": "Hamburg launch", "zh": "汉堡发布会", "de": "Hamburger Auftakt"},
                        feedback=[{"key": "overall", "type": "rating", "required": True,
                                   "label": {"en": "Overall?", "zh": "总体评价？", "de": "Insgesamt?"}}])
    people = {
        "li": make_registration(launch, email="li@example.cn", family_name="王", given_name="丽", language="zh"),
        "anna": make_registration(launch, email="anna@example.de", family_name="Schmidt", given_name="Anna",
                                  language="de"),
        "tom": make_registration(launch, email="tom@example.com", family_name="Miller", given_name="Tom"),
        "bouncing": make_registration(launch, email="bouncing@example.com"),
        "late": make_registration(launch, email="late@example.com"),
        "waiting": make_registration(launch, email="waiting@example.com"),
        "gone": make_registration(launch, email="gone@example.com"),
    }
    cancel(people["gone"].id)
    people["bouncing"].email_bounced_at = utcnow()
    db.session.commit()
    _check_in(people["li"], people["anna"], people["bouncing"])
    make_event(slug="beijing-2030", title={"en": "Beijing forum", "zh": "北京论坛", "de": "Pekinger Forum"},
               city="Beijing", country="CN", timezone="Asia/Shanghai")
    db.session.add(Report(language="en", title="Smart City China", url="https://www.oav.de/report.pdf"))
    db.session.commit()
    _send_all()  # the confirmations of the registration
    _end(launch)
    return launch, people


def test_follow_up_reaches_exactly_its_audience_once_in_both_languages(app, client, smtp_server):
    launch, people = _crowd()
    smtp_server.clear()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["events", "follow-up", "hamburg-launch"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2 thank-you and 2 missed-you mails queued."
    again = runner.invoke(args=["events", "follow-up", "hamburg-launch"])
    assert again.output.strip() == "0 thank-you and 0 missed-you mails queued."
    _send_all()
    # Nobody on the waiting list, cancelled or bouncing; everyone once.
    assert _recipients(smtp_server) == ["anna@example.de", "late@example.com", "li@example.cn", "tom@example.com"]

    [li] = smtp_server.extract_emails(1, to="li@example.cn")
    assert str(li["Subject"]).startswith("感谢您的光临：汉堡发布会")
    assert "Thank you for coming: Hamburg launch" in str(li["Subject"])
    body = text_body(li)
    assert body.index("尊敬的王丽：") < body.index("Dear 王丽,")
    assert "感谢您出席“汉堡发布会”" in body and "Thank you for coming to “Hamburg launch”" in body
    token = people["li"].manage_token
    assert f"http://events.test/r/{token}/certificate.pdf" in body
    feedback_path = f"/r/{token}/feedback"
    assert f"http://events.test{feedback_path}" in body
    assert not any(part.get_content_type() == "text/calendar" for part in li.walk())
    # The report link counts the download and leads to the file; the manage link opens the page.
    report_path = re.search(r"http://events.test(/reports/en\?event=hamburg-launch)", body).group(1)
    response = client.get(report_path)
    assert response.status_code == 302 and response.location == "https://www.oav.de/report.pdf"
    assert client.get(f"/r/{token}").status_code == 200
    certificate = client.get(f"/r/{token}/certificate.pdf")
    assert certificate.status_code == 200 and certificate.mimetype == "application/pdf"
    assert "总体评价？" in client.get(feedback_path).get_data(as_text=True)

    [anna] = smtp_server.extract_emails(1, to="anna@example.de")
    assert "Vielen Dank für Ihren Besuch" in str(anna["Subject"])
    assert "Guten Tag Anna Schmidt," in text_body(anna) and "Dear Anna Schmidt," in text_body(anna)

    [tom] = smtp_server.extract_emails(1, to="tom@example.com")
    assert str(tom["Subject"]).startswith("Sorry we missed you: Hamburg launch")
    assert "很遗憾" in str(tom["Subject"])
    body = text_body(tom)
    assert "certificate" not in body
    assert "Beijing forum" in body and "北京论坛" in body
    next_path = re.search(r"http://events.test(/events/beijing-2030)", body).group(1)
    assert client.get(next_path).status_code == 200
    assert tom["List-Unsubscribe"]  # report mail: one click stops it


def test_not_ended_event_sends_nothing_and_says_why(app, smtp_server):
    launch = make_event(slug="still-ahead")
    make_registration(launch, email="li@example.cn")
    result = app.test_cli_runner().invoke(args=["events", "follow-up", "still-ahead"])
    assert result.exit_code != 0
    assert "has not ended yet" in result.output
    assert db.session.scalars(select(OutboundMail).where(OutboundMail.kind.in_(["thank_you", "missed_you"]))).all() == []
    unknown = app.test_cli_runner().invoke(args=["events", "follow-up", "no-such-event"])
    assert unknown.exit_code != 0 and "No event has the slug" in unknown.output


def test_unsubscribed_no_show_gets_no_missed_you_but_an_attendee_is_thanked(app, smtp_server):
    launch = make_event(slug="quiet")
    came = make_registration(launch, email="came@example.com")
    away = make_registration(launch, email="away@example.com")
    came.unsubscribed_at = away.unsubscribed_at = utcnow()
    db.session.commit()
    _check_in(came)
    _end(launch)
    result = app.test_cli_runner().invoke(args=["events", "follow-up", "quiet"])
    assert result.output.strip() == "1 thank-you and 0 missed-you mails queued."


def test_beat_sends_the_follow_up_hours_after_the_end_once(app, smtp_server):
    launch = make_event(slug="beat")
    guest = make_registration(launch, email="guest@example.com")
    _check_in(guest)
    _end(launch, hours_ago=2)
    old = make_event(slug="last-year")
    make_registration(old, email="old@example.com")
    _end(old, hours_ago=24 * 400)
    _send_all()
    smtp_server.clear()
    assert send_due_follow_ups(None) == 0  # off by default
    assert send_due_follow_ups(3) == 0  # not yet: three hours after the end
    assert send_due_follow_ups(1) == 1  # the year-old event is not mailed
    assert send_due_follow_ups(1) == 0
    _send_all()
    assert _recipients(smtp_server) == ["guest@example.com"]


def test_a_malformed_follow_up_setting_stops_the_app_naming_it(monkeypatch):
    from eventsvc import create_app

    monkeypatch.setenv("FOLLOW_UP_AFTER_HOURS", "two days")
    with pytest.raises(ValueError, match="FOLLOW_UP_AFTER_HOURS"):
        create_app({"TESTING": True})
    monkeypatch.setenv("FOLLOW_UP_AFTER_HOURS", "48")
    assert create_app({"TESTING": True}).config["FOLLOW_UP_AFTER_HOURS"] == 48
