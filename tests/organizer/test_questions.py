"""The organizer's own questions: asked in the visitor's language, checked like the fixed fields,
kept through changes, and in both exports and the API (SQLite, then PostgreSQL)."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.models import Registration
from eventsvc.services.events import EventImportError, import_events
from eventsvc.services.exports import iter_csv, write_xlsx
from eventsvc.services.organizers import create_api_token, create_organizer

QUESTIONS = [
    {"key": "dinner", "type": "choice", "required": True, "label": {"en": "Dinner", "zh": "晚宴", "de": "Abendessen"},
     "choices": [{"key": "yes_meat", "label": {"en": "Yes", "zh": "参加", "de": "Ja"}},
                 {"key": "yes_veg", "label": {"en": "Yes, vegetarian", "zh": "参加（素食）", "de": "Ja, vegetarisch"}},
                 {"key": "no", "label": {"en": "No", "zh": "不参加", "de": "Nein"}}]},
    {"key": "topics", "type": "multiple", "label": {"en": "Topics", "zh": "议题"},
     "choices": [{"key": "mobility", "label": {"en": "Mobility", "zh": "交通"}},
                 {"key": "energy", "label": {"en": "Energy", "zh": "能源"}}]},
    {"key": "interpreter", "type": "yes_no", "label": {"en": "Do you need an interpreter?", "zh": "是否需要翻译？"}},
    {"key": "company_type", "type": "text", "label": {"en": "Company type", "zh": "企业类型"}},
]


def _event(questions=QUESTIONS):
    import_events([{"slug": "shanghai", "status": "published", "title": {"en": "Shanghai", "zh": "上海"},
                    "city": "Shanghai", "country": "CN", "timezone": "Asia/Shanghai",
                    "starts_at": "2030-05-20T14:00:00", "ends_at": "2030-05-20T17:30:00", "questions": questions}])


def _form(**answers):
    values = {"email": "li.wang@example.com", "family_name": "王", "given_name": "力", "language": "zh",
              "privacy_consent": "y", **answers}
    return {k: v for k, v in values.items() if v is not None}


def test_questions_are_asked_in_the_visitors_language(app, client):
    _event()
    page = client.get("/events/shanghai/register?lang=zh").get_data(as_text=True)
    for text in ("晚宴", "参加（素食）", "议题", "是否需要翻译？", "企业类型"):
        assert text in page, text
    assert 'name="q_dinner"' in page and 'name="q_topics"' in page and "Vegetarian" not in page


def test_a_required_question_is_refused_in_each_language_and_nothing_is_stored(app, client):
    _event()
    for language, message in (("zh", "请回答此问题。"), ("de", "Bitte beantworten Sie diese Frage."),
                              ("en", "Please answer this question.")):
        response = client.post(f"/events/shanghai/register?lang={language}", data=_form())
        assert response.status_code == 422 and message in response.get_data(as_text=True), language
    bad = client.post("/events/shanghai/register?lang=en", data=_form(q_dinner="caviar"))
    assert "Please choose one of the answers offered." in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0


def test_answers_are_stored_shown_exported_and_kept_when_the_questions_change(app, client):
    _event()
    response = client.post("/events/shanghai/register", data={
        **_form(q_dinner="yes_veg", q_interpreter="yes", q_company_type="=HYPERLINK(\"x\")"),
        "q_topics": ["mobility", "energy"]})
    assert response.status_code == 302
    api = client.post("/api/v1/events/shanghai/registrations", json={
        "email": "anna@example.de", "family_name": "Schmidt", "given_name": "Anna", "privacy_consent": True,
        "answers": {"dinner": "no", "topics": ["energy"]}})
    assert api.status_code == 201, api.get_json()
    refused = client.post("/api/v1/events/shanghai/registrations", json={
        "email": "tom@example.com", "family_name": "Lee", "given_name": "Tom", "privacy_consent": True,
        "answers": {"topics": ["energy"]}})
    assert refused.status_code == 400 and "q_dinner" in refused.get_json()["errors"]
    wang = db.session.scalar(select(Registration).where(Registration.email == "li.wang@example.com"))
    assert wang.answers == {"dinner": "yes_veg", "topics": ["mobility", "energy"], "interpreter": "yes",
                            "company_type": '=HYPERLINK("x")'}

    _event(QUESTIONS[:1])  # the organizer drops three questions: earlier answers stay stored
    db.session.expire_all()
    assert db.session.get(Registration, wang.id).answers["topics"] == ["mobility", "energy"]
    _event()  # and brings them back: the answers show again
    event = wang.event
    db.session.refresh(event)
    rows = list(csv.reader(io.StringIO(b"".join(iter_csv(event)).decode("utf-8-sig"))))
    header = rows[0]
    assert header[-4:] == ["q_dinner", "q_topics", "q_interpreter", "q_company_type"]
    by_email = {row[header.index("email")]: row for row in rows[1:]}
    assert by_email["li.wang@example.com"][-4:] == ["yes_veg", "mobility;energy", "yes", "'=HYPERLINK(\"x\")"]
    assert by_email["anna@example.de"][-4:] == ["no", "energy", "", ""]
    buffer = io.BytesIO()
    write_xlsx(event, buffer)
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][-4:] == ["q_dinner", "q_topics", "q_interpreter", "q_company_type"]
    assert ["yes_veg", "mobility;energy", "yes"] in [row[-4:-1] for row in values[1:]]

    create_organizer("ada@oav.example", "correct horse battery")
    _token, secret = create_api_token("ada@oav.example", "test")
    data = client.get("/api/v1/events/shanghai/registrations", headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert {r["email"]: r["answers"] for r in data["data"]}["anna@example.de"] == {"dinner": "no", "topics": ["energy"]}


def test_a_question_key_that_is_no_plain_identifier_is_refused(app):
    with pytest.raises(EventImportError, match="questions.1.key: must be a plain identifier"):
        _event([{**QUESTIONS[0], "key": "Dinner Choice"}])
    with pytest.raises(EventImportError, match="questions.1.choices"):
        _event([{**QUESTIONS[0], "choices": []}])


def test_the_attendee_page_shows_the_answers_by_their_labels(app, client, organizer_client):
    _event()
    client.post("/events/shanghai/register", data={**_form(q_dinner="yes_veg", q_interpreter="no"),
                                                  "q_topics": ["energy"]})
    wang = db.session.scalar(select(Registration))
    page = organizer_client.get(f"/organizer/events/shanghai/attendees/{wang.public_id}?lang=en").get_data(as_text=True)
    assert "Yes, vegetarian" in page and "Energy" in page and "Company type" in page and "no answer" in page
