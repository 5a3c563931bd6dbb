"""Telling registrants that an event moved or was cancelled (SQLite, then PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import Event, OutboundMail, Registration
from eventsvc.models.types import utcnow
from eventsvc.services import event_changes
from eventsvc.services.mailing import send_from_outbox
from eventsvc.services.registration import cancel
from eventsvc.services.reminders import run_due
from tests.factories import make_event, make_registration
from tests.fixtures.mail import calendar_part, text_body


@pytest.fixture
def app_overrides(smtp_server):
    return {"MAIL_PORT": smtp_server.port}


def edit(event: Event, now, **changes) -> None:
    """What the organizer pages and the import do around an edit."""
    before = event_changes.snapshot(event)
    for name, value in changes.items():
        setattr(event, name, value)
    event_changes.note_event_change(event, before, now)
    db.session.commit()


def send_all() -> None:
    while send_from_outbox(None).claimed:
        pass


def test_several_edits_in_a_row_send_one_mail_per_live_registrant(app, smtp_server):
    event = make_event()
    starts = event.starts_at
    people = [make_registration(event, email=f"p{n}@example.com") for n in range(3)]
    cancel(people[2].id)
    send_all()
    smtp_server.clear()

    now = utcnow()
    edit(event, now, starts_at=starts + timedelta(hours=1), ends_at=event.ends_at + timedelta(hours=1))
    edit(event, now + timedelta(minutes=3), venue={"en": "Rathaus Hamburg", "zh": "汉堡市政厅"})
    assert run_due(now + timedelta(minutes=5)) == 0      # still within the quiet period
    assert run_due(now + timedelta(minutes=14)) == 2     # the two live registrants
    assert run_due(now + timedelta(minutes=20)) == 0     # once
    send_all()

    messages = smtp_server.extract_emails(count=2)
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == ["p0@example.com", "p1@example.com"]
    # Each change is a "before" and a "now" line; anywhere else in the mail the old time could
    # show up inside another time of the day ("1:23" in "21:23") and the new venue always does.
    english_half = [line.strip() for line in text_body(messages[0]).split("-" * 60)[0].splitlines()]
    when = english_half.index("Date and time:")
    before, after = english_half[when + 1:when + 3]
    old_start = starts.astimezone(event.zone)
    assert before.startswith("before: ") and f", {old_start:%-I:%M}" in before  # "2026, 6:23 PM"
    assert after.startswith("now: ") and f", {old_start + timedelta(hours=1):%-I:%M}" in after
    where = english_half.index("Venue:")
    assert english_half[where + 1:where + 3] == ["before: Haus der Wirtschaft, Berlin", "now: Rathaus Hamburg"]
    [entry] = calendar_part(messages[0]).walk("VEVENT")
    assert int(entry["SEQUENCE"]) == 2 and str(entry["UID"]) == f"event-{event.id}@events.test"
    assert entry.decoded("DTSTART") == starts + timedelta(hours=1)


def test_an_edit_that_puts_everything_back_sends_nothing(app, smtp_server):
    event = make_event()
    make_registration(event)
    starts, ends = event.starts_at, event.ends_at
    now = utcnow()
    edit(event, now, starts_at=starts + timedelta(days=1), ends_at=ends + timedelta(days=1))
    edit(event, now + timedelta(minutes=1), starts_at=starts, ends_at=ends)
    assert run_due(now + timedelta(hours=1)) == 0


def test_a_cancelled_event_mails_everyone_once_with_a_calendar_cancellation_and_no_reminder(app, smtp_server):
    event = make_event(starts_at=utcnow().replace(microsecond=0) + timedelta(days=10))
    confirmed = make_registration(event, email="seat@example.com")
    db.session.execute(db.update(Registration).where(Registration.id == confirmed.id)
                       .values(created_at=utcnow() - timedelta(days=5)))
    db.session.commit()
    send_all()
    smtp_server.clear()

    assert event_changes.cancel_event(event.id) == 1
    assert event_changes.cancel_event(event.id) == 0
    send_all()

    [message] = smtp_server.extract_emails(count=1)
    assert "Event cancelled" in message["Subject"]
    calendar = calendar_part(message)
    [entry] = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(entry["UID"]) == f"event-{event.id}@events.test" and int(entry["SEQUENCE"]) == 1
    # Three days later, when the seven-day reminder would be due: nothing.
    assert run_due(utcnow() + timedelta(days=3)) == 0
    db.session.rollback()
    assert db.session.get(Event, event.id).status == "cancelled"
    kinds = db.session.scalars(select(OutboundMail.kind).order_by(OutboundMail.id)).all()
    assert kinds == ["confirmation", "event_cancelled"]
