"""Registrations per second through the real form, against a bare one-row INSERT endpoint.

For 16, 32 and 64 concurrent visitors, in one run and on the same gunicorn settings:

- **bare**: ``POST /insert`` of :mod:`bench.bare_app` (Flask + one committed INSERT);
- **form**: a new visitor per registration: ``GET /events/<slug>/register`` (form, CSRF token and
  session cookie), then ``POST`` the form; an event without a capacity limit;
- **form, full midway**: the same on an event whose capacity is half the registrations of the
  run, so the second half goes on the waiting list (every registration contends for one event).

Throughput counts whole registrations (GET + POST) per second. Latency is reported for the POST
(the registration itself: the lock, the checks, the rows, the commit) and for the GET apart.
After each run the database is asked how many registrations were stored and in which status.

``python -m bench registration``; ``BENCH_REGISTRATIONS`` sets registrations per run (default
1000); ``BENCH_VIA=api`` uses ``POST /api/v1/events/<slug>/registrations`` instead of the form.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import datetime, timedelta, timezone
from html import unescape
from urllib.parse import urlencode

from sqlalchemy import func, select

from . import bare_app
from .common import (
    LiveServer,
    bench_app_settings,
    fresh_database,
    machine_note,
    run_load,
    table,
    timed,
    write_results,
)

CONCURRENCY = (16, 32, 64)

#: Two cores serve the web tier, PostgreSQL and the load generator at once. Two processes keep
#: both cores busy with Python; four threads each let one request run while others wait on
#: PostgreSQL, without the context switching of dozens of threads. The bare endpoint runs with
#: exactly the same settings.
SERVER = {"workers": 2, "worker_class": "gthread", "threads": 4}

CSRF_INPUT = re.compile(r"<input[^>]*\bname=\"csrf_token\"[^>]*>", re.I)
VALUE = re.compile(r"\bvalue=\"([^\"]*)\"", re.I)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on the page."""
    tag = CSRF_INPUT.search(html)
    if tag is None:
        raise ValueError("no csrf_token field on the registration page")
    return unescape(VALUE.search(tag.group(0)).group(1))


def form_fields(email: str, token: str) -> bytes:
    return urlencode({
        "email": email, "family_name": "Wang", "given_name": "Li", "organization": "Siemens",
        "job_title": "Engineer", "language": "en", "privacy_consent": "y", "csrf_token": token,
    }).encode()


def register_through_form(slug: str, run: str):
    """An iteration: a new visitor opens the form and submits it."""

    async def iteration(client, index, record):
        client.cookies.clear()  # a new visitor (the connection is reused, as behind a proxy)
        page = await timed(record, "get", client.request("GET", f"/events/{slug}/register"))
        if page.status != 200:
            raise RuntimeError(f"GET register page: HTTP {page.status}")
        body = form_fields(f"bench-{run}-{index}@example.com", csrf_token(page.text))
        answer = await timed(record, "post", client.request(
            "POST", f"/events/{slug}/register", body, "application/x-www-form-urlencoded"))
        if answer.status >= 400 or answer.status == 200 and "csrf" in answer.text.lower():
            raise RuntimeError(f"POST register: HTTP {answer.status}")

    return iteration


def register_through_api(slug: str, run: str):
    """An iteration: one JSON registration."""

    async def iteration(client, index, record):
        body = json.dumps({
            "email": f"bench-{run}-{index}@example.com", "family_name": "Wang", "given_name": "Li",
            "organization": "Siemens", "job_title": "Engineer", "language": "en",
            "privacy_consent": True,
        }).encode()
        answer = await timed(record, "post", client.request(
            "POST", f"/api/v1/events/{slug}/registrations", body, "application/json"))
        if answer.status != 201:
            raise RuntimeError(f"POST registration: HTTP {answer.status}")

    return iteration


def insert_bare_row(run: str):
    async def iteration(client, index, record):
        answer = await timed(record, "post", client.request(
            "POST", "/insert", urlencode({"email": f"bare-{run}-{index}@example.com"}).encode(),
            "application/x-www-form-urlencoded"))
        if answer.status != 201:
            raise RuntimeError(f"POST /insert: HTTP {answer.status}")

    return iteration


