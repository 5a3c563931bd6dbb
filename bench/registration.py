"""Registrations per second through the real form, against a bare form on the same library.

For 16, 32 and 64 concurrent visitors, in one run and on the same gunicorn settings:

- **bare**: :mod:`bench.bare_app`: ``GET /register`` (the fields as WTForms renders them), then
  ``POST /register``, which validates the same fields with WTForms and commits one INSERT;
- **bare POST only**: the bare ``POST /register`` alone, again and again;
- **form**: a new visitor per registration: ``GET /events/<slug>/register`` (form, CSRF token and
  session cookie), then ``POST`` the form, then the redirect to "what happens next" followed, as
  a browser does; an event without a capacity limit;
- **form POST only**: each client opens the form once and then submits it again and again;
- **form, full midway**: the same on an event whose capacity is half the registrations of the
  run, so the second half goes on the waiting list (every registration contends for one event).

Throughput counts whole iterations (GET + POST, or the POST alone) per second; ``x bare``
compares each form case with the bare case of the same shape. Latency is reported for the POST
(the registration itself: the lock, the checks, the rows, the commit) and for the GET apart.
``CPU ms`` is the CPU time of the server's workers and of the database's PostgreSQL backends per
iteration (from /proc, so only with PostgreSQL on the same machine): on a shared machine it says
what an iteration costs where throughput says what the server was given. After each run the
database is asked how many registrations were stored and in which status.

``python -m bench registration``; ``BENCH_REGISTRATIONS`` sets registrations per run (default
1000); ``BENCH_VIA=api`` uses ``POST /api/v1/events/<slug>/registrations`` instead of the form;
``BENCH_CLIENT=requests`` drives the load with ``requests`` in a thread per client, as an outside
load script commonly does (see :mod:`bench.common`).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import datetime, timedelta, timezone
from html import unescape
from urllib.parse import urlencode, urlsplit

from sqlalchemy import func, select

from . import bare_app
from .common import (
    CLIENT,
    CpuMeter,
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
#: Each case's registrations run in this many turns, the cases alternating (see measure()).
ROUNDS = 4

#: (name, capacity, a new visitor per registration); capacity "half" is half the run's count.
CASES = (
    ("bare", None, True),
    ("bare POST only", None, False),
    ("form", None, True),
    ("form POST only", None, False),
    ("form, full midway", "half", True),
)
#: The bare case each case is measured against (``x bare``): the one of the same shape.
FLOOR = {"form POST only": "bare POST only", "bare POST only": "bare POST only"}

#: The shape issue 18 measures in: three sync workers (one request per process, so no thread
#: holding the event lock waits for the GIL). Four measured slightly better on this machine's
#: two cores (docs/benchmarks.md); ``BENCH_GUNICORN=workers=4`` runs that. The bare endpoint
#: runs with exactly the same settings.
SERVER = {"workers": 3, "worker_class": "sync", "threads": 1}


def server_settings() -> dict:
    """:data:`SERVER`, or ``BENCH_GUNICORN="workers=4,threads=1"`` (threads 1: sync workers)."""
    settings = dict(SERVER)
    for item in filter(None, os.environ.get("BENCH_GUNICORN", "").split(",")):
        name, _, value = item.partition("=")
        settings[name.strip()] = int(value)
    settings["worker_class"] = "gthread" if settings["threads"] > 1 else "sync"
    return settings

CSRF_INPUT = re.compile(r"<input[^>]*\bname=\"csrf_token\"[^>]*>", re.I)
VALUE = re.compile(r"\bvalue=\"([^\"]*)\"", re.I)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on the page."""
    tag = CSRF_INPUT.search(html)
    if tag is None:
        raise ValueError("no csrf_token field on the registration page")
    return unescape(VALUE.search(tag.group(0)).group(1))


