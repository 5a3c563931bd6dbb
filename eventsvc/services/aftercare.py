"""After the event: a thank-you to everyone who came, a "sorry we missed you" to who did not.

``send_follow_up(event_id)`` (``flask events follow-up SLUG``, the dashboard's button, and beat
``FOLLOW_UP_AFTER_HOURS`` after the end) queues, once per person:

* ``thank_you`` to every confirmed registrant who was checked in: the report editions, their
  certificate of attendance and the feedback form;
* ``missed_you`` to every confirmed registrant who was not: the report, and the next events of
  the series that take registrations.

Nobody on the waiting list or cancelled, no bouncing or erased address; ``missed_you`` honours
an unsubscribe (it is report mail), the thank-you does not (it carries the certificate). The
dedupe keys (``thank_you``, ``missed_you``) make a second run send nothing new, except to someone
checked in late. Neither mail carries a calendar file. The organizer may add a paragraph per
language first (:func:`save_follow_up_texts`), shown in both mails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models import Event, EventStatus, MailKind, Registration, RegistrationStatus
from ..models.types import utcnow
from .mailing.bulk import queue_for_each
from .transaction import end_read, locked

#: The dedupe key of each mail: one per registrant, whatever the number of runs.
THANK_YOU_KEY = "thank_you"
MISSED_YOU_KEY = "missed_you"
#: Longest paragraph the organizer may add, per language.
MAX_PARAGRAPH = 5000
#: Beat sends the follow-up of events that ended at most this long before the due time: switching
#: ``FOLLOW_UP_AFTER_HOURS`` on must not mail the audiences of last year's events.
CATCH_UP = timedelta(days=7)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FollowUpError(Exception):
    """The follow-up cannot be sent or saved as asked; ``code`` says why (for a translated message)."""

    def __init__(self, code: str, message: str, **params) -> None:
        super().__init__(message)
        self.code, self.params = code, params


@dataclass
class FollowUpResult:
    """How many of each mail were queued by this run (0 and 0 on a repeat)."""

    thanked: int
    missed: int


def _deliverable(event: Event):
    """Confirmed registrations of ``event`` whose address works and still exists."""
    return select(Registration.id).where(
        Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED,
        Registration.email_bounced_at.is_(None), Registration.erased_at.is_(None))


def attendees_query(event: Event):
    """Who gets the thank-you: confirmed and checked in."""
    return _deliverable(event).where(Registration.checked_in_at.is_not(None))


def no_shows_query(event: Event):
    """Who gets the missed-you mail: confirmed, not checked in, not unsubscribed."""
    return _deliverable(event).where(Registration.checked_in_at.is_(None), Registration.unsubscribed_at.is_(None))


def check_can_follow_up(event: Event, now: datetime | None = None) -> None:
    """Raise :class:`FollowUpError` unless the event is published and over."""
    now = now or utcnow()
    if event.status != EventStatus.PUBLISHED:
        raise FollowUpError("not_published", f"The event {event.slug} is {event.status}: there is nobody to thank.")
    if not event.is_past(now):
        raise FollowUpError("not_ended", f"The event {event.slug} has not ended yet; nothing was sent.")


def send_follow_up(event_id: int, now: datetime | None = None) -> FollowUpResult:
    """Queue the thank-you and missed-you mails of the event, once per person."""
    now = now or utcnow()
    with locked(Event, event_id) as event:
        check_can_follow_up(event, now)
        thanked = queue_for_each(attendees_query(event), MailKind.THANK_YOU, THANK_YOU_KEY)
        missed = queue_for_each(no_shows_query(event), MailKind.MISSED_YOU, MISSED_YOU_KEY)
        if event.follow_up_sent_at is None:
            event.follow_up_sent_at = now
    return FollowUpResult(thanked, missed)


def send_due_follow_ups(after_hours: int | None, now: datetime | None = None) -> int:
    """Beat's job: the follow-up of every published event that ended ``after_hours`` ago and has
    had none yet (at most :data:`CATCH_UP` late). Returns how many events it followed up."""
    if not after_hours or after_hours <= 0:
        return 0
    now = now or utcnow()
    due = now - timedelta(hours=after_hours)
    ids = list(db.session.scalars(select(Event.id).where(
        Event.status == EventStatus.PUBLISHED, Event.follow_up_sent_at.is_(None),
        Event.ends_at <= due, Event.ends_at > due - CATCH_UP).order_by(Event.ends_at)))
    end_read()  # the read ends before the locks are taken
    sent = 0
    for event_id in ids:
        try:
            send_follow_up(event_id, now)
        except FollowUpError:
            continue  # cancelled or moved since the query: the next run looks again
        sent += 1
    return sent


def save_follow_up_texts(event_id: int, texts: dict[str, str]) -> Event:
    """Store the organizer's paragraph per language (empty: none) for both mails."""
    clean = {}
    for language, text in texts.items():
        text = (text or "").replace("\r\n", "\n").strip()
        if len(text) > MAX_PARAGRAPH:
            raise FollowUpError("too_long", f"{language}: at most {MAX_PARAGRAPH} characters", field=language,
                                max=MAX_PARAGRAPH)
        if _CONTROL.search(text):
            raise FollowUpError("control", f"{language}: control characters", field=language)
        if text:
            clean[language] = text
    with locked(Event, event_id) as event:
        event.follow_up_texts = clean
    return event


def audience_sizes(event: Event) -> dict[str, int]:
    """How many would get each mail now (before the dedupe: a repeat sends fewer)."""
    def count(query) -> int:
        return db.session.scalar(select(func.count()).select_from(query.subquery()))
    return {"thank_you": count(attendees_query(event)), "missed_you": count(no_shows_query(event))}
