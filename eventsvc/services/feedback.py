"""Feedback after the event: the event's own questions, one answer set per registration.

The questions are the event's ``feedback`` (the shape of its registration questions, plus the
type ``rating``, 1 to 5). A confirmed registrant answers from ``/r/<token>/feedback`` once the
event has started and may change the answers until :data:`FEEDBACK_WINDOW` after its end; a
second submission replaces the first. Organizers see counts and averages per question on the
dashboard and export the answers (``feedback.csv``: ``registration_id``, then ``q_<key>``).
Erasure and the retention purge delete a registration's answers (:mod:`.privacy`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Event, FeedbackResponse, Registration, RegistrationStatus
from ..models.types import utcnow
from .event_values import RATING_SCALE
from .exports import answer_text, neutralise
from .transaction import end_read, locked

#: How long after the end the answers can still be given or changed.
FEEDBACK_WINDOW = timedelta(days=14)
MAX_TEXT = 2000


class FeedbackRefused(Exception):
    """The form is not open to this registrant now; ``code``: ``no_questions``, ``not_confirmed``,
    ``not_started`` or ``closed``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class FeedbackInvalid(ValueError):
    """An answer is outside its question's choices or scale; ``key`` names the question."""

    def __init__(self, key: str, code: str) -> None:
        super().__init__(f"{key}: {code}")
        self.key, self.code = key, code


def closes_at(event: Event) -> datetime:
    return event.ends_at + FEEDBACK_WINDOW


def check_open(registration: Registration, now: datetime | None = None) -> None:
    """Raise :class:`FeedbackRefused` unless ``registration`` may answer now."""
    now = now or utcnow()
    event = registration.event
    if not event.feedback:
        raise FeedbackRefused("no_questions")
    if registration.status != RegistrationStatus.CONFIRMED or registration.erased_at is not None:
        raise FeedbackRefused("not_confirmed")
    if now < event.starts_at:
        raise FeedbackRefused("not_started")
    if now > closes_at(event):
        raise FeedbackRefused("closed")


def clean_answers(questions: list[dict], answers: dict) -> dict:
    """The answers as stored: only known questions, each within its choices or scale; required
    ones present. Raises :class:`FeedbackInvalid` on the first one at fault."""
    clean = {}
    for question in questions:
        key, kind = question["key"], question["type"]
        value = answers.get(key)
        values = value if isinstance(value, list) else [value]
        values = [v for v in values if v not in (None, "")]
        if not values:
            if question.get("required"):
                raise FeedbackInvalid(key, "required")
            continue
        if kind == "rating":
            try:
                rating = int(values[0])
            except (TypeError, ValueError):
                raise FeedbackInvalid(key, "scale") from None
            if len(values) != 1 or rating not in RATING_SCALE or str(values[0]).strip() != str(rating):
                raise FeedbackInvalid(key, "scale")
            clean[key] = rating
        elif kind == "text":
            text = str(values[0]).strip()
            if len(values) != 1 or len(text) > MAX_TEXT:
                raise FeedbackInvalid(key, "too_long")
            clean[key] = text
        else:
            allowed = {choice["key"] for choice in question.get("choices", [])} or {"yes", "no"}
            if any(v not in allowed for v in values) or (kind != "multiple" and len(values) != 1):
                raise FeedbackInvalid(key, "choice")
            clean[key] = values if kind == "multiple" else values[0]
    return clean


def answers_of(registration: Registration) -> dict:
    """What the registrant answered so far (empty before the first answer)."""
    response = db.session.scalar(select(FeedbackResponse).where(FeedbackResponse.registration_id == registration.id))
    return dict(response.answers) if response else {}


def save_feedback(registration_id: int, answers: dict, now: datetime | None = None) -> FeedbackResponse:
    """Store the registrant's answers (replacing earlier ones); nothing is stored on a refusal."""
    now = now or utcnow()
    with locked(Registration, registration_id) as registration:
        check_open(registration, now)
        clean = clean_answers(registration.event.feedback, answers)
        response = db.session.scalar(select(FeedbackResponse).where(FeedbackResponse.registration_id == registration.id))
        if response is None:
            response = FeedbackResponse(registration_id=registration.id, event_id=registration.event_id,
                                        created_at=now)
            db.session.add(response)
        response.answers = clean
        response.updated_at = now
    return response


@dataclass
class QuestionSummary:
    """One question's figures: how many answered, the average rating, the count per choice."""

    question: dict
    answered: int = 0
    average: float | None = None
    choices: dict[str, int] = field(default_factory=dict)


def summary(event: Event) -> list[QuestionSummary]:
    """Counts and averages per feedback question, over every stored answer set."""
    result = [QuestionSummary(question) for question in event.feedback or []]
    totals = {item.question["key"]: 0 for item in result}
    by_key = {item.question["key"]: item for item in result}
    for item in result:
        item.choices = {choice["key"]: 0 for choice in item.question.get("choices", [])}
        if item.question["type"] == "yes_no":
            item.choices = {"yes": 0, "no": 0}
    for answers in db.session.scalars(select(FeedbackResponse.answers).where(FeedbackResponse.event_id == event.id)):
        for key, value in (answers or {}).items():
            item = by_key.get(key)
            if item is None:
                continue  # a question the organizer removed since
            item.answered += 1
            if item.question["type"] == "rating" and isinstance(value, int):
                totals[key] += value
            for choice in value if isinstance(value, list) else [value]:
                if isinstance(choice, str) and choice in item.choices:
                    item.choices[choice] += 1
    for item in result:
        if item.question["type"] == "rating" and item.answered:
            item.average = round(totals[item.question["key"]] / item.answered, 2)
    return result


def feedback_columns(event: Event) -> list[str]:
    return ["registration_id"] + [f"q_{question['key']}" for question in event.feedback or []]


def iter_feedback_csv(event: Event) -> Iterator[bytes]:
    """One row per registration that answered: ``registration_id`` (its public id, as in the
    attendee export), then ``q_<key>``; UTF-8 with a BOM, no cell a spreadsheet would run."""
    keys = [question["key"] for question in event.feedback or []]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(feedback_columns(event))
    yield "\ufeff".encode() + buffer.getvalue().encode()
    # One answer set per registration: a few thousand rows at most, read at once so that the
    # read ends before the download streams (on SQLite a long read holds up registrations).
    rows = db.session.execute(
        select(Registration.public_id, FeedbackResponse.answers)
        .join(FeedbackResponse, FeedbackResponse.registration_id == Registration.id)
        .where(FeedbackResponse.event_id == event.id).order_by(FeedbackResponse.id)).all()
    end_read()
    for public_id, answers in rows:
        buffer.seek(0)
        buffer.truncate()
        answers = answers or {}
        writer.writerow([public_id] + [neutralise(answer_text(answers.get(key))) for key in keys])
        yield buffer.getvalue().encode()
