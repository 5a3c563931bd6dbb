"""Transactions in one place: a service never throws away, nor half-commits, its caller's work."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import Event, OutboundMail, Registration
from eventsvc.services.registration import RegistrationData, cancel, register
from eventsvc.services.transaction import locked, transaction
from tests.factories import make_event, make_registration


def _data(email: str = "li.wei@example.cn") -> RegistrationData:
    return RegistrationData(email=email, family_name="李", given_name="伟", language="zh", privacy_consent=True)


def test_a_service_keeps_what_its_caller_changed_before_calling_it(app):
    event = make_event(slug="berlin")
    event.notes = "Bring the badges"  # changed, not committed
    register(event.id, _data())
    db.session.remove()
    assert db.session.scalar(select(Event.notes).where(Event.slug == "berlin")) == "Bring the badges"


def test_services_inside_a_transaction_commit_together_or_not_at_all(app):
    event = make_event(slug="berlin")
    first_id, event_id = make_registration(event).id, event.id
    with pytest.raises(RuntimeError):
        with transaction():
            cancel(first_id)
            register(event_id, _data())
            raise RuntimeError("the caller fails after both services ran")
    db.session.remove()
    assert db.session.scalar(select(Registration.status).where(Registration.id == first_id)) == "confirmed"
    assert db.session.scalar(select(Registration.id).where(Registration.email == "li.wei@example.cn")) is None
    # Only the first registrant's confirmation: no cancellation, nothing for the newcomer.
    assert list(db.session.scalars(select(OutboundMail.kind))) == ["confirmation"]


def test_a_lock_reads_the_row_afresh(pg_app):
    """PostgreSQL only: on SQLite the first read already holds the write lock, so nobody else
    can change the row in between."""
    event = make_event(slug="berlin", capacity=10)
    stale = db.session.get(Event, event.id)
    with db.engine.begin() as other:  # another process changes the row meanwhile
        other.execute(Event.__table__.update().where(Event.id == event.id).values(capacity=3))
    with locked(Event, event.id) as fresh:
        assert fresh is stale and fresh.capacity == 3
