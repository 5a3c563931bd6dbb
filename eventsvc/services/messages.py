"""Organizers' messages to the attendees of an event, through the outbox like every mail.

A message has a subject and a text in each language of the event's mail pair, and an audience
(:data:`AUDIENCES`). Each recipient gets one bilingual mail of kind ``message`` with the dedupe
key ``message:<id>``; the form's draft token makes a second click on "send" find the message
already sent instead of sending it again. The text is plain text or Markdown: the text part of
the mail carries it as written, the HTML part renders it with markdown-it-py, raw HTML off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..extensions import db
from ..models import LIVE_STATUSES, Event, MailKind, MailStatus, Message, OutboundMail, Registration
from ..models import RegistrationStatus
from ..models.message import AUDIENCES
from .mailing.bulk import queue_for_each
from .transaction import locked

MAX_SUBJECT, MAX_BODY = 150, 20_000
#: Control characters other than line breaks and tabs have no place in a message.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class MessageError(ValueError):
    """The message cannot be sent as written; ``field`` and ``code`` say where and why."""

    def __init__(self, field: str, code: str, **params) -> None:
        super().__init__(f"{field}: {code}")
        self.field, self.code, self.params = field, code, params


@dataclass
class MessageDraft:
    """What the organizer wrote, per language, and to whom."""

    subjects: dict[str, str]
    bodies: dict[str, str]
    audience: str = "all"
    languages: list[str] = field(default_factory=list)


def message_languages(event: Event) -> list[str]:
    """The languages a message to this event's attendees is written in: its mail pair."""
    return list(dict.fromkeys(event.languages or ["en"]))


def validate_draft(event: Event, subjects: dict, bodies: dict, audience: str) -> MessageDraft:
    """Check a draft; raises :class:`MessageError` on the first field at fault."""
    if audience not in AUDIENCES:
        raise MessageError("audience", "audience")
    languages = message_languages(event)
    clean_subjects, clean_bodies = {}, {}
    for language in languages:
        subject = " ".join((subjects.get(language) or "").split())
        body = (bodies.get(language) or "").replace("\r\n", "\n").strip()
        if not subject:
            raise MessageError(f"subject_{language}", "required")
        if not body:
            raise MessageError(f"body_{language}", "required")
        if len(subject) > MAX_SUBJECT:
            raise MessageError(f"subject_{language}", "too_long", max=MAX_SUBJECT)
        if len(body) > MAX_BODY:
            raise MessageError(f"body_{language}", "too_long", max=MAX_BODY)
        for name, value in ((f"subject_{language}", subject), (f"body_{language}", body)):
            if _CONTROL.search(value):
                raise MessageError(name, "control")
        clean_subjects[language], clean_bodies[language] = subject, body
    return MessageDraft(clean_subjects, clean_bodies, audience, languages)


def audience_query(event: Event, audience: str):
    """The registration ids a message to ``audience`` goes to (live registrations only)."""
    query = select(Registration.id).where(Registration.event_id == event.id,
                                          Registration.status.in_(LIVE_STATUSES))
    if audience == "confirmed":
        query = query.where(Registration.status == RegistrationStatus.CONFIRMED)
    elif audience == "waitlisted":
        query = query.where(Registration.status == RegistrationStatus.WAITLISTED)
    elif audience == "checked_in":
        query = query.where(Registration.checked_in_at.is_not(None))
    elif audience == "not_checked_in":
        query = query.where(Registration.status == RegistrationStatus.CONFIRMED,
                            Registration.checked_in_at.is_(None))
    return query


def audience_sizes(event: Event) -> dict[str, int]:
    """How many each audience holds now."""
    return {audience: db.session.scalar(select(func.count()).select_from(audience_query(event, audience).subquery()))
            for audience in AUDIENCES}


def preview_recipients(event: Event, audience: str, limit: int = 50) -> list[Registration]:
    """Some of the audience, to preview the message as one of them."""
    ids = audience_query(event, audience).order_by(Registration.id).limit(limit)
    return list(db.session.scalars(select(Registration).where(Registration.id.in_(ids)).order_by(Registration.id)))


def find_recipient(event: Event, audience: str, public_id: str) -> Registration | None:
    """The registration to preview as, only if the message would reach it: never a cancelled or
    erased one, nobody outside the chosen audience."""
    if not public_id or "\x00" in public_id:
        return None
    return db.session.scalar(select(Registration).where(Registration.id.in_(audience_query(event, audience)),
                                                        Registration.public_id == public_id))


def send_message(event_id: int, draft: MessageDraft, draft_token: str, sent_by_id: int | None = None) -> Message:
    """Queue the message for its audience, once: the same draft token sends nothing again."""
    with locked(Event, event_id) as event:
        existing = db.session.scalar(select(Message).where(Message.draft_token == draft_token))
        if existing is not None:
            return existing
        recipients = audience_query(event, draft.audience)
        if not db.session.scalar(select(func.count()).select_from(recipients.subquery())):
            raise MessageError("audience", "nobody")
        message = Message(event_id=event.id, subjects=draft.subjects, bodies=draft.bodies,
                          audience=draft.audience, draft_token=draft_token, sent_by_id=sent_by_id)
        db.session.add(message)
        db.session.flush()
        message.recipients = queue_for_each(recipients, MailKind.MESSAGE, f"message:{message.id}",
                                            {"message_id": message.id})
    return message


@dataclass
class MessageReport:
    message: Message
    counts: dict[str, int]


def messages_of(event: Event) -> list[MessageReport]:
    """The event's messages, newest first, with how many of their mails are in each status."""
    messages = list(db.session.scalars(select(Message).where(Message.event_id == event.id)
                                       .order_by(Message.id.desc())))
    if not messages:
        return []
    rows = db.session.execute(
        select(OutboundMail.dedupe_key, OutboundMail.status, func.count())
        .join(Registration, OutboundMail.registration_id == Registration.id)
        .where(Registration.event_id == event.id, OutboundMail.kind == MailKind.MESSAGE)
        .group_by(OutboundMail.dedupe_key, OutboundMail.status)
    ).all()
    counts: dict[str, dict[str, int]] = {}
    for key, status, count in rows:
        bucket = counts.setdefault(key, {s: 0 for s in ("queued", "sent", "failed", "bounced")})
        name = "queued" if status in (MailStatus.QUEUED, MailStatus.SENDING) else status
        bucket[name] = bucket.get(name, 0) + count
    return [MessageReport(m, counts.get(f"message:{m.id}", {s: 0 for s in ("queued", "sent", "failed", "bounced")}))
            for m in messages]
