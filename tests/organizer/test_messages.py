"""Organizers write to their attendees: the right people, once each, in both languages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.models import Message, OutboundMail
from eventsvc.models.types import utcnow
from eventsvc.services.mailing import send_from_outbox
from tests.factories import make_event, make_registration
from tests.fixtures.mail import html_body, text_body


@pytest.fixture
def app_overrides(smtp_server):
    return {"MAIL_PORT": smtp_server.port}


def _attendees():
    event = make_event(slug="berlin", capacity=2, languages=["en", "zh"])
    anna = make_registration(event, email="anna@example.de", language="de", family_name="Schmidt", given_name="Anna")
    wang = make_registration(event, email="wang@example.cn", language="zh", family_name="王", given_name="丽")
    waiting = make_registration(event, email="tom@example.com", language="en", family_name="Lee", given_name="Tom")
    gone = make_registration(make_event(slug="other"), email="gone@example.com")
    anna.checked_in_at = utcnow()
    db.session.commit()
    while send_from_outbox(None).claimed:  # the confirmations, out of the way
        pass
    return event, anna, wang, waiting, gone


def _draft(client, **fields):
    page = client.get("/organizer/events/berlin/messages").get_data(as_text=True)
    token = re.search(r'name="draft_token" type="hidden" value="([^"]+)"', page).group(1)
    values = {"subject_en": "The entrance has moved", "body_en": "Please use the **north entrance**.\n\n"
              "Map: [site plan](https://oav.example/plan) <script>alert(1)</script>",
              "subject_zh": "入口已变更", "body_zh": "请从**北门**进入。", "audience": "all", "draft_token": token}
    values.update(fields)
    return values


def test_a_message_reaches_exactly_its_audience_once_each_in_both_languages(app, organizer_client, smtp_server):
    _event, anna, wang, waiting, _gone = _attendees()
    smtp_server.clear()
    form = _draft(organizer_client, audience="not_checked_in")
    preview = organizer_client.post("/organizer/events/berlin/messages", data=form).get_data(as_text=True)
    assert "Preview for" in preview and "The entrance has moved" in preview
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0  # a preview stores nothing
    response = organizer_client.post("/organizer/events/berlin/messages", data={**form, "send": "1"})
    assert response.status_code == 302
    again = organizer_client.post("/organizer/events/berlin/messages", data={**form, "send": "1"})  # double click
    assert again.status_code == 302
    while send_from_outbox(None).claimed:
        pass
    [message] = smtp_server.extract_emails(count=1)
    smtp_server.wait_quiet(0.5)
    assert [r for _, rcpts in smtp_server.envelopes for r in rcpts] == ["wang@example.cn"]
    assert str(message["Subject"]) == "入口已变更 | The entrance has moved"
    text = text_body(message)
    assert text.index("请从**北门**进入。") < text.index("Please use the **north entrance**.")
    html = html_body(message)
    assert "<strong>北门</strong>" in html and '<a href="https://oav.example/plan">site plan</a>' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert db.session.scalar(select(func.count()).select_from(Message)) == 1


@pytest.mark.parametrize("audience, expected", [
    ("all", ["anna@example.de", "tom@example.com", "wang@example.cn"]),
    ("confirmed", ["anna@example.de", "wang@example.cn"]),
    ("waitlisted", ["tom@example.com"]),
    ("checked_in", ["anna@example.de"]),
])
def test_each_audience_is_who_it_says(app, organizer_client, smtp_server, audience, expected):
    _attendees()
    smtp_server.clear()
    organizer_client.post("/organizer/events/berlin/messages", data={**_draft(organizer_client, audience=audience), "send": "1"})
    while send_from_outbox(None).claimed:
        pass
    assert sorted(r for _, rcpts in smtp_server.envelopes for r in rcpts) == expected


def test_the_message_page_and_the_attendee_history_show_it(app, organizer_client, smtp_server):
    _event, anna, *_ = _attendees()
    organizer_client.post("/organizer/events/berlin/messages", data={**_draft(organizer_client), "send": "1"})
    while send_from_outbox(None).claimed:
        pass
    page = organizer_client.get("/organizer/events/berlin/messages").get_data(as_text=True)
    assert "The entrance has moved" in page
    message_id = db.session.scalar(select(Message.id))
    detail = organizer_client.get(f"/organizer/events/berlin/messages/{message_id}").get_data(as_text=True)
    assert "请从**北门**进入。" in detail and "<strong>3</strong>" in detail  # three sent
    history = organizer_client.get(f"/organizer/events/berlin/attendees/{anna.public_id}").get_data(as_text=True)
    assert f"message:{message_id}" in history


def test_an_empty_text_or_an_empty_audience_is_refused_and_nothing_is_sent(app, organizer_client, smtp_server):
    event = make_event(slug="berlin", languages=["en", "zh"])
    make_registration(event, email="anna@example.de")
    missing = organizer_client.post("/organizer/events/berlin/messages?lang=de",
                                    data={**_draft(organizer_client, body_zh="  "), "send": "1"})
    assert missing.status_code == 200
    assert "Bitte schreiben Sie dies für jede Sprache" in missing.get_data(as_text=True)
    nobody = organizer_client.post("/organizer/events/berlin/messages",
                                   data={**_draft(organizer_client, audience="waitlisted"), "send": "1"})
    assert "In diesem Empfängerkreis ist noch niemand" in nobody.get_data(as_text=True)  # the language stays
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboundMail).where(OutboundMail.kind == "message")) == 0


def _tokens(registration) -> list[str]:
    from eventsvc.models import FollowUpConsent

    consent = db.session.scalar(select(FollowUpConsent).where(FollowUpConsent.email == registration.email))
    return [t for t in (registration.manage_token, registration.unsubscribe_token, registration.checkin_code,
                        consent.token if consent else None) if t]


def test_the_preview_shows_placeholder_links_never_a_registrants_own(app, organizer_client, smtp_server):
    _event, anna, wang, waiting, _gone = _attendees()
    for person in (anna, wang, waiting):
        page = organizer_client.post("/organizer/events/berlin/messages",
                                     data=_draft(organizer_client, preview_as=person.public_id)).get_data(as_text=True)
        assert f"Preview for {person.family_name}" in page or f"Preview for {person.given_name}" in page
        assert "/r/" in page  # the manage link is there, as a placeholder
        for token in _tokens(person):
            assert token not in page


def test_previewing_as_a_cancelled_or_erased_registration_is_refused(app, organizer_client, smtp_server):
    from eventsvc.services.privacy import erase
    from eventsvc.services.registration import cancel

    event, anna, wang, waiting, _gone = _attendees()
    cancelled = make_registration(event, email="cancelled@example.com", family_name="Quitter", given_name="Carl")
    erased = make_registration(event, email="erased@example.com", family_name="Gone", given_name="Gina")
    secrets = {"Quitter": _tokens(cancelled), "Gone": _tokens(erased)}
    cancel(cancelled.id)
    erase(erased.id)
    db.session.rollback()
    for person, name in ((cancelled, "Quitter"), (erased, "Gone")):
        response = organizer_client.post("/organizer/events/berlin/messages",
                                         data=_draft(organizer_client, preview_as=person.public_id))
        page = response.get_data(as_text=True)
        assert response.status_code >= 400 or name not in page
        assert response.status_code < 500
        for token in secrets[name]:
            assert token not in page
