"""A second beat started by mistake: each periodic job runs once at a time (a database lock)."""

from __future__ import annotations

from datetime import timedelta

from eventsvc import tasks
from eventsvc.extensions import db
from eventsvc.models import MailKind, OutboundMail
from eventsvc.models.types import utcnow
from eventsvc.services.periodic import exclusive

from ..factories import make_event, make_registration


def _reminders() -> int:
    db.session.rollback()
    return db.session.scalar(db.select(db.func.count()).select_from(OutboundMail)
                             .where(OutboundMail.kind == MailKind.REMINDER))


def test_a_run_while_another_holds_the_lock_sends_nothing(app):
    event = make_event(starts_at=utcnow().replace(microsecond=0) + timedelta(hours=36), reminder_offsets=["P2D"])
    person = make_registration(event)
    person.created_at = utcnow() - timedelta(days=3)
    db.session.commit()

    with exclusive("send-reminders") as mine:  # the other beat's run, in progress
        assert mine
        with exclusive("send-reminders") as second:
            assert not second
        tasks.send_reminders.run()
        assert _reminders() == 0

    tasks.send_reminders.run()
    assert _reminders() == 1
    tasks.send_reminders.run()  # and again later: still one reminder
    assert _reminders() == 1


def test_different_jobs_do_not_wait_for_each_other(app):
    with exclusive("send-reminders") as reminders, exclusive("sweep-outbox") as sweep:
        assert reminders and sweep
