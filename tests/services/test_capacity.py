"""Seats and the waiting list: capacity holds, first come first served, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.models import OutboundMail, Registration
from eventsvc.services.registration import (
    EventFull,
    cancel,
    register,
    seats_left,
    set_capacity,
    waitlist_position,
)
from tests.factories import make_event, registration_data


def sign_up(event, count: int) -> list[Registration]:
    """``count`` people register one after another, as the form would."""
    return [register(event.id, registration_data()).registration for _ in range(count)]


def statuses(registrations: list[Registration]) -> list[str]:
    for registration in registrations:
        db.session.refresh(registration)
    return [registration.status for registration in registrations]


def mail_kinds(registration: Registration) -> list[str]:
    return list(db.session.scalars(
        select(OutboundMail.kind).where(OutboundMail.registration_id == registration.id).order_by(OutboundMail.id)
    ))


def test_capacity_is_never_exceeded_and_latecomers_join_the_list_in_order(app):
    event = make_event(capacity=3)

    people = sign_up(event, 6)

    assert statuses(people) == ["confirmed"] * 3 + ["waitlisted"] * 3
    assert seats_left(event) == 0
    assert [waitlist_position(p) for p in people] == [None, None, None, 1, 2, 3]
    assert [mail_kinds(p) for p in people] == [["confirmation"]] * 3 + [["waitlisted"]] * 3


def test_a_full_event_without_waiting_list_refuses_and_stores_nothing(app):
    event = make_event(capacity=2, waitlist_enabled=False)
    sign_up(event, 2)

    with pytest.raises(EventFull):
        register(event.id, registration_data(email="late@example.com"))

    assert db.session.scalar(select(func.count()).select_from(Registration)) == 2
    assert db.session.scalar(select(func.count()).select_from(OutboundMail)) == 2


def test_an_unlimited_event_confirms_everyone(app):
    event = make_event(capacity=None)

    people = sign_up(event, 5)

    assert statuses(people) == ["confirmed"] * 5
    assert seats_left(event) is None


def test_a_cancelled_seat_goes_to_the_first_in_line_with_a_promoted_mail(app):
    event = make_event(capacity=2)
    first, second, third, fourth = sign_up(event, 4)

    cancel(first.id)

    assert statuses([first, second, third, fourth]) == ["cancelled", "confirmed", "confirmed", "waitlisted"]
    assert mail_kinds(first) == ["confirmation", "cancelled"]
    assert mail_kinds(third) == ["waitlisted", "promoted"]
    assert third.promoted_at is not None
    assert mail_kinds(fourth) == ["waitlisted"]
    assert waitlist_position(fourth) == 1
    assert seats_left(event) == 0


def test_cancelling_twice_frees_one_seat_only(app):
    event = make_event(capacity=1)
    holder, next_in_line, after_that = sign_up(event, 3)

    cancel(holder.id)
    cancel(holder.id)

    assert statuses([holder, next_in_line, after_that]) == ["cancelled", "confirmed", "waitlisted"]
    assert mail_kinds(holder) == ["confirmation", "cancelled"]


def test_leaving_the_waiting_list_promotes_nobody_and_moves_the_others_up(app):
    event = make_event(capacity=1)
    holder, first, second, third = sign_up(event, 4)

    cancel(first.id)

    assert statuses([holder, first, second, third]) == ["confirmed", "cancelled", "waitlisted", "waitlisted"]
    assert [waitlist_position(second), waitlist_position(third)] == [1, 2]
    assert mail_kinds(first) == ["waitlisted", "cancelled"]
    assert mail_kinds(second) == ["waitlisted"]


def test_raising_the_capacity_promotes_as_many_as_fit_in_order(app):
    event = make_event(capacity=2)
    people = sign_up(event, 7)

    promoted = set_capacity(event.id, 5)

    assert [p.id for p in promoted] == [people[2].id, people[3].id, people[4].id]
    assert statuses(people) == ["confirmed"] * 5 + ["waitlisted"] * 2
    assert [mail_kinds(p) for p in people[2:5]] == [["waitlisted", "promoted"]] * 3
    assert [waitlist_position(p) for p in people[5:]] == [1, 2]


def test_removing_the_limit_promotes_the_whole_list(app):
    event = make_event(capacity=1)
    people = sign_up(event, 4)

    set_capacity(event.id, None)

    assert statuses(people) == ["confirmed"] * 4


def test_lowering_the_capacity_takes_no_seat_away_and_frees_none(app):
    event = make_event(capacity=3)
    people = sign_up(event, 4)

    set_capacity(event.id, 1)
    cancel(people[0].id)

    # Two confirmed people still exceed the new capacity of one: the freed seat is not given away.
    assert statuses(people) == ["cancelled", "confirmed", "confirmed", "waitlisted"]
    assert seats_left(event) == 0


def test_someone_who_cancelled_and_comes_back_joins_the_end_of_the_line(app):
    event = make_event(capacity=1)
    holder, first, second = sign_up(event, 3)
    cancel(first.id)

    again = register(event.id, registration_data(email=first.email)).registration

    assert again.id != first.id
    assert again.status == "waitlisted"
    assert [waitlist_position(second), waitlist_position(again)] == [1, 2]


def test_a_seat_freed_by_a_plain_edit_goes_to_the_waiting_list_not_to_a_newcomer(app):
    event = make_event(capacity=1)
    holder, waiting = sign_up(event, 2)
    event.capacity = 2  # e.g. an events import that does not go through set_capacity
    db.session.commit()

    newcomer = register(event.id, registration_data()).registration

    assert statuses([holder, waiting, newcomer]) == ["confirmed", "confirmed", "waitlisted"]
    assert mail_kinds(waiting) == ["waitlisted", "promoted"]
    assert waitlist_position(newcomer) == 1


def test_a_seat_freed_after_the_event_began_promotes_nobody(app):
    event = make_event(capacity=1)
    holder, waiting = sign_up(event, 2)

    cancel(holder.id, now=event.starts_at + timedelta(minutes=30))

    assert statuses([holder, waiting]) == ["cancelled", "waitlisted"]
    assert mail_kinds(waiting) == ["waitlisted"]


def test_a_seat_freed_after_registration_closed_still_goes_to_the_next_in_line(app):
    event = make_event(capacity=1, registration_closes_at=datetime.now(timezone.utc) + timedelta(days=1))
    holder, waiting = sign_up(event, 2)

    cancel(holder.id, now=event.registration_closes_at + timedelta(hours=1))

    assert statuses([holder, waiting]) == ["cancelled", "confirmed"]
    assert mail_kinds(waiting) == ["waitlisted", "promoted"]


def test_seats_freed_while_the_list_is_closed_go_to_those_still_waiting(app):
    event = make_event(capacity=1)
    holder, waiting = sign_up(event, 2)
    event.capacity, event.waitlist_enabled = 2, False  # an edit that bypassed set_capacity
    db.session.commit()

    with pytest.raises(EventFull):
        register(event.id, registration_data())

    assert statuses([holder, waiting]) == ["confirmed", "confirmed"]
    assert mail_kinds(waiting) == ["waitlisted", "promoted"]
