"""Resident memory of each kind of process, at work: ``python -m bench memory``.

In one run, on a fresh PostgreSQL database:

- **web worker**: gunicorn with one ``sync`` worker serving ``BENCH_MEMORY_REQUESTS`` (1,000)
  mixed requests from 8 clients (the event list and page 40 %, the form GET and POST 30 %, a
  registrant's own page 20 %, the imprint and privacy pages 10 %); the worker process's resident
  set (RSS) at the end and its peak (``VmHWM``), once with the hints going nowhere (``memory://``,
  the app and its requests alone) and once to Redis, as in production (redis-py and kombu's
  transport come in with the first hint). Target: under 80 MB. For context, the same for the
  registration bench's floor (``bench.bare_app``), its form page and POST taking turns.
- **mail worker**: ``celery -A worker worker --concurrency 1`` sending ``BENCH_MEMORY_MAILS``
  (10,000) confirmations to a local SMTP server that only counts; the peak RSS of the main
  process and of the pool process, sampled every 0.2 s while it sends. Target: each under 100 MB.
- **reminders**: ``flask reminders run`` queueing 50,000 reminders (``BENCH_RECIPIENTS``), its
  peak (the kernel's ``ru_maxrss`` of the finished process). Target: under 120 MB.

``BENCH_MEMORY_PARTS`` (``web,mail,reminders``) runs only the parts named, e.g.
``BENCH_MEMORY_PARTS=web python -m bench memory``.
"""

from __future__ import annotations

import os
import random
import re
import tempfile
import threading
import time
import uuid
from pathlib import Path

from .common import bench_app_settings, fresh_database, machine_note, run_load, table, write_results
from .mail import REDIS_URL, _queue_confirmations, _sent_count, counting_smtp_server
from .registration import Events, csrf_token, form_fields
from .reminders import RECIPIENTS, _registrations, _timed_command

REQUESTS = int(os.environ.get("BENCH_MEMORY_REQUESTS", "1000"))
MAILS = int(os.environ.get("BENCH_MEMORY_MAILS", "10000"))
TARGETS = {"web": 80, "mail": 100, "reminders": 120}
PARTS = [part.strip() for part in os.environ.get("BENCH_MEMORY_PARTS", "web,mail,reminders").split(",")]


def _status_mb(pid: int, field: str) -> float:
    """``VmRSS`` or ``VmHWM`` of ``pid`` from /proc, in MB."""
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", text, re.M).group(1)) / 1024


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _mixed_requests(slug: str, tokens: list[str], run: str):
    """One iteration: a page a visitor of this kind would open (and, for the form, submit)."""

    async def iteration(client, index, record):
        roll = random.Random(index).random()
        if roll < 0.4:
            path = "/" if roll < 0.2 else f"/events/{slug}"
            answer = await client.request("GET", path)
        elif roll < 0.7:
            client.cookies.clear()
            page = await client.request("GET", f"/events/{slug}/register")
            answer = await client.request("POST", f"/events/{slug}/register",
                                          form_fields(f"mem-{run}-{index}@example.com", csrf_token(page.text)),
                                          "application/x-www-form-urlencoded")
        elif roll < 0.9:
            answer = await client.request("GET", f"/r/{tokens[index % len(tokens)]}")
        else:
            answer = await client.request("GET", "/imprint" if roll < 0.95 else "/privacy")
        if answer.status >= 400:
            raise RuntimeError(f"HTTP {answer.status}")

    return iteration


def web_worker(url: str, broker_url: str = "memory://") -> tuple[float, float, int]:
    """(RSS at the end, peak RSS, errors) of one sync gunicorn worker after the mixed requests,
    its hints going to ``broker_url``."""
    from eventsvc.extensions import db
    from eventsvc.models import Event
    from tests.fixtures.live_server import LiveServer
    from tests.factories import registration_data

    from eventsvc.services.registration import register

    events = Events(url)
    slug = events.create(None)
    with events.app.app_context():
        event_id = db.session.query(Event.id).filter_by(slug=slug).scalar()
        tokens = [register(event_id, registration_data()).registration.manage_token for _ in range(20)]
        db.session.remove()
    prefix = f"bench-{uuid.uuid4().hex[:8]}-"  # queues of this run's own: no worker takes its hints
    server = LiveServer(url, workers=1, env={"CELERY_BROKER_URL": broker_url, "CELERY_QUEUE_PREFIX": prefix}).start()
    try:
        result = run_load(server.url, _mixed_requests(slug, tokens, uuid.uuid4().hex[:6]), clients=8, total=REQUESTS)
        [worker] = _children(server.process.pid)
        return _status_mb(worker, "VmRSS"), _status_mb(worker, "VmHWM"), len(result.errors)
    finally:
        server.stop()
        if broker_url.startswith("redis://"):
            import redis

            client = redis.Redis.from_url(broker_url)
            keys = list(client.scan_iter(f"{prefix}*"))
            if keys:
                client.delete(*keys)


