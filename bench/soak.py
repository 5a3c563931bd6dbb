"""Five minutes of mixed traffic with the SMTP server stopped for one minute in the middle.

At a steady rate (``SOAK_RATE`` requests a second, default 20: well under what
``bench registration`` found sustainable on two cores) virtual visitors, each behind its own
address (``X-Forwarded-For`` through ``PROXY_FIX_X_FOR=1``, rate limits on, in Redis), browse
the event list and pages, register through the form, open their own page and an organizer
downloads the CSV export; gunicorn, a celery worker and Redis as in production. The local SMTP
server (its own process, keeping every Message-ID it receives) is stopped from minute two to
minute three. At the end the outbox is left to drain (the sweeper runs as beat would) and the
bench prints four figures, all of which should be zero:

- error responses (5xx, or a 4xx a visitor did not cause),
- registrations lost (acknowledged by the form but not stored),
- mails missing (a stored registration's confirmation that never reached the SMTP server),
- mails duplicated (one Message-ID received more than once).

``SOAK_SECONDS`` (300) and ``SOAK_OUTAGE`` ("120-180") change the run.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from .common import HttpClient, LiveServer, bench_app_settings, fresh_database, machine_note, table, write_results

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SECONDS = int(os.environ.get("SOAK_SECONDS", "300"))
RATE = float(os.environ.get("SOAK_RATE", "20"))
OUTAGE = tuple(int(x) for x in os.environ.get("SOAK_OUTAGE", "120-180").split("-"))
VISITORS = 32
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def _serve_recording(port: int, received, ready) -> None:
    """The SMTP server process: accept everything, remember each Message-ID."""
    import threading
    from email.parser import BytesHeaderParser

    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            message_id = BytesHeaderParser().parsebytes(envelope.content).get("Message-ID", "")
            received.append(message_id.strip())
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    threading.Event().wait()


def _csrf(html: str) -> str:
    match = CSRF.search(html)
    if not match:
        raise ValueError("no csrf_token on the page")
    return match.group(1) or match.group(2)


class Soak:
    def __init__(self, base_url: str, slug: str, tokens: list[str], organizer: tuple[str, str]) -> None:
        self.base_url, self.slug, self.tokens, self.organizer = base_url, slug, tokens, organizer
        self.statuses: Counter = Counter()
        self.errors: list[str] = []
        self.acknowledged: list[str] = []

    def _note(self, what: str, status: int, expected: tuple[int, ...]) -> None:
        self.statuses[status] += 1
        if status not in expected:
            self.errors.append(f"{what}: HTTP {status}")

    async def _visitor(self, number: int, slots) -> None:
        client = HttpClient(self.base_url)
        logged_in = False
        try:
            for index, due in slots:
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                client.headers = {"X-Forwarded-For": f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}"}
                kind = index % 10
                try:
                    if kind in (0, 1):
                        self._note("GET /", (await client.request("GET", "/")).status, (200,))
                    elif kind in (2, 3, 4):
                        page = await client.request("GET", f"/events/{self.slug}")
                        self._note("GET event", page.status, (200,))
                    elif kind in (5, 6):
                        organizer_cookies, client.cookies = client.cookies, {}  # a new visitor's session
                        page = await client.request("GET", f"/events/{self.slug}/register")
                        self._note("GET register", page.status, (200,))
                        email = f"soak-{index}@example.com"
                        answer = await client.request("POST", f"/events/{self.slug}/register", urlencode({
                            "email": email, "family_name": "Wang", "given_name": "Li", "organization": "Siemens",
                            "language": "en", "privacy_consent": "y", "csrf_token": _csrf(page.text)}).encode(),
                            "application/x-www-form-urlencoded")
                        self._note("POST register", answer.status, (302,))
                        if answer.status == 302:
                            self.acknowledged.append(email)
                        client.cookies = organizer_cookies
                    elif kind in (7, 8):
                        token = self.tokens[index % len(self.tokens)]
                        self._note("GET /r/<token>", (await client.request("GET", f"/r/{token}")).status, (200,))
                    else:
                        if not logged_in:
                            client.cookies.clear()
                            page = await client.request("GET", "/organizer/login")
                            email, password = self.organizer
                            answer = await client.request("POST", "/organizer/login", urlencode({
                                "email": email, "password": password, "csrf_token": _csrf(page.text)}).encode(),
                                "application/x-www-form-urlencoded")
                            self._note("POST login", answer.status, (302,))
                            logged_in = answer.status == 302
                        export = await client.request("GET", f"/organizer/events/{self.slug}/attendees.csv")
                        self._note("GET export", export.status, (200,))
                except Exception as error:  # noqa: BLE001 - counted and shown, not fatal
                    self.errors.append(f"{type(error).__name__}: {error}")
                    await client.close()
        finally:
            await client.close()

    async def run(self, seconds: int, rate: float) -> None:
        start = time.monotonic()
        total = int(seconds * rate)
        schedule = [(index, start + index / rate) for index in range(total)]
        await asyncio.gather(*(self._visitor(n, schedule[n::VISITORS]) for n in range(VISITORS)))


def main() -> None:
    """Run the soak and print the four figures."""
    from sqlalchemy import select

    from eventsvc import create_app
    from eventsvc.extensions import db
    from eventsvc.models import MailKind, OutboundMail, Registration
    from eventsvc.services.mailing import sweep_outbox
    from eventsvc.services.organizers import create_organizer
    from tests.factories import make_event, make_registration
    from tests.fixtures.services import free_port
    from tests.fixtures.worker import Broker, CeleryWorker, worker_env

    context = multiprocessing.get_context("spawn")
    manager = context.Manager()
    received = manager.list()
    port = free_port()

    def start_smtp():
        ready = context.Event()
        process = context.Process(target=_serve_recording, args=(port, received, ready), daemon=True)
        process.start()
        ready.wait(30)
        return process

    broker = Broker(REDIS_URL, queue_prefix=f"soak-{uuid.uuid4().hex[:8]}-")
    limits = f"{REDIS_URL.rsplit('/', 1)[0]}/2"
    smtp = start_smtp()
    with fresh_database() as url, tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        app = create_app({**bench_app_settings(url), "CELERY": broker.celery_settings(), "MAIL_PORT": port,
                          "BASE_URL": "http://events.bench", "MAIL_DEFAULT_SENDER": "OAV Events <events@events.bench>"})
        with app.app_context():
            event = make_event(slug="soak")
            tokens = [make_registration(event, email=f"known-{n}@example.com").manage_token for n in range(50)]
            create_organizer("soak@oav.example", "a long soak password")
            db.session.commit()
            env = {"CELERY_BROKER_URL": broker.url, "CELERY_QUEUE_PREFIX": broker.queue_prefix,
                   "MAIL_PORT": str(port), "MAIL_DEFAULT_SENDER": app.config["MAIL_DEFAULT_SENDER"],
                   "RATELIMIT_ENABLED": "true", "RATELIMIT_STORAGE_URI": limits, "PROXY_FIX_X_FOR": "1"}
            worker = CeleryWorker(worker_env(app, port, broker, Path(tmp), {
                "MAIL_RETRY_BASE_SECONDS": "5", "MAIL_RETRY_MAX_SECONDS": "30", "MAIL_TIMEOUT": "5"}),
                broker.queues, Path(tmp) / "worker.log", 2)
            with LiveServer(url, workers=4, env=env, instance_path=Path(tmp) / "web") as server:
                worker.start()
                soak = Soak(server.url, "soak", tokens, ("soak@oav.example", "a long soak password"))

                async def drive():
                    async def outage():
                        nonlocal smtp
                        await asyncio.sleep(OUTAGE[0])
                        smtp.terminate()
                        smtp.join(10)
                        await asyncio.sleep(OUTAGE[1] - OUTAGE[0])
                        smtp = start_smtp()

                    async def beat():
                        while True:  # the sweeper, as beat runs it
                            await asyncio.sleep(20)
                            await asyncio.to_thread(_sweep, app, sweep_outbox)

                    beat_task = asyncio.create_task(beat())
                    await asyncio.gather(soak.run(SECONDS, RATE), outage())
                    deadline = time.monotonic() + 300
                    while time.monotonic() < deadline and await asyncio.to_thread(_pending, app):
                        await asyncio.sleep(5)
                    beat_task.cancel()

                started = time.monotonic()
                asyncio.run(drive())
                elapsed = time.monotonic() - started
                worker.stop()
            db.session.rollback()
            stored = set(db.session.scalars(select(Registration.email).where(Registration.email.like("soak-%"))))
            confirmations = set(db.session.scalars(select(OutboundMail.message_id).where(
                OutboundMail.kind == MailKind.CONFIRMATION)))
    smtp.terminate()
    arrived = Counter(received)
    lost = [email for email in soak.acknowledged if email not in stored]
    missing = [mid for mid in confirmations if not mid or arrived[mid] == 0]
    duplicated = [mid for mid, count in arrived.items() if count > 1]
    text = "\n".join([
        machine_note(),
        f"{SECONDS} s at {RATE:g} requests/s ({VISITORS} visitors, each request from its own address), "
        f"SMTP down from {OUTAGE[0]} s to {OUTAGE[1]} s; gunicorn 4 sync workers, celery worker "
        f"--concurrency 2, Redis broker and rate limits; {elapsed:.0f} s with the drain",
        f"responses: {dict(sorted(soak.statuses.items()))}; registrations acknowledged: {len(soak.acknowledged)}; "
        f"mails received: {sum(arrived.values())}",
        "",
        table(["figure", "count"], [
            ["error responses", str(len(soak.errors))],
            ["registrations lost", str(len(lost))],
            ["mails missing", str(len(missing))],
            ["mails duplicated", str(len(duplicated))],
        ]),
        *(["", "first errors: " + "; ".join(soak.errors[:5])] if soak.errors else []),
    ])
    print(text)
    write_results("soak", text)


def _sweep(app, sweep_outbox) -> None:
    with app.app_context():
        sweep_outbox()


def _pending(app) -> int:
    from sqlalchemy import func, select

    from eventsvc.extensions import db
    from eventsvc.models import MailStatus, OutboundMail

    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(OutboundMail).where(
            OutboundMail.status.in_([MailStatus.QUEUED, MailStatus.SENDING])))
        db.session.rollback()
        return count


if __name__ == "__main__":
    main()
