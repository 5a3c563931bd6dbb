"""Several hosts, proven on one machine: the production layout under mixed traffic, with a worker
killed and the broker connection cut in the middle.

Started exactly as docs/operations.md starts them: two web instances (``gunicorn -c
deploy/gunicorn.conf.py``, two workers each) behind Debian's nginx with the shipped site (HTTPS,
a test CA), RabbitMQ as the broker, two Celery workers (one on every queue, one ``-Q mail``),
one beat, PostgreSQL, rate limits in Redis. A second beat is started "by mistake" a quarter into
the run, and every 20 s both "beats" enqueue the reminder job at the same moment.

The traffic is ``bench soak``'s visitors (event list, event page, registration through the form,
the registrant's page, an organizer's CSV export) at ``CLUSTER_RATE`` requests a second (10).
Each visitor has an address of its own, as an outer load balancer would pass it on
(``PROXY_FIX_X_FOR=2``: nginx adds the second hop).

At a third of the run the all-queues worker is killed with SIGKILL (and started again ten
seconds later, as systemd's ``Restart=`` would); at two thirds every connection to the broker is
cut and refused for 15 s (a TCP relay between the processes and RabbitMQ drops them: the shared
RabbitMQ itself is not touched). Then the outbox drains (the real beat's sweeper) and the bench
prints, all of which should be zero: error responses, registrations lost, mails missing, mails
duplicated, and reminders sent twice.

``CLUSTER_SECONDS`` (300) shortens the run (``CLUSTER_SECONDS=60 python -m bench cluster`` for a
quick one); ``BENCH_AMQP_URL`` is the RabbitMQ (``amqp://guest:guest@127.0.0.1:5672//``).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from .common import HttpClient, bench_app_settings, fresh_database, machine_note, table, write_results
from .soak import Soak, _pending, _serve_recording

AMQP_URL = os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SECONDS = int(os.environ.get("CLUSTER_SECONDS", "300"))
RATE = float(os.environ.get("CLUSTER_RATE", "10"))
#: Registrants of the event whose reminder is due during the run.
REMINDED = 40


class BrokerLink:
    """A TCP relay to the broker that can drop every connection and refuse new ones for a while."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.down_until = 0.0
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if time.monotonic() < self.down_until:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            with self.lock:
                self.sockets.discard(end)
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def cut(self, seconds: float) -> int:
        """Drop every open connection and refuse new ones for ``seconds``; returns how many dropped."""
        self.down_until = time.monotonic() + seconds
        with self.lock:
            dropped = list(self.sockets)
            self.sockets.clear()
        for end in dropped:
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()
        return len(dropped) // 2

    def close(self) -> None:
        self.listener.close()