def form_fields(email: str, token: str | None) -> bytes:
    """The registration form as a browser posts it (the bare form takes no ``csrf_token``)."""
    fields = {
        "email": email, "family_name": "Wang", "given_name": "Li", "organization": "Siemens",
        "job_title": "Engineer", "language": "en", "privacy_consent": "y",
    }
    if token is not None:
        fields["csrf_token"] = token
    return urlencode(fields).encode()


def register_through_form(slug: str, run: str, new_visitors: bool = True):
    """An iteration: a visitor opens the form (GET) and submits it (POST).

    With ``new_visitors`` false each virtual client opens the form once and then submits it again
    and again with the same session and token: what is left is the cost of the POST alone.
    """
    tokens: dict[int, str] = {}

    async def iteration(client, index, record):
        token = None if new_visitors else tokens.get(id(client))
        if token is None:
            client.cookies.clear()  # a new visitor (the connection is reused, as behind a proxy)
            page = await timed(record, "get", client.request("GET", f"/events/{slug}/register"))
            if page.status != 200:
                raise RuntimeError(f"GET register page: HTTP {page.status}")
            token = tokens[id(client)] = csrf_token(page.text)
        body = form_fields(f"bench-{run}-{index}@example.com", token)
        answer = await timed(record, "post", client.request(
            "POST", f"/events/{slug}/register", body, "application/x-www-form-urlencoded"))
        if answer.status >= 400 or answer.status == 200 and "csrf" in answer.text.lower():
            raise RuntimeError(f"POST register: HTTP {answer.status}")
        if answer.status in (302, 303):  # the browser follows to "what happens next"
            location = urlsplit(answer.headers["location"])
            thanks = await timed(record, "next", client.request("GET", location.path))
            if thanks.status != 200:
                raise RuntimeError(f"GET {location.path}: HTTP {thanks.status}")

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


def register_bare(run: str, new_visitors: bool = True):
    """An iteration of the floor: the bare form page (GET), then the bare POST; or the POST alone."""

    async def iteration(client, index, record):
        if new_visitors:
            page = await timed(record, "get", client.request("GET", "/register"))
            if page.status != 200 or 'name="email"' not in page.text:
                raise RuntimeError(f"GET /register: HTTP {page.status}")
        answer = await timed(record, "post", client.request(
            "POST", "/register", form_fields(f"bare-{run}-{index}@example.com", None),
            "application/x-www-form-urlencoded"))
        if answer.status != 201:
            raise RuntimeError(f"POST /register: HTTP {answer.status}")

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


