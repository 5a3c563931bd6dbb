"""Where one registration's time goes, in one process: ``python -m bench.profile_registration [N]``.

Not a benchmark (``make bench`` does not run it) but the profile behind the registration
figures in docs/benchmarks.md. On a fresh PostgreSQL database, with the settings the bench's
server has (``TESTING`` off, CSRF on, rate limits off, the broker in memory), a new visitor
opens ``GET /events/<slug>/register``, posts the form and follows the redirect to "what happens
next", through Flask's test client. It prints:

- every message that one registration sends to PostgreSQL (libpq's trace: each line is a round
  trip, pool pings, ``BEGIN`` and ``ROLLBACK`` included), for the page and for the POST;
- the wall time and the CPU time of N registrations (this process and the PostgreSQL backend);
- Python function calls per registration, and the functions that take the most time under
  cProfile (cProfile roughly doubles Python's time: read the shares, not the milliseconds);
- with ``BENCH_PROFILE_OUT=<file>``, the whole profile written to that file (``pstats``);
  ``BENCH_PROFILE_ONLY=post`` profiles the POST alone;
- the same wall, CPU and call figures for the bench's floor, :mod:`bench.bare_app` (its page,
  then its POST), on the same database.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import re
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from html import unescape
from pathlib import Path

from . import bare_app
from .common import fresh_database

PROJECT_ROOT = str(Path(__file__).resolve().parents[1]) + "/"
CSRF_VALUE = re.compile(r'name="csrf_token"[^>]*value="([^"]*)"')
#: Functions worth a line in the report (cumulative time, per registration), in call order.
SHOWN = ("register_view", "find_event", "render_template", "register", "lock",
         "find_live_registration", "commit", "send_task")


def backend_cpu_seconds(pids: set[int]) -> float:
    """User and system CPU of these PostgreSQL backends (same machine), from /proc."""
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def round_trips(trace: str, prepared: dict[str, str]) -> list[str]:
    """The round trips in a libpq trace: a simple query each, and each Sync of the extended
    protocol, named by its statement's text (``prepared``: the text of each prepared statement,
    by name, from :func:`prepared_statements`)."""
    trips, pending = [], None
    for line in trace.splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or parts[0] != "F":
            continue
        if parts[2] == "Query":
            trips.append(parts[3].strip().strip('"'))
        elif parts[2] == "Parse" and pending is None:
            text = parts[3].strip()
            pending = (text[3:] if text.startswith('"" ') else text).strip('"')  # the unnamed statement
        elif parts[2] == "Bind" and pending is None:
            name = parts[3].split()[1].strip('"')
            pending = prepared.get(name, f"prepared statement {name}")
        elif parts[2] == "Sync":
            trips.append(pending or "?")
            pending = None
    return trips


def prepared_statements(trace: str) -> dict[str, str]:
    """The text of each statement the trace shows prepared, by its name."""
    named = re.compile(r'^F\t\d+\tParse\t "(\w+)" "([^\n"]*)', re.M)
    return {match.group(1): match.group(2) for match in named.finditer(trace)}


def main(count: int = 300) -> None:
    with fresh_database() as url:
        os.environ.update({
            "DATABASE_URL": url, "SECRET_KEY": "profile", "CELERY_BROKER_URL": "memory://",
            "RATELIMIT_ENABLED": "false", "BASE_URL": "http://localhost", "MAIL_PORT": "1",
            "EVENTSVC_DOTENV": os.devnull, "EVENTSVC_INSTANCE_PATH": tempfile.mkdtemp(prefix="eventsvc-profile-"),
        })
        from psycopg import pq
        from sqlalchemy import event as sa_event

        from eventsvc import create_app
        from eventsvc.extensions import db
        from eventsvc.models import Event

        app = create_app()
        with app.app_context():
            starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=30)
            db.session.add(Event(
                slug="profile", status="published", city="Berlin", country="DE", timezone="Europe/Berlin",
                title={"en": "Smart City China: Berlin"}, description={"en": "Profile event."},
                venue={"en": "Haus der Wirtschaft"}, starts_at=starts, ends_at=starts + timedelta(hours=3),
                languages=["en", "zh"],
            ))
            db.session.commit()
            db.session.remove()
            engine = db.engine
        trace_path = os.path.join(tempfile.mkdtemp(prefix="eventsvc-libpq-"), "trace")
        trace_file = open(trace_path, "w")
        backends: set[int] = set()

        @sa_event.listens_for(engine, "connect")
        def _watch(dbapi_connection, _record):
            backends.add(dbapi_connection.info.backend_pid)
            if not trace_file.closed:
                dbapi_connection.pgconn.trace(trace_file.fileno())
                dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)

        engine.dispose()  # new connections, traced
        marks: list[int] = []

        def mark() -> None:
            trace_file.flush()
            marks.append(os.path.getsize(trace_path))

        def registration(index: int, between=None, after=None) -> None:
            client = app.test_client()
            page = client.get("/events/profile/register", headers={"Accept-Language": "en"})
            assert page.status_code == 200, page.status_code
            token = unescape(CSRF_VALUE.search(page.text).group(1))
            if between:
                between()
            answer = client.post("/events/profile/register", headers={"Accept-Language": "en"}, data={
                "email": f"profile-{index}-{uuid.uuid4().hex[:6]}@example.com", "family_name": "Wang",
                "given_name": "Li", "organization": "Siemens", "job_title": "Engineer", "language": "en",
                "privacy_consent": "y", "csrf_token": token,
            })
            assert answer.status_code == 302, answer.status_code
            if after:
                after()
            assert client.get(answer.headers["Location"], headers={"Accept-Language": "en"}).status_code == 200

        for index in range(50):
            registration(index)
        mark()
        registration(10**6, between=mark)
        mark()
        with open(trace_path) as trace:
            text = trace.read()
        for name, (start, end) in (("GET page", marks[0:2]), ("POST form and the page after it", marks[1:3])):
            trips = round_trips(text[start:end], prepared_statements(text))
            print(f"{name}: {len(trips)} round trips to PostgreSQL")
            for trip in trips:
                print(f"    {trip[:100]}")
        trace_file.close()
        engine.dispose()  # new connections from here on, untraced

        wall, cpu, pg = time.perf_counter(), time.process_time(), backend_cpu_seconds(backends)
        for index in range(count):
            registration(index + 1000)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        pg = backend_cpu_seconds(backends) - pg
        print(f"{count} registrations (GET, POST, GET): {wall / count * 1000:.2f} ms each; CPU "
              f"{cpu / count * 1000:.2f} ms in this process, {pg / count * 1000:.2f} ms in PostgreSQL")

        profile = cProfile.Profile()
        only_post = os.environ.get("BENCH_PROFILE_ONLY") == "post"
        if not only_post:
            profile.enable()
        for index in range(count):
            registration(index + 10**5, between=profile.enable if only_post else None,
                         after=profile.disable if only_post else None)
        profile.disable()
        stats = pstats.Stats(profile)
        if os.environ.get("BENCH_PROFILE_OUT"):  # for pstats, snakeviz or gprof2dot
            stats.dump_stats(os.environ["BENCH_PROFILE_OUT"])
        print(f"Python function calls per registration: {stats.total_calls / count:.0f}")
        rows = sorted(((value[3], value[1], name, path, line)
                       for (path, line, name), value in stats.stats.items()
                       if name in SHOWN and ("eventsvc" in path or "sqlalchemy/orm/scoping.py" in path
                                             or "flask/templating.py" in path or "celery/app/base.py" in path)),
                      reverse=True)
        print("under cProfile, cumulative per registration:")
        for cumulative, calls, name, path, line in rows:
            print(f"    {cumulative / count * 1000:7.2f} ms  {calls / count:3.0f}x  {name}  "
                  f"({path.split('site-packages/')[-1].replace(PROJECT_ROOT, '')}:{line})")

        profile_bare(url, count)


def profile_bare(url: str, count: int) -> None:
    """Wall time, CPU and Python calls of the floor's page and POST, for comparison."""
    bare_app.create_table(url)
    client = bare_app.create_app().test_client()
    fields = {"email": "bare@example.com", "family_name": "Wang", "given_name": "Li",
              "organization": "Siemens", "job_title": "Engineer", "language": "en", "privacy_consent": "y"}

    def iteration() -> None:
        assert client.get("/register").status_code == 200
        assert client.post("/register", data=fields).status_code == 201

    for _ in range(50):
        iteration()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        iteration()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(count):
        iteration()
    profile.disable()
    calls = pstats.Stats(profile).total_calls / count
    print(f"bare (GET + POST): {wall / count * 1000:.2f} ms each; CPU {cpu / count * 1000:.2f} ms in this "
          f"process; {calls:.0f} Python function calls")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