class Beat:
    """``celery -A worker --quiet beat`` as the beat unit runs it."""

    def __init__(self, env: dict[str, str], directory: Path, name: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.log_path = directory / f"{name}.log"
        self.process = subprocess.Popen(
            [str(Path(os.sys.executable).with_name("celery")), "-A", "worker", "--quiet", "beat", "--loglevel", "INFO",
             "--schedule", str(directory / f"{name}-schedule")],
            env=env, cwd=Path(__file__).resolve().parents[1], stdout=open(self.log_path, "wb"),
            stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def _prepare(app) -> tuple[list[str], int]:
    """The traffic's event and known registrants, an organizer, and an event whose reminder is due."""
    from eventsvc.extensions import db
    from eventsvc.models import MailStatus, OutboundMail
    from eventsvc.models.types import utcnow
    from eventsvc.services.organizers import create_organizer
    from tests.factories import make_event, make_registration

    event = make_event(slug="soak")
    tokens = [make_registration(event, email=f"known-{n}@example.com").manage_token for n in range(50)]
    create_organizer("soak@oav.example", "a long soak password")
    soon = make_event(slug="tomorrow", starts_at=utcnow().replace(microsecond=0) + timedelta(hours=36),
                      reminder_offsets=["P2D"])
    for n in range(REMINDED):
        person = make_registration(soon, email=f"reminded-{n}@example.com")
        person.created_at = utcnow() - timedelta(days=3)
    # The set-up's own confirmations count as sent: the bench looks at what the run sends.
    db.session.execute(db.update(OutboundMail).values(status=MailStatus.SENT, sent_at=utcnow()))
    db.session.commit()
    return tokens, soon.id


def main() -> None:
    """Run the cluster and print the figures."""
    import trustme
    from sqlalchemy import func, select

    from eventsvc import create_app
    from eventsvc.extensions import db
    from eventsvc.models import MailKind, MailStatus, OutboundMail, Registration
    from eventsvc.models.types import utcnow
    from tests.deploy.conftest import Gunicorn, Nginx, site_config
    from tests.fixtures.services import free_port
    from tests.fixtures.worker import Broker, CeleryWorker, worker_env

    context = multiprocessing.get_context("spawn")
    manager = context.Manager()
    received = manager.list()
    smtp_port = free_port()
    ready = context.Event()
    smtp = context.Process(target=_serve_recording, args=(smtp_port, received, ready), daemon=True)
    smtp.start()
    ready.wait(30)

    amqp = urlsplit(AMQP_URL)
    link = BrokerLink(amqp.hostname, amqp.port or 5672)
    linked_url = AMQP_URL.replace(amqp.netloc, f"{amqp.username}:{amqp.password}@127.0.0.1:{link.port}")
    broker = Broker(linked_url, queue_prefix=f"cluster-{uuid.uuid4().hex[:8]}-")
    direct = Broker(AMQP_URL, queue_prefix=broker.queue_prefix)
    limits = f"{REDIS_URL.rsplit('/', 1)[0]}/3"
    events: list[str] = []
    processes: list = []

    with fresh_database() as url, tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp_name:
        tmp = Path(tmp_name)
        app = create_app({**bench_app_settings(url), "CELERY": direct.celery_settings(), "MAIL_PORT": smtp_port,
                          "BASE_URL": "https://localhost", "MAIL_DEFAULT_SENDER": "OAV Events <events@events.bench>"})
        with app.app_context():
            tokens, soon_id = _prepare(app)
            run_from = utcnow()
        https_port, http_port, web_a, web_b = (free_port() for _ in range(4))
        base_url = f"https://localhost:{https_port}"
        ca = trustme.CA()
        certificate = ca.issue_cert("localhost")
        certificate.private_key_pem.write_to_path(str(tmp / "key.pem"))
        certificate.cert_chain_pems[0].write_to_path(str(tmp / "cert.pem"))
        trust = ssl.create_default_context()
        ca.configure_trust(trust)
        HttpClient.tls_context = trust

        common = {"CELERY_BROKER_URL": broker.url, "CELERY_QUEUE_PREFIX": broker.queue_prefix,
                  "MAIL_DEFAULT_SENDER": app.config["MAIL_DEFAULT_SENDER"], "BASE_URL": base_url,
                  "RATELIMIT_ENABLED": "true", "RATELIMIT_STORAGE_URI": limits, "PROXY_FIX_X_FOR": "2",
                  "PROXY_FIX_X_PROTO": "1", "MAIL_LEASE_SECONDS": "30", "MAIL_RETRY_BASE_SECONDS": "5",
                  "MAIL_RETRY_MAX_SECONDS": "30", "LOG_FORMAT": "json"}
        env = worker_env(app, smtp_port, broker, tmp / "instance", common)
        env["SECRET_KEY"] = "cluster secret " * 4
        webs = [Gunicorn({**env, "WEB_CONCURRENCY": "2"}, port, tmp / name) for port, name in ((web_a, "web-a"),
                                                                                             (web_b, "web-b"))]
        nginx = Nginx(tmp / "nginx", site_config(https_port, http_port, [web_a, web_b], tmp / "cert.pem",
                                                 tmp / "key.pem"))
        every = CeleryWorker(env, None, tmp / "worker-all.log", 2)
        mail_only = CeleryWorker(env, f"{broker.queue_prefix}mail", tmp / "worker-mail.log", 2)
        try:
            for web in webs:
                web.start()
                processes.append(web)
            nginx.start(https_port)
            processes.append(nginx)
            every.start()
            mail_only.start()
            processes += [every, mail_only]
            beats = [Beat(env, tmp, "beat-1")]
            processes.append(beats[0])
            soak = Soak(base_url, "soak", tokens, ("soak@oav.example", "a long soak password"))
            celery = app.extensions["celery"]

            async def drive():
                async def incidents():
                    await asyncio.sleep(SECONDS / 4)
                    beats.append(Beat(env, tmp, "beat-2"))  # started by mistake
                    processes.append(beats[-1])
                    events.append(f"{time.monotonic() - started:.0f} s: a second beat started")
                    await asyncio.sleep(SECONDS / 3 - SECONDS / 4)
                    every.kill()
                    events.append(f"{time.monotonic() - started:.0f} s: SIGKILL to the all-queues worker")
                    await asyncio.sleep(10)
                    await asyncio.to_thread(every.start)
                    events.append(f"{time.monotonic() - started:.0f} s: that worker started again")
                    await asyncio.sleep(SECONDS / 3 - 10)
                    dropped = link.cut(15)
                    events.append(f"{time.monotonic() - started:.0f} s: broker connections cut "
                                  f"({dropped} dropped), refused for 15 s")

                async def two_beats_remind():
                    while True:  # both beats' reminder turn at the same moment
                        await asyncio.sleep(20)
                        for _ in range(2):
                            await asyncio.to_thread(celery.send_task, "eventsvc.send_reminders")

                reminder_task = asyncio.create_task(two_beats_remind())
                await asyncio.gather(soak.run(SECONDS, RATE), incidents())
                reminder_task.cancel()
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline and await asyncio.to_thread(_pending, app):
                    await asyncio.sleep(5)

            started = time.monotonic()
            asyncio.run(drive())
            elapsed = time.monotonic() - started
            time.sleep(3)  # the last mails' SMTP sessions end
        finally:
            for process in reversed(processes):
                (process.kill if isinstance(process, CeleryWorker) else process.stop)()
            link.close()
        with app.app_context():
            db.session.rollback()
            stored = set(db.session.scalars(select(Registration.email).where(Registration.email.like("soak-%"))))
            sent_here = list(db.session.execute(select(OutboundMail.message_id, OutboundMail.status, OutboundMail.kind)
                                                .where(OutboundMail.created_at >= run_from)))
            reminders = dict(db.session.execute(
                select(OutboundMail.registration_id, func.count()).join(Registration)
                .where(Registration.event_id == soon_id, OutboundMail.kind == MailKind.REMINDER)
                .group_by(OutboundMail.registration_id)).all())
            not_sent = sum(1 for _, status, _ in sent_here if status != MailStatus.SENT)
            skipped_runs = sum(log.read_text(errors="replace").count("holds the lock")
                               for log in tmp.glob("worker-*.log"))
            _delete_queues(direct)
    smtp.terminate()
    arrived = Counter(received)
    lost = [email for email in soak.acknowledged if email not in stored]
    missing = [mid for mid, status, _ in sent_here if status != MailStatus.FAILED and (not mid or arrived[mid] == 0)]
    duplicated = [mid for mid, count in arrived.items() if count > 1]
    reminder_ids = {mid for mid, _, kind in sent_here if kind == MailKind.REMINDER}
    # Twice: two reminder rows for one registrant, or one reminder received twice.
    twice = sum(1 for count in reminders.values() if count > 1) + sum(1 for mid in reminder_ids if arrived[mid] > 1)
    text = "\n".join([
        machine_note(),
        f"{SECONDS} s at {RATE:g} requests/s ({len(soak.acknowledged)} registrations acknowledged); nginx "
        f"(HTTPS, shipped site) -> 2 gunicorn x 2 workers; RabbitMQ; worker (all queues) + worker -Q mail, "
        f"--concurrency 2 each; beat, and a second beat; PostgreSQL; Redis rate limits. {elapsed:.0f} s with the drain.",
        *events,
        f"responses: {dict(sorted(soak.statuses.items()))}; mails received: {sum(arrived.values())}; "
        f"reminders: {len(reminders)} of {REMINDED} registrants, each queued at most {max(reminders.values(), default=0)}x; "
        f"reminder runs skipped for the lock: {skipped_runs}; mails not in status sent: {not_sent}",
        "",
        table(["figure", "count"], [
            ["error responses", str(len(soak.errors))],
            ["registrations lost", str(len(lost))],
            ["mails missing", str(len(missing))],
            ["mails duplicated", str(len(duplicated))],
            ["reminders sent twice", str(twice)],
        ]),
        *(["", "first errors: " + "; ".join(soak.errors[:5])] if soak.errors else []),
    ])
    print(text)
    write_results("cluster", text)


def _delete_queues(broker) -> None:
    """The run's queues on the shared RabbitMQ go away with it."""
    from kombu import Connection

    try:
        with Connection(broker.url, connect_timeout=5) as connection:
            channel = connection.channel()
            for queue in broker.queues.split(","):
                channel.queue_delete(queue)
    except Exception:  # noqa: BLE001 - tidying up only
        pass


if __name__ == "__main__":
    main()
