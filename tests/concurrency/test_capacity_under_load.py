"""Capacity under load: many people register at the same moment, and no seat is given twice.

The two main tests need PostgreSQL (``pg_app``: skipped without it, failed under CI=true):
200 people register through real HTTP (gunicorn with four worker processes; half through the
form with its CSRF token, half through the JSON API) for 50 seats, then 10 confirmed people
cancel at once. The second of them (marked ``worker``) also runs a real Celery worker on Redis
and a real SMTP server, and checks that everyone gets each of their mails exactly once. The
smaller tests run on SQLite as well, where every write transaction takes the database lock.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from html import unescape

import pytest
import requests
from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import OutboundMail, Registration
from eventsvc.services.registration import cancel, register, set_capacity, waitlist_position
from tests.factories import make_event, registration_data

CSRF_FIELD = re.compile(r"<input[^>]*name=\"csrf_token\"[^>]*>")
VALUE = re.compile(r"value=\"([^\"]*)\"")


def person(n: int) -> dict:
    """Registration fields of the n-th person; addresses differ only by number."""
    return {
        "email": f"person{n:03d}@example.com", "family_name": "Zhang", "given_name": f"Wei {n}",
        "organization": "Volkswagen Group China", "job_title": "Planner", "language": ("en", "zh", "de")[n % 3],
    }


class Visitor:
    """One person at one browser (form) or one API client, ready to register on a signal."""

    def __init__(self, base_url: str, slug: str, n: int, via: str) -> None:
        self.base_url, self.slug, self.n, self.via = base_url, slug, n, via
        self.session = requests.Session()
        self.token = None

    def open_form(self) -> None:
        """Load the registration page: the CSRF token and the session cookie that goes with it."""
        if self.via == "form":
            page = self.session.get(f"{self.base_url}/events/{self.slug}/register", timeout=60)
            page.raise_for_status()
            self.token = csrf_token(page.text)

    def submit(self) -> int:
        if self.via == "form":
            fields = {**person(self.n), "privacy_consent": "y", "csrf_token": self.token}
            answer = self.session.post(f"{self.base_url}/events/{self.slug}/register", data=fields,
                                       timeout=60, allow_redirects=False)
        else:
            answer = self.session.post(f"{self.base_url}/api/v1/events/{self.slug}/registrations",
                                       json={**person(self.n), "privacy_consent": True}, timeout=60)
        return answer.status_code


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    return unescape(VALUE.search(CSRF_FIELD.search(html).group(0)).group(1))


def cancel_over_http(base_url: str, manage_token: str) -> int:
    """What a registrant does from their own link: open the cancel page, confirm."""
    session = requests.Session()
    page = session.get(f"{base_url}/r/{manage_token}/cancel", timeout=60)
    page.raise_for_status()
    answer = session.post(f"{base_url}/r/{manage_token}/cancel", data={"csrf_token": csrf_token(page.text)},
                          timeout=60, allow_redirects=False)
    return answer.status_code


def register_at_once(base_url: str, slug: str, people: range) -> list[int]:
    """Everyone opens the form first, then all submit at the same moment; HTTP statuses back."""
    visitors = [Visitor(base_url, slug, n, "form" if n % 2 else "api") for n in people]
    start = threading.Barrier(len(visitors))

    def go(visitor: Visitor) -> int:
        visitor.open_form()
        start.wait(timeout=120)
        return visitor.submit()

    with ThreadPoolExecutor(len(visitors)) as pool:
        return list(pool.map(go, visitors))


def registrations_of(event_id: int) -> list[Registration]:
    """All registrations of the event in registration order: a snapshot, read afresh.

    The objects are detached and the transaction ended, so that this thread holds no lock while
    others write (on SQLite every transaction holds the database's write lock).
    """
    db.session.rollback()
    registrations = list(db.session.scalars(
        select(Registration).where(Registration.event_id == event_id)
        .order_by(Registration.created_at, Registration.id)
    ))
    db.session.expunge_all()
    db.session.rollback()
    return registrations


def in_parallel(app, action, ids: list[int]) -> None:
    """Run ``action(id)`` for every id at the same moment, each thread in its own app context."""
    start = threading.Barrier(len(ids))

    def run(item_id: int) -> None:
        with app.app_context():
            start.wait(timeout=60)
            action(item_id)
            db.session.remove()

    with ThreadPoolExecutor(len(ids)) as pool:
        list(pool.map(run, ids))


def test_200_people_for_50_seats_over_http_then_10_cancel(pg_app, pg_live_server):
    event = make_event(capacity=50)
    event_id, slug = event.id, event.slug
    db.session.commit()

    statuses = register_at_once(pg_live_server.url, slug, range(200))

    assert all(status in (201, 302, 303) for status in statuses), statuses
    registrations = registrations_of(event_id)
    assert sorted(r.email for r in registrations) == sorted(person(n)["email"] for n in range(200))
    confirmed = [r for r in registrations if r.status == "confirmed"]
    waiting = [r for r in registrations if r.status == "waitlisted"]
    assert (len(confirmed), len(waiting)) == (50, 150)
    # Registration order is the order in which people took a seat or a place in line: every
    # seat went before the first place in line, and the places shown are 1 to 150.
    assert registrations[:50] == confirmed
    assert [r.id for r in registrations] == sorted(r.id for r in registrations)
    assert [waitlist_position(r) for r in waiting] == list(range(1, 151))
    db.session.rollback()

    leaving = [r.id for r in confirmed[::5]]
    in_parallel(pg_app, cancel, leaving)

    after = {r.id: r for r in registrations_of(event_id)}
    assert {r.id for r in after.values() if r.status == "cancelled"} == set(leaving)
    promoted = [r.id for r in waiting[:10]]
    assert sorted(r.id for r in after.values() if r.promoted_at is not None) == sorted(promoted)
    assert sum(r.status == "confirmed" for r in after.values()) == 50
    still_waiting = [after[r.id] for r in waiting[10:]]
    assert all(r.status == "waitlisted" for r in still_waiting)
    assert [waitlist_position(r) for r in still_waiting] == list(range(1, 141))


def test_capacity_holds_over_http_with_several_server_processes(app, live_server):
    """On SQLite (one file, two gunicorn processes) as on PostgreSQL."""
    event = make_event(capacity=10)
    event_id, slug = event.id, event.slug
    db.session.commit()  # hold no transaction: on SQLite it would keep the server waiting

    statuses = register_at_once(live_server.url, slug, range(30))

    assert all(status in (201, 302, 303) for status in statuses), statuses
    registrations = registrations_of(event_id)
    assert [r.status for r in registrations] == ["confirmed"] * 10 + ["waitlisted"] * 20
    assert len({r.email for r in registrations}) == 30


def test_capacity_holds_when_threads_register_and_cancel_at_once(app):
    """The service layer alone, many threads at once, on SQLite and PostgreSQL."""
    event = make_event(capacity=8)
    event_id = event.id
    db.session.commit()

    in_parallel(app, lambda n: register(event_id, registration_data(email=f"t{n}@example.com")), list(range(24)))
    registrations = registrations_of(event_id)
    assert [r.status for r in registrations] == ["confirmed"] * 8 + ["waitlisted"] * 16

    in_parallel(app, cancel, [r.id for r in registrations[:4]] + [r.id for r in registrations[-2:]])
    after = registrations_of(event_id)
    assert [r.status for r in after] == (
        ["cancelled"] * 4 + ["confirmed"] * 8 + ["waitlisted"] * 10 + ["cancelled"] * 2
    )


def test_registering_cancelling_and_adding_seats_at_once_leave_no_seat_idle(app):
    """Whatever mix arrives together: never more confirmed than seats, never a free seat while
    someone waits, and no deadlock (PostgreSQL) or lock timeout (SQLite)."""
    event = make_event(capacity=5)
    event_id = event.id
    db.session.commit()
    early = [register(event_id, registration_data()).registration.id for _ in range(10)]
    db.session.rollback()

    def act(n: int) -> None:
        if n < 20:
            register(event_id, registration_data(email=f"mixed{n}@example.com"))
        elif n < 26:
            cancel(early[n - 20])
        else:
            set_capacity(event_id, 13)

    in_parallel(app, act, list(range(27)))

    registrations = registrations_of(event_id)
    confirmed = sum(r.status == "confirmed" for r in registrations)
    waiting = sum(r.status == "waitlisted" for r in registrations)
    assert (confirmed + waiting, sum(r.status == "cancelled" for r in registrations)) == (24, 6)
    assert (confirmed, waiting) == (13, 11)


#: What a registrant sees in the subject of each mail (every mail of an en/zh event has English).
SUBJECTS = {"confirmation": "Registration confirmed:", "waitlisted": "Waiting list:",
            "promoted": "You have a seat:", "cancelled": "Registration cancelled:"}


def kinds_by_address(messages) -> dict[str, list[str]]:
    """For each recipient, the kinds of mail they received (by subject), in arrival order."""
    received: dict[str, list[str]] = {}
    for message in messages:
        [kind] = [k for k, words in SUBJECTS.items() if words in str(message["Subject"])]
        received.setdefault(message["To"].addresses[0].addr_spec, []).append(kind)
    return received


@pytest.mark.worker
def test_everyone_gets_each_of_their_mails_exactly_once_under_load(
        pg_app, start_live_server, smtp_server, redis_broker, start_worker):
    """200 for 50 seats through gunicorn, 10 cancel on their own page; a real worker and SMTP."""
    start_worker(pg_app, smtp_server, redis_broker, concurrency=2)
    server = start_live_server(pg_app.config["SQLALCHEMY_DATABASE_URI"], workers=4, env={
        "CELERY_BROKER_URL": redis_broker.url, "CELERY_QUEUE_PREFIX": redis_broker.queue_prefix,
    })
    event = make_event(capacity=50)
    event_id, slug = event.id, event.slug
    db.session.commit()

    register_at_once(server.url, slug, range(200))
    smtp_server.extract_emails(count=200, timeout=60)
    registrations = registrations_of(event_id)
    confirmed = [r for r in registrations if r.status == "confirmed"]
    waiting = [r for r in registrations if r.status == "waitlisted"]
    leaving = confirmed[::5]
    with ThreadPoolExecutor(len(leaving)) as pool:
        assert set(pool.map(lambda r: cancel_over_http(server.url, r.manage_token), leaving)) == {302}
    smtp_server.extract_emails(count=220, timeout=60)
    smtp_server.wait_quiet(1.5)

    expected = {r.email: ["confirmation"] for r in confirmed}
    expected.update({r.email: ["waitlisted"] for r in waiting})
    for r in leaving:
        expected[r.email] = ["confirmation", "cancelled"]
    for r in waiting[:10]:
        expected[r.email] = ["waitlisted", "promoted"]
    assert kinds_by_address(smtp_server.messages) == expected
    assert len(set(smtp_server.message_ids())) == 220


def test_one_address_sent_by_several_at_once_is_registered_once_and_told_by_mail(app):
    """A double click, or a form sent from two tabs: whoever waited for the event's lock finds
    the first registration (on PostgreSQL, by the unique index and a second try) and gets the
    "already registered" mail with the link, as a later attempt would."""
    event = make_event()
    event_id = event.id
    db.session.commit()
    outcomes = []
    in_parallel(app, lambda _n: outcomes.append(register(event_id, registration_data(email="twice@example.com")).created),
                list(range(6)))
    assert sorted(outcomes) == [False] * 5 + [True]
    [registration] = registrations_of(event_id)
    kinds = db.session.scalars(select(OutboundMail.kind).where(OutboundMail.registration_id == registration.id)).all()
    assert sorted(kinds) == ["already_registered", "confirmation"]  # one an hour: the same dedupe key
