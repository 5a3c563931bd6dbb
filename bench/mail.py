"""Mails per second from the real worker to a local SMTP server, against a plain smtplib loop.

In one run, against one local aiosmtpd server (its own process; it only counts):

- **worker**: 2,000 confirmations queued in the outbox on a fresh PostgreSQL database; a real
  ``celery`` worker (Redis broker, ``--concurrency 2``, ``MAIL_BATCH_SIZE`` 50) is started, the
  hints are sent (one per batch, as the outbox does), and the clock runs until the database says
  every mail is sent. This includes claiming, rendering both languages, the calendar file and QR
  code, SMTP, and one commit per mail.
- **smtplib**: the same 2,000 messages, rendered beforehand, sent by a plain loop over one SMTP
  connection.
- for context, the time to render those messages in one process plus the smtplib loop: what a
  worker without any queue, claim or commit could do at best in one process.

It prints both rates and their ratio (target: at least 0.5). ``python -m bench mail``;
``BENCH_MAILS`` changes the count, ``BENCH_MAIL_CONCURRENCY`` the worker's processes.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import smtplib
import threading
import time
import uuid
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
import tempfile

from sqlalchemy import func, select

from .common import bench_app_settings, fresh_database, machine_note, table, write_results

MAILS = int(os.environ.get("BENCH_MAILS", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_MAIL_CONCURRENCY", "2"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def _serve_counting(port: int, counter, ready) -> None:
    """The SMTP server process: accept everything, count it, keep nothing."""
    import threading

    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_DATA(self, server, session, envelope):
            with counter.get_lock():
                counter.value += 1
            return "250 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port, server_hostname="bench.local",
                            data_size_limit=10_000_000)
    controller.start()
    ready.set()
    threading.Event().wait()


def _queue_confirmations(count: int) -> list[int]:
    """An event and ``count`` confirmed registrations, each with its confirmation in the outbox."""
    from eventsvc.extensions import db
    from eventsvc.models import Event, OutboundMail, Registration
    from eventsvc.models.types import utcnow

    now = utcnow().replace(microsecond=0)
    event = Event(
        slug="bench-mail", title={"en": "Smart City China: Hamburg", "zh": "智慧城市中国：汉堡"},
        venue={"en": "Handelskammer Hamburg\nAdolphsplatz 1", "zh": "汉堡商会"}, city="Hamburg",
        country="DE", timezone="Europe/Berlin", starts_at=now + timedelta(days=30),
        ends_at=now + timedelta(days=30, hours=3), languages=["en", "zh"], status="published",
    )
    db.session.add(event)
    for n in range(count):
        chinese = n % 2 == 0
        registration = Registration(
            event=event, email=f"bench{n}@example.com",
            family_name="王" if chinese else "Schmidt", given_name="丽" if chinese else "Anna",
            organization="OAV", language="zh" if chinese else "en", status="confirmed",
            privacy_consent_at=now, privacy_consent_version="bench",
        )
        db.session.add(registration)
        db.session.add(OutboundMail(registration=registration, kind="confirmation", dedupe_key="confirmation"))
    db.session.commit()
    return list(db.session.scalars(select(OutboundMail.id).order_by(OutboundMail.id)))


def _sent_count() -> int:
    from eventsvc.extensions import db
    from eventsvc.models import OutboundMail

    value = db.session.scalar(select(func.count()).where(OutboundMail.status == "sent"))
    db.session.rollback()
    return value


def rendered_messages(kind: str | None = None, limit: int | None = None) -> list[tuple[str, str, bytes]]:
    """Outbox mails (of ``kind``; the first ``limit``) rendered as the worker renders them:
    (from, to, the bytes smtplib sends)."""
    from eventsvc.extensions import db
    from eventsvc.models import OutboundMail
    from eventsvc.services.mailing.message import build_message, new_message_id
    from eventsvc.services.mailing.render import published_reports, render_mail

    reports = published_reports()
    query = select(OutboundMail).order_by(OutboundMail.id).limit(limit)
    if kind:
        query = query.where(OutboundMail.kind == kind)
    messages = []
    for mail in db.session.scalars(query):
        message = build_message(render_mail(mail, reports), mail.message_id or new_message_id(mail.id))
        raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))  # as smtplib sends it
        messages.append((parseaddr(str(message["From"]))[1], mail.registration.email, raw))
    db.session.rollback()
    return messages


def smtplib_seconds(messages: list[tuple[str, str, bytes]], port: int) -> float:
    """The plain loop: the messages over one connection, as fast as the server takes them."""
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, local_hostname="bench.local", timeout=30) as smtp:
        for sender, recipient, raw in messages:
            smtp.sendmail(sender, [recipient], raw)
    return time.perf_counter() - start


@contextlib.contextmanager
def counting_smtp_server():
    """A local SMTP server in its own process that only counts: yields (port, counter)."""
    from tests.fixtures.services import free_port

    context = multiprocessing.get_context("spawn")
    counter, ready = context.Value("i", 0), context.Event()
    port = free_port()
    server = context.Process(target=_serve_counting, args=(port, counter, ready), daemon=True)
    server.start()
    ready.wait(30)
    try:
        yield port, counter
    finally:
        server.terminate()


def _plain_command(worker) -> list[str]:
    """``celery -A worker worker`` as the Procfile runs it, on this run's queues, without the
    test fixture's extra flags (Mingle and Gossip are off by the app's own settings)."""
    from tests.fixtures.worker import CELERY

    return [str(CELERY), "-A", "worker", "worker",
            "--queues", worker.queues, "--concurrency", str(worker.concurrency), "-n", worker.name,
            "--loglevel", "INFO"]


def _first_mail(counter, start: float, first: list[float]) -> None:
    """Note when the SMTP server got its first mail (polled every 10 ms)."""
    while counter.value == 0:
        time.sleep(0.01)
    first.append(time.perf_counter() - start)


def main() -> None:
    """Run both cases and print the figures."""
    from eventsvc import create_app
    from eventsvc.services.mailing.outbox import enqueue_send
    from tests.fixtures.worker import Broker, CeleryWorker, worker_env

    broker = Broker(REDIS_URL, queue_prefix=f"bench-{uuid.uuid4().hex[:8]}-")
    with counting_smtp_server() as (port, counter):
        with fresh_database() as url, tempfile.TemporaryDirectory(prefix="bench-mail-") as tmp:
            # The hints go to this run's own queues on Redis from the first commit on.
            app = create_app({**bench_app_settings(url), "CELERY": broker.celery_settings(), "MAIL_PORT": port,
                              "BASE_URL": "http://events.bench", "MAIL_DEFAULT_SENDER": "OAV Events <events@events.bench>"})
            with app.app_context():
                ids = _queue_confirmations(MAILS)  # its hint is ignored: no worker runs yet
                enqueue_send(ids)  # one hint per batch, as after a commit; they wait on the broker
                worker = CeleryWorker(
                    worker_env(app, port, broker, Path(tmp), {"MAIL_RETRY_BASE_SECONDS": "5"}),
                    broker.queues, Path(tmp) / "worker.log", CONCURRENCY,
                )
                worker.command = lambda: _plain_command(worker)  # as an operator starts it
                first: list[float] = []
                start = time.perf_counter()
                watcher = threading.Thread(target=_first_mail, args=(counter, start, first), daemon=True)
                watcher.start()
                worker.start()
                try:
                    while _sent_count() < MAILS:
                        if time.perf_counter() - start > 600:
                            raise RuntimeError(f"worker did not finish:\n{worker.log_tail()}")
                        time.sleep(0.05)
                    worker_seconds = time.perf_counter() - start
                finally:
                    worker.stop()
                first_mail_seconds = first[0] if first else float("nan")
                received_by_worker = counter.value

                # For context: rendering in the loop as well (one process, no queue, no commits).
                start = time.perf_counter()
                messages = rendered_messages()
                render_seconds = time.perf_counter() - start
                loop_seconds = smtplib_seconds(messages, port)
                received_by_loop = counter.value - received_by_worker

    worker_rate, loop_rate = MAILS / worker_seconds, MAILS / loop_seconds
    running_rate = (MAILS - 1) / (worker_seconds - first_mail_seconds)
    render_loop_rate = MAILS / (render_seconds + loop_seconds)
    size = sum(len(raw) for _, _, raw in messages) / len(messages)
    text = "\n".join([
        machine_note(),
        f"{MAILS} confirmations (en/zh, calendar file, QR code; {size / 1024:.1f} KiB each); "
        f"worker: --concurrency {CONCURRENCY}, batches of {app.config['MAIL_BATCH_SIZE']}, Redis broker",
        "",
        table(["case", "mails", "seconds", "mails/s"], [
            ["worker, from its start (claim, render, send, commit)", str(received_by_worker),
             f"{worker_seconds:.2f}", f"{worker_rate:.0f}"],
            ["  once the first mail is out", "", f"{worker_seconds - first_mail_seconds:.2f}", f"{running_rate:.0f}"],
            ["plain smtplib loop (pre-rendered)", str(received_by_loop), f"{loop_seconds:.2f}", f"{loop_rate:.0f}"],
            ["  for context: render + smtplib, 1 process", "", f"{render_seconds + loop_seconds:.2f}",
             f"{render_loop_rate:.0f}"],
        ]),
        "",
        f"first mail {first_mail_seconds:.2f} s after the worker process started (target <= 2)",
        f"ratio worker / smtplib: {worker_rate / loop_rate:.2f} from the start, "
        f"{running_rate / loop_rate:.2f} once running (target >= 0.5, moonshot 0.8)",
    ])
    print(text)
    write_results("mail", text)


if __name__ == "__main__":
    main()