def bare_worker(url: str) -> tuple[float, float, int]:
    """The same for the registration bench's floor (:mod:`bench.bare_app`: Flask, WTForms,
    SQLAlchemy's engine and psycopg, no templates, translations, sessions or broker), its form
    page and its POST taking turns: what the stack alone holds."""
    from tests.fixtures.live_server import LiveServer

    from . import bare_app
    from .registration import register_bare

    class BareServer(LiveServer):
        def command(self) -> list[str]:
            # Not the project's gunicorn.conf.py: its logger class would import eventsvc.
            return [*super().command(), "--config", os.devnull]

    bare_app.create_table(url)
    server = BareServer(url, workers=1, app="bench.bare_app:create_app()").start()
    try:
        result = run_load(server.url, register_bare(uuid.uuid4().hex[:6]), clients=8, total=REQUESTS // 2)
        [worker] = _children(server.process.pid)
        return _status_mb(worker, "VmRSS"), _status_mb(worker, "VmHWM"), len(result.errors)
    finally:
        server.stop()


def mail_worker(url: str) -> tuple[float, float, int]:
    """Peak RSS of the mail worker's main and pool process while it sends ``MAILS`` mails."""
    from eventsvc import create_app
    from eventsvc.services.mailing.outbox import enqueue_send
    from tests.fixtures.worker import Broker, CeleryWorker, worker_env

    broker = Broker(REDIS_URL, queue_prefix=f"bench-{uuid.uuid4().hex[:8]}-")
    with counting_smtp_server() as (port, counter), tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        app = create_app({**bench_app_settings(url), "CELERY": broker.celery_settings(), "MAIL_PORT": port,
                          "BASE_URL": "http://events.bench", "MAIL_DEFAULT_SENDER": "OAV Events <events@events.bench>"})
        with app.app_context():
            ids = _queue_confirmations(MAILS)
            worker = CeleryWorker(worker_env(app, port, broker, Path(tmp)), broker.queues,
                                  Path(tmp) / "worker.log", 1).start()
            peaks = {"main": 0.0, "pool": 0.0}
            done = threading.Event()

            def sample() -> None:
                while not done.is_set():
                    try:
                        main = worker.process.pid
                        peaks["main"] = max(peaks["main"], _status_mb(main, "VmRSS"))
                        for child in _children(main):
                            peaks["pool"] = max(peaks["pool"], _status_mb(child, "VmRSS"))
                    except (OSError, AttributeError):
                        pass
                    time.sleep(0.2)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            try:
                enqueue_send(ids)
                start = time.perf_counter()
                while _sent_count() < MAILS:
                    if time.perf_counter() - start > 1800:
                        raise RuntimeError(f"worker did not finish:\n{worker.log_tail()}")
                    time.sleep(0.2)
            finally:
                done.set()
                sampler.join()
                worker.stop()
    return peaks["main"], peaks["pool"], counter.value


def reminders_run(url: str) -> tuple[float, float, str]:
    """(seconds, peak MB, output) of ``flask reminders run`` queueing ``RECIPIENTS`` reminders."""
    from eventsvc import create_app
    from tests.fixtures.worker import Broker, worker_env

    broker = Broker(REDIS_URL, queue_prefix=f"bench-{uuid.uuid4().hex[:8]}-")
    app = create_app(bench_app_settings(url))
    with app.app_context(), tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        _registrations(RECIPIENTS)
        env = {**worker_env(app, 1, broker, Path(tmp)), "CELERY_BROKER_URL": "memory://"}
        return _timed_command(["reminders", "run"], env)


def main() -> None:
    unknown = [part for part in PARTS if part not in TARGETS]
    if unknown:
        raise SystemExit(f"BENCH_MEMORY_PARTS: unknown part(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")

    def verdict(value: float, target: int) -> str:
        return f"{value / target:.2f} ({'met' if value < target else 'NOT met'})"

    rows = []
    if "web" in PARTS:
        for broker, name in (("memory://", "web worker (gunicorn sync)"), (REDIS_URL, "  the same, hints to Redis")):
            with fresh_database() as url:
                web_rss, web_peak, web_errors = web_worker(url, broker)
            rows.append([name, f"{REQUESTS:,} mixed requests, {web_errors} errors",
                         f"{web_rss:.0f}", f"{web_peak:.0f}", str(TARGETS["web"]), verdict(web_peak, TARGETS["web"])])
        with fresh_database() as url:
            bare_rss, bare_peak, bare_errors = bare_worker(url)
        rows.append(["  for context: the bare form", f"{REQUESTS:,} requests, {bare_errors} errors",
                     f"{bare_rss:.0f}", f"{bare_peak:.0f}", "", ""])
    if "mail" in PARTS:
        with fresh_database() as url:
            mail_main, mail_pool, mails_sent = mail_worker(url)
        rows += [
            ["mail worker, main process", f"{mails_sent:,} mails sent (--concurrency 1)", "",
             f"{mail_main:.0f}", str(TARGETS["mail"]), verdict(mail_main, TARGETS["mail"])],
            ["mail worker, pool process", "", "", f"{mail_pool:.0f}", str(TARGETS["mail"]),
             verdict(mail_pool, TARGETS["mail"])],
        ]
    if "reminders" in PARTS:
        with fresh_database() as url:
            reminder_seconds, reminder_peak, reminder_output = reminders_run(url)
        rows.append(["flask reminders run", f"{reminder_output} ({reminder_seconds:.2f} s)", "",
                     f"{reminder_peak:.0f}", str(TARGETS["reminders"]),
                     verdict(reminder_peak, TARGETS["reminders"])])

    text = "\n".join([
        machine_note(),
        "",
        table(["process", "work", "RSS MB", "peak MB", "target MB", "peak / target"], rows),
    ])
    print(text)
    write_results("memory", text)


if __name__ == "__main__":
    main()