class Events:
    """Creates the benchmark's events and reads back what was stored, in-process."""

    def __init__(self, database_url: str) -> None:
        from eventsvc import create_app

        self.app = create_app(bench_app_settings(database_url))

    def create(self, capacity: int | None) -> str:
        from eventsvc.extensions import db
        from eventsvc.models import Event

        starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=30)
        slug = f"bench-{uuid.uuid4().hex[:8]}"
        with self.app.app_context():
            db.session.add(Event(
                slug=slug, status="published", city="Berlin", country="DE", timezone="Europe/Berlin",
                title={"en": "Smart City China: Berlin", "zh": "智慧城市中国：柏林", "de": "Smart City China: Berlin"},
                description={"en": "Benchmark event."}, venue={"en": "Haus der Wirtschaft, Berlin"},
                starts_at=starts, ends_at=starts + timedelta(hours=3), capacity=capacity,
                languages=["en", "zh"],
            ))
            db.session.commit()
            db.session.remove()
        return slug

    def statuses(self, slug: str) -> dict[str, int]:
        from eventsvc.extensions import db
        from eventsvc.models import Event, Registration

        with self.app.app_context():
            rows = db.session.execute(
                select(Registration.status, func.count()).join(Event)
                .where(Event.slug == slug).group_by(Registration.status)
            ).all()
            db.session.remove()
        return dict(rows)


def main() -> str:
    """Run the registration benchmark, print its table and return it."""
    total = int(os.environ.get("BENCH_REGISTRATIONS", "1000"))
    via = os.environ.get("BENCH_VIA", "form")
    warmup = max(total // 10, 64)
    register = register_through_form if via == "form" else register_through_api
    print(f"bench registration: {total} registrations per run via the {via}; {machine_note()}")
    rows, checks, figures = [], [], {}
    with fresh_database() as url:
        bare_app.create_table(url)
        events = Events(url)
        with LiveServer(url, app="bench.bare_app:create_app()", **SERVER) as bare, \
                LiveServer(url, **SERVER) as server:
            print("server: " + " ".join(server.command()))
            for clients in CONCURRENCY:
                run = uuid.uuid4().hex[:6]
                stored_before = bare_app.count_rows(url)
                result = run_load(bare.url, insert_bare_row(run), clients=clients, total=total, warmup=warmup)
                figures[("bare", clients)] = result
                checks.append(f"bare @{clients}: {bare_app.count_rows(url) - stored_before} rows stored")

                for case, capacity in (("form", None), ("form, full midway", total // 2)):
                    slug = events.create(capacity)
                    warm_slug = events.create(None)
                    run_load(server.url, register(warm_slug, run + "w"), clients=clients, total=warmup)
                    result = run_load(server.url, register(slug, run), clients=clients, total=total)
                    figures[(case, clients)] = result
                    checks.append(f"{case} @{clients}: stored {events.statuses(slug)}"
                                  + (f", capacity {capacity}" if capacity else ""))

            for clients in CONCURRENCY:
                bare_rate = figures[("bare", clients)].per_second
                unlimited_rate = figures[("form", clients)].per_second
                for case in ("bare", "form", "form, full midway"):
                    r = figures[(case, clients)]
                    rows.append([
                        case, clients, f"{r.per_second:.0f}",
                        f"{r.per_second / bare_rate:.2f}",
                        "" if case != "form, full midway" else f"{r.per_second / unlimited_rate:.2f}",
                        f"{r.p('post', 0.5):.1f}", f"{r.p('post', 0.99):.1f}",
                        "" if "get" not in r.latencies else f"{r.p('get', 0.5):.1f}",
                        "" if "get" not in r.latencies else f"{r.p('get', 0.99):.1f}",
                        len(r.errors),
                    ])
            errors = [e for r in figures.values() for e in r.errors[:3]]
    report = table(
        ["case", "clients", "per s", "x bare", "x unlim", "POST p50 ms", "POST p99 ms",
         "GET p50 ms", "GET p99 ms", "errors"], rows)
    at32 = figures[("form", 32)]
    verdict = [
        f"form at 32 clients: {at32.per_second / figures[('bare', 32)].per_second:.2f} of bare "
        f"(target >= 0.50), POST p99 {at32.p('post', 0.99):.1f} ms (target < 100)",
        "full midway / unlimited: " + ", ".join(
            f"{figures[('form, full midway', c)].per_second / figures[('form', c)].per_second:.2f} @{c}"
            for c in CONCURRENCY) + " (target >= 0.70)",
    ]
    text = "\n".join([
        f"{total} registrations per run via the {via}; gunicorn {SERVER}; {machine_note()}",
        report, *verdict, "checks: " + "; ".join(checks),
        *(["first errors: " + " | ".join(errors)] if errors else []),
    ])
    print(text)
    write_results("registration", text)
    return text


if __name__ == "__main__":
    main()
