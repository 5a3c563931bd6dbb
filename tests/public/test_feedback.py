"""Feedback after the event: refused before it and after the window, stored once (a second
answer replaces the first), answers outside the choices or the scale refused with nothing stored."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.models import FeedbackResponse
from eventsvc.models.types import utcnow
from eventsvc.services.event_values import EventValueError, validate_event
from tests.factories import make_event, make_registration

FEEDBACK = [
    {"key": "overall", "type": "rating", "required": True,
     "label": {"en": "How was the event overall?", "zh": "您对本次活动的总体评价？", "de": "Wie war die Veranstaltung insgesamt?"}},
    {"key": "topic", "type": "choice", "label": {"en": "Best part", "zh": "最精彩的部分", "de": "Bester Teil"},
     "choices": [{"key": "talks", "label": {"en": "Talks", "zh": "演讲", "de": "Vorträge"}},
                 {"key": "network", "label": {"en": "Networking", "zh": "交流", "de": "Austausch"}}]},
    {"key": "comment", "type": "text", "label": {"en": "Anything else?", "zh": "其他意见？", "de": "Sonst noch etwas?"}},
]


def _event(started_hours_ago: float):
    event = make_event(slug="launch", feedback=FEEDBACK)
    guest = make_registration(event, email="li@example.cn", language="zh", family_name="王", given_name="丽")
    event.starts_at = utcnow() - timedelta(hours=started_hours_ago)
    event.ends_at = event.starts_at + timedelta(hours=3)
    db.session.commit()
    return event, guest


def _stored() -> int:
    return db.session.scalar(select(func.count()).select_from(FeedbackResponse))


def test_feedback_is_refused_before_the_event_and_after_the_window(app, client):
    event, guest = _event(started_hours_ago=-24)
    early = client.get(f"/r/{guest.manage_token}/feedback")
    assert early.status_code == 403 and "活动开始后" in early.get_data(as_text=True)
    posted = client.post(f"/r/{guest.manage_token}/feedback", data={"q_overall": "5"})
    assert posted.status_code == 403 and _stored() == 0
    event.starts_at = utcnow() - timedelta(days=15)
    event.ends_at = event.starts_at + timedelta(hours=3)
    db.session.commit()
    late = client.post(f"/r/{guest.manage_token}/feedback?lang=de", data={"q_overall": "5"})
    assert late.status_code == 403 and "Der Feedbackbogen ist seit dem" in late.get_data(as_text=True)
    assert _stored() == 0


def test_feedback_is_stored_once_and_can_be_changed(app, client):
    _event_, guest = _event(started_hours_ago=2)
    page = client.get(f"/r/{guest.manage_token}/feedback")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "您对本次活动的总体评价？" in html and 'name="q_overall"' in html
    first = client.post(f"/r/{guest.manage_token}/feedback", data={"q_overall": "4", "q_topic": "talks",
                                                                   "q_comment": "很好"})
    assert first.status_code == 302
    assert "谢谢" in client.get(first.location).get_data(as_text=True)
    second = client.post(f"/r/{guest.manage_token}/feedback", data={"q_overall": "5", "q_topic": "network"})
    assert second.status_code == 302
    [response] = db.session.scalars(select(FeedbackResponse)).all()
    assert response.answers == {"overall": 5, "topic": "network"}
    again = client.get(f"/r/{guest.manage_token}/feedback").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*name="q_overall"[^>]*value="5"', again)  # shown as stored


@pytest.mark.parametrize("data", [{"q_overall": "6"}, {"q_overall": "0"}, {"q_overall": "four"},
                                  {"q_overall": "3", "q_topic": "buffet"}, {"q_topic": "talks"}])
def test_an_answer_outside_its_choices_or_scale_stores_nothing(app, client, data):
    _event_, guest = _event(started_hours_ago=2)
    response = client.post(f"/r/{guest.manage_token}/feedback?lang=en", data=data)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Please choose one of the answers offered." in text or "Please answer this question." in text
    assert _stored() == 0


def test_feedback_questions_are_validated_like_questions_with_a_rating_type():
    base = {"slug": "x", "title": {"en": "X"}, "city": "Berlin", "country": "DE", "timezone": "Europe/Berlin",
            "starts_at": "2030-03-14T18:00:00", "ends_at": "2030-03-14T21:00:00"}
    values = validate_event({**base, "feedback": FEEDBACK})
    assert [q["type"] for q in values.feedback] == ["rating", "choice", "text"]
    with pytest.raises(EventValueError) as refused:
        validate_event({**base, "feedback": [{"key": "x", "type": "stars", "label": {"en": "X"}}]})
    assert refused.value.field == "feedback.1.type" and refused.value.code == "feedback_type"
    with pytest.raises(EventValueError):
        validate_event({**base, "questions": [{"key": "x", "type": "rating", "label": {"en": "X"}}]})


def test_erasure_removes_the_answers_and_the_data_download_holds_them(app, client):
    _event_, guest = _event(started_hours_ago=2)
    client.post(f"/r/{guest.manage_token}/feedback", data={"q_overall": "4", "q_comment": "Ich bin Frau Wang"})
    data = client.get(f"/r/{guest.manage_token}/data").get_json()
    assert data["feedback"]["answers"] == {"overall": 4, "comment": "Ich bin Frau Wang"}
    client.post(f"/r/{guest.manage_token}/erase")
    assert _stored() == 0
