"""The registration service: normalised addresses, one live registration per address, consent."""

from __future__ import annotations

import threading

from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.models import OutboundMail, Registration
from eventsvc.services.registration import register
from tests.factories import make_event, registration_data


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_address_is_normalised_and_consent_recorded(app):
    event = make_event()
    outcome = register(event.id, registration_data(email="  Wang.Li@Example.COM ", marketing_consent=False))
    registration = outcome.registration
    assert outcome.created and registration.email == "wang.li@example.com"
    assert registration.privacy_consent_at is not None
    assert registration.privacy_consent_version == app.config["PRIVACY_NOTICE_VERSION"]
    assert registration.marketing_consent_at is None
    # The registration and its confirmation were committed together.
    assert [m.kind for m in registration.mails] == ["confirmation"]


def test_a_new_registration_costs_three_statements_when_no_webhook_listens(app):
    """The event's lock (which also tells whether a webhook listens and whether the address is
    registered already), the registration and its confirmation: nothing else holds the form's
    answer up."""
    event_id = make_event().id
    statements = []

    def note(_conn, _cursor, statement, *_args):
        words = statement.replace("\n", " ").split()
        if words[0] != "BEGIN":  # SQLite's BEGIN IMMEDIATE: the transaction, not a statement
            table = words[words.index("INTO") + 1] if words[0] == "INSERT" else words[len(words) - words[::-1].index("FROM")]
            statements.append(f"{words[0]} {table}")  # a SELECT's own table: its last FROM

    sa_event.listen(db.engine, "before_cursor_execute", note)
    try:
        outcome = register(event_id, registration_data(email="four@example.com"))
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", note)
    assert outcome.created
    assert statements == ["SELECT events", "INSERT registrations", "INSERT outbound_mails"]


def test_second_attempt_creates_nothing_and_mails_the_existing_link(app):
    event = make_event()
    first = register(event.id, registration_data(email="a@example.com"))
    again = register(event.id, registration_data(email="A@EXAMPLE.com", given_name="Someone else"))
    assert not again.created and again.registration.id == first.registration.id
    assert count(Registration) == 1
    kinds = db.session.scalars(select(OutboundMail.kind).order_by(OutboundMail.id)).all()
    assert kinds == ["confirmation", "already_registered"]
    # Asked many times within the hour: still one such mail, so the form cannot be used to flood.
    register(event.id, registration_data(email="a@example.com"))
    assert count(OutboundMail) == 2


def test_the_same_address_may_register_again_after_cancelling(app):
    from eventsvc.services.registration import cancel

    event = make_event()
    first = register(event.id, registration_data(email="b@example.com")).registration
    cancel(first.id)
    second = register(event.id, registration_data(email="b@example.com"))
    assert second.created and second.registration.id != first.id


def test_same_address_from_concurrent_requests_leaves_one_row_on_postgresql(pg_app):
    event = make_event()
    event_id = event.id
    db.session.rollback()
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    outcomes, failures = [], []

    def attempt() -> None:
        with pg_app.app_context():
            try:
                barrier.wait(timeout=30)
                outcome = register(event_id, registration_data(email="same@example.com"))
                outcomes.append((outcome.created, outcome.registration.id))
            except Exception as error:  # noqa: BLE001 - reported below
                failures.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert sorted(created for created, _ in outcomes) == [False] * (threads_count - 1) + [True]
    assert len({registration_id for _, registration_id in outcomes}) == 1
    assert db.session.scalar(
        select(func.count()).select_from(Registration).where(Registration.email == "same@example.com")
    ) == 1
