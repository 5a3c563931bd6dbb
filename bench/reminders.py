"""Bulk mail at scale: 50,000 reminders and a report edition for 50,000 people.

In one run, on a fresh PostgreSQL database with one event and ``BENCH_RECIPIENTS`` (50,000)
confirmed registrations whose one-day reminder is due:

- **queue reminders**: ``flask --app eventsvc reminders run`` exactly as beat's job runs it, in
  its own process: wall seconds and the process's peak memory (its maximum resident set);
- **queue report**: ``flask --app eventsvc reports publish --language zh --url …``, the same
  two figures, for an edition that every registrant wants;
- **send**: a real ``celery -A worker worker`` (Redis, ``--concurrency 2``) sends the first
  ``BENCH_SEND`` (5,000) of those reminders to a local SMTP server that only counts: mails per
  second from the first hint to the last acceptance, against a plain ``smtplib`` loop sending
  1,000 of the same messages, rendered beforehand, over one connection.

Targets: queueing under 3 s and under 100 MB; sending at least 0.5 of smtplib's rate.
``python -m bench reminders``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from .common import bench_app_settings, fresh_database, machine_note, table, write_results
from .mail import REDIS_URL, counting_smtp_server, rendered_messages, smtplib_seconds

RECIPIENTS = int(os.environ.get("BENCH_RECIPIENTS", "50000"))
SEND = int(os.environ.get("BENCH_SEND", "5000"))
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _registrations(count: int) -> None:
    """An event starting in 20 hours and ``count`` confirmed registrations made 10 days ago."""
    from eventsvc.extensions import db
    from eventsvc.models import Event, Registration
    from eventsvc.models.types import utcnow

    now = utcnow().replace(microsecond=0)
    event = Event(slug="bench-reminders", title={"en": "Smart City China: Berlin", "zh": "智慧城市中国：柏林"},
                  venue={"en": "Haus der Wirtschaft\nBerlin", "zh": "柏林经济之家"}, city="Berlin", country="DE",
                  timezone="Europe/Berlin", starts_at=now + timedelta(hours=20), ends_at=now + timedelta(hours=23),
                  languages=["en", "zh"], status="published", reminder_offsets=["P1D"])
    db.session.add(event)
    db.session.flush()
    created = now - timedelta(days=10)
    for start in range(0, count, 10_000):
        db.session.execute(insert(Registration), [
            {"event_id": event.id, "email": f"bench{n}@example.com", "family_name": "王" if n % 2 else "Schmidt",
             "given_name": "丽" if n % 2 else "Anna", "organization": "OAV", "job_title": "",
             "language": "zh" if n % 2 else "en", "status": "confirmed", "privacy_consent_at": created,
             "privacy_consent_version": "bench", "created_at": created,
             "public_id": uuid.uuid4().hex, "manage_token": uuid.uuid4().hex + uuid.uuid4().hex,
             "checkin_code": uuid.uuid4().hex + uuid.uuid4().hex, "wants_report": True}
            for n in range(start, min(start + 10_000, count))
        ])
    db.session.commit()


#: A launcher between the bench and the command: it runs the command in its arguments after the
#: first and writes the command's peak resident memory (KB) to the file descriptor named first.
#: Linux charges a process that this one starts directly with *this* process's peak too (at exec
#: the kernel keeps the high-water mark of the memory being replaced, which was ours):
#: the bench, having just written 50,000 registrations, measured itself (246 MB on 7 December).
#: The launcher's own peak is a few MB, below any command's.
_PEAK_OF = """
import os, subprocess, sys
process = subprocess.Popen(sys.argv[2:])
_pid, status, usage = os.wait4(process.pid, 0)
os.write(int(sys.argv[1]), str(usage.ru_maxrss).encode())
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _timed_command(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a ``flask`` command in its own process: (wall seconds, its peak MB, its output)."""
    flask = Path(sys.executable).with_name("flask")
    peak_read, peak_write = os.pipe()
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", _PEAK_OF, str(peak_write), str(flask), "--app", "eventsvc",
                                *args], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, pass_fds=(peak_write,))
    os.close(peak_write)
    output, _ = process.communicate()
    seconds = time.perf_counter() - start
    with os.fdopen(peak_read, "rb") as peak:
        peak_kb = int(peak.read() or 0)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{output.strip()}")
    return seconds, peak_kb / 1024, output.strip()


def _count(status: str, kind: str) -> int:
    from eventsvc.extensions import db
    from eventsvc.models import OutboundMail

    value = db.session.scalar(select(func.count()).where(OutboundMail.status == status, OutboundMail.kind == kind))
    db.session.rollback()
    return value


def main() -> None:
    from eventsvc import create_app
    from eventsvc.services.mailing.outbox import enqueue_send
    from tests.fixtures.worker import Broker, CeleryWorker, worker_env

    broker = Broker(REDIS_URL, queue_prefix=f"bench-{uuid.uuid4().hex[:8]}-")
    rows = []
    with counting_smtp_server() as (port, counter):
        with fresh_database() as url, tempfile.TemporaryDirectory(prefix="bench-reminders-") as tmp:
            app = create_app({**bench_app_settings(url), "CELERY": broker.celery_settings(), "MAIL_PORT": port,
                              "BASE_URL": "http://events.bench", "MAIL_DEFAULT_SENDER": "OAV Events <events@events.bench>"})
            env = {**worker_env(app, port, broker, Path(tmp)), "CELERY_BROKER_URL": "memory://"}
            with app.app_context():
                _registrations(RECIPIENTS)
                seconds, peak, output = _timed_command(["reminders", "run"], env)
                queued = _count("queued", "reminder")
                rows.append(["queue reminders (flask reminders run)", f"{queued:,}", f"{seconds:.2f}", f"{peak:.0f}", output])
                seconds, peak, output = _timed_command(
                    ["reports", "publish", "--language", "zh", "--url", "https://oav.example/zh.pdf"], env)
                queued_reports = _count("queued", "report")
                rows.append(["queue report edition (flask reports publish)", f"{queued_reports:,}", f"{seconds:.2f}",
                             f"{peak:.0f}", output])

                # Send the reminders only: report mail waits until they are out (later due time).
                from eventsvc.extensions import db
                from eventsvc.models import OutboundMail

                from eventsvc.models.types import utcnow

                db.session.execute(OutboundMail.__table__.update().where(OutboundMail.kind == "report")
                                   .values(next_attempt_at=utcnow() + timedelta(days=1)))
                db.session.commit()
                ids = list(db.session.scalars(select(OutboundMail.id).where(OutboundMail.kind == "reminder")
                                              .order_by(OutboundMail.id)))
                db.session.rollback()
                worker = CeleryWorker(worker_env(app, port, broker, Path(tmp)), broker.queues,
                                      Path(tmp) / "worker.log", 2)
                worker.start()
                try:
                    start = time.perf_counter()
                    enqueue_send(ids)
                    while counter.value < SEND:
                        if time.perf_counter() - start > 900:
                            raise RuntimeError(f"worker too slow:\n{worker.log_tail()}")
                        time.sleep(0.05)
                    send_seconds = time.perf_counter() - start
                finally:
                    worker.stop()
                sent_by_worker = counter.value
                messages = rendered_messages("reminder", 1000)
                loop_seconds = smtplib_seconds(messages, port)

    worker_rate, loop_rate = SEND / send_seconds, len(messages) / loop_seconds
    size = sum(len(raw) for _, _, raw in messages) / len(messages)
    text = "\n".join([
        machine_note(),
        f"{RECIPIENTS:,} confirmed registrations of one event, one-day reminder due; PostgreSQL",
        "",
        table(["step", "mails", "seconds", "peak MB", "the command said"], rows),
        "",
        f"sending reminders ({size / 1024:.1f} KiB each; worker --concurrency 2, Redis):",
        table(["case", "mails", "seconds", "mails/s"], [
            ["worker (claim, render, send, commit)", f"{SEND:,}", f"{send_seconds:.2f}", f"{worker_rate:.0f}"],
            ["plain smtplib loop (pre-rendered)", f"{len(messages):,}", f"{loop_seconds:.2f}", f"{loop_rate:.0f}"],
        ]),
        f"worker went on to {sent_by_worker:,} by the time it stopped; "
        f"ratio worker / smtplib: {worker_rate / loop_rate:.2f} (target >= 0.5)",
        "targets: queueing under 3 s and 100 MB",
    ])
    print(text)
    write_results("reminders", text)


if __name__ == "__main__":
    main()