def measure(url: str, total: int, via: str, server_options: dict) -> tuple[dict, list[str]]:
    """Run every case at every concurrency; the figures by (case, clients), and the checks.

    Each case's registrations are split into :data:`ROUNDS` rounds and the cases take turns,
    round by round, so that a change in the machine's load (it may be shared) touches every case
    alike. The full-midway event is the same in every round: it fills up halfway through.
    """
    register = register_through_form if via == "form" else register_through_api
    per_round = total // ROUNDS
    warmup = max(total // 10, 64)
    figures, checks = {}, []
    bare_app.create_table(url)
    events = Events(url)
    with LiveServer(url, app="bench.bare_app:create_app()", **server_options) as bare, \
            LiveServer(url, **server_options) as server:
        print("server: " + " ".join(server.command()))
        bare_meter, server_meter = CpuMeter(bare, url), CpuMeter(server, url)
        for clients in CONCURRENCY:
            run = uuid.uuid4().hex[:6]
            slugs = {case: events.create(per_round * ROUNDS // 2 if capacity == "half" else None)
                     for case, capacity, _new in CASES if not case.startswith("bare")}
            before = bare_app.count_rows(url)
            run_load(bare.url, register_bare(run + "w"), clients=clients, total=warmup)
            run_load(server.url, register(events.create(None), run + "w"), clients=clients, total=warmup)
            for round_ in range(ROUNDS):
                tag = f"{run}r{round_}"
                for case, _capacity, new_visitors in CASES:
                    if case.startswith("bare"):
                        iteration, target = register_bare(tag, new_visitors), bare_meter
                    elif via == "form":
                        iteration, target = register(slugs[case], tag, new_visitors), server_meter
                    else:
                        iteration, target = register(slugs[case], tag), server_meter
                    result = target.run_load(iteration, clients=clients, total=per_round)
                    figures[(case, clients)] = figures[(case, clients)] + result if round_ else result
            stored = bare_app.count_rows(url) - before - warmup
            checks.append(f"bare @{clients}: {stored} rows stored (of {2 * per_round * ROUNDS})")
            checks += [f"{case} @{clients}: stored {events.statuses(slug)}" for case, slug in slugs.items()]
    return figures, checks


def report(figures: dict, checks: list[str]) -> str:
    """The table, the verdict against the targets, and what the database holds."""
    rows = []
    for clients in CONCURRENCY:
        unlimited_rate = figures[("form", clients)].per_second
        for case, _capacity, _new in CASES:
            r = figures[(case, clients)]
            floor = figures[(FLOOR.get(case, "bare"), clients)]
            get = r.latencies.get("get")
            rows.append([
                case, clients, f"{r.per_second:.0f}", f"{r.per_second / floor.per_second:.2f}",
                f"{r.per_second / unlimited_rate:.2f}" if case == "form, full midway" else "",
                f"{r.p('post', 0.5):.1f}", f"{r.p('post', 0.99):.1f}",
                f"{r.p('get', 0.5):.1f}" if get else "", f"{r.p('get', 0.99):.1f}" if get else "",
                f"{r.cpu_ms_per_iteration:.1f}" if r.cpu_seconds else "", len(r.errors),
            ])
    form, post_only, bare, bare_post = (figures[(case, 32)] for case in (
        "form", "form POST only", "bare", "bare POST only"))
    errors = [e for r in figures.values() for e in r.errors[:3]]
    return "\n".join([
        table(["case", "clients", "per s", "x bare", "x unlim", "POST p50 ms", "POST p99 ms",
               "GET p50 ms", "GET p99 ms", "CPU ms", "errors"], rows),
        f"form at 32 clients: {form.per_second / bare.per_second:.2f} of bare (target >= 0.60); "
        f"POST p99 {form.p('post', 0.99):.1f} ms against bare {bare.p('post', 0.99):.1f} ms: "
        f"{form.p('post', 0.99) / bare.p('post', 0.99):.2f}x (target <= 2.00)",
        f"POST only at 32 clients: {post_only.per_second / bare_post.per_second:.2f} of bare POST only; "
        f"POST p99 {post_only.p('post', 0.99):.1f} ms against {bare_post.p('post', 0.99):.1f} ms: "
        f"{post_only.p('post', 0.99) / bare_post.p('post', 0.99):.2f}x",
        "full midway / unlimited: " + ", ".join(
            f"{figures[('form, full midway', c)].per_second / figures[('form', c)].per_second:.2f} @{c}"
            for c in CONCURRENCY) + " (target >= 0.70)",
        "checks: " + "; ".join(checks),
        *(["first errors: " + " | ".join(errors)] if errors else []),
    ])


def main() -> str:
    """Run the registration benchmark, print its figures, write them to results, return them."""
    total = int(os.environ.get("BENCH_REGISTRATIONS", "1000"))
    via = os.environ.get("BENCH_VIA", "form")
    server_options = server_settings()
    heading = f"{total} registrations per run via the {via}; gunicorn {server_options}; client {CLIENT}"
    print(f"{heading}; {machine_note()}")
    with fresh_database() as url:
        figures, checks = measure(url, total, via, server_options)
    text = f"{heading}; after the run: {machine_note()}\n{report(figures, checks)}"
    print(text)
    write_results("registration", text)
    return text


if __name__ == "__main__":
    main()
