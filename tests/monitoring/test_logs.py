"""Logs as an administrator reads them: with LOG_FORMAT=json every line of the worker and beat is
one JSON object, and the worker's line for a mail carries the id of the request that queued it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from eventsvc import create_app
from eventsvc.extensions import db
from tests.factories import make_event
from tests.fixtures.database import BASE_OVERRIDES
from tests.fixtures.worker import CELERY, PROJECT_ROOT, Broker, CeleryWorker, use_broker, worker_env

pytestmark = pytest.mark.worker

BODY = {"email": "li.wei@example.cn", "family_name": "Li", "given_name": "Wei", "organization": "Siemens",
        "job_title": "Engineer", "language": "zh", "privacy_consent": True}


class QuietWorker(CeleryWorker):
    """The worker as the systemd unit starts it: --quiet (Celery's banner is printed, not logged)."""

    def command(self) -> list[str]:
        command = super().command()
        return [*command[:3], "--quiet", *command[3:]]


def _json_lines(path: Path) -> list[dict]:
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    assert lines
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}")
    return records


def _wait_for(path: Path, text: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return
        time.sleep(0.2)
    pytest.fail(f"{text!r} not in {path}:\n{path.read_text(errors='replace')[-3000:]}")


def test_the_worker_line_for_a_mail_carries_the_request_id(pg_app, smtp_server, redis_url, tmp_path):
    # Queues of this test alone: a hint left by an earlier test would carry its own request's id.
    broker = Broker(redis_url, queue_prefix=f"logs-{uuid.uuid4().hex[:8]}-")
    use_broker(pg_app, broker)
    env = worker_env(pg_app, smtp_server.port, broker, tmp_path, {"LOG_FORMAT": "json"})
    worker = QuietWorker(env, broker.queues, tmp_path / "worker.log").start()
    try:
        event = make_event()
        response = pg_app.test_client().post(f"/api/v1/events/{event.slug}/registrations", json=BODY,
                                             headers={"X-Request-ID": "reg-5e1f0c"})
        assert response.status_code == 201
        assert response.headers["X-Request-ID"] == "reg-5e1f0c"
        db.session.rollback()
        smtp_server.extract_emails(count=1, to="li.wei@example.cn", timeout=30)
        _wait_for(worker.log_path, " sent through ")
    finally:
        worker.kill()
    records = _json_lines(worker.log_path)
    assert all({"time", "level", "logger", "message", "request_id"} <= set(record) for record in records)
    assert any(record["logger"].startswith("celery") and "ready" in record["message"] for record in records)
    [sent] = [record for record in records if " sent through " in record["message"]]
    assert sent["request_id"] == "reg-5e1f0c"
    assert "li.wei@example.cn" not in worker.log_path.read_text()


def test_beat_writes_json_lines(tmp_path):
    env = {**os.environ, "LOG_FORMAT": "json", "SECRET_KEY": "beat test secret", "EVENTSVC_DOTENV": os.devnull,
           "EVENTSVC_INSTANCE_PATH": str(tmp_path), "CELERY_BROKER_URL": "memory://", "PYTHONUNBUFFERED": "1",
           "PYTHONWARNINGS": "always"}
    log = tmp_path / "beat.log"
    with open(log, "wb") as out:
        beat = subprocess.Popen([str(CELERY), "-A", "worker", "--quiet", "beat", "--loglevel", "INFO",
                                 "--schedule", str(tmp_path / "schedule")], env=env, cwd=PROJECT_ROOT,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for(log, "beat: Starting")
    finally:
        os.killpg(beat.pid, signal.SIGTERM)
        beat.wait(timeout=20)
    records = _json_lines(log)
    assert any("beat" in record["message"].lower() for record in records)


def test_python_warnings_become_json_lines(tmp_path):
    script = ("import warnings; from eventsvc import create_app; create_app(); "
              "warnings.warn('an old setting is deprecated', DeprecationWarning)")
    env = {**os.environ, "LOG_FORMAT": "json", "SECRET_KEY": "s", "EVENTSVC_DOTENV": os.devnull,
           "EVENTSVC_INSTANCE_PATH": str(tmp_path), "PYTHONWARNINGS": "always"}
    result = subprocess.run([str(Path(CELERY).with_name("python")), "-c", script], env=env, cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    [record] = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert record["logger"] == "py.warnings" and "deprecated" in record["message"]


@pytest.mark.parametrize("setting, value", [("LOG_FORMAT", "xml"), ("SENTRY_DSN", "sentry.example.org/3"),
                                            ("METRICS_ALLOW_FROM", "10.0.0.0/40")])
def test_a_malformed_setting_stops_the_app_and_every_command(setting, value, tmp_path):
    with pytest.raises(ValueError, match=setting):
        create_app({**BASE_OVERRIDES, setting: value})
    env = {**os.environ, setting: value, "SECRET_KEY": "s", "EVENTSVC_DOTENV": os.devnull,
           "EVENTSVC_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run([str(Path(CELERY).with_name("flask")), "--app", "eventsvc", "reminders", "run"],
                            env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert setting in result.stderr.splitlines()[-1]


def test_errors_go_to_sentry_when_a_dsn_is_set(tmp_path):
    """A 500 is reported to the server the DSN names."""
    import http.server
    import threading

    received: list[tuple[str, bytes]] = []

    class Collector(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            received.append((self.path, self.rfile.read(int(self.headers.get("Content-Length", 0)))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    script = ("import sentry_sdk; from eventsvc import create_app; app = create_app()\n"
              "@app.get('/boom')\ndef boom():\n    raise RuntimeError('the printer is on fire')\n"
              "app.test_client().get('/boom')\n"
              "sentry_sdk.flush(5)\n")
    env = {**os.environ, "SENTRY_DSN": f"http://publickey@127.0.0.1:{server.server_port}/7", "SECRET_KEY": "s",
           "EVENTSVC_DOTENV": os.devnull, "EVENTSVC_INSTANCE_PATH": str(tmp_path)}
    try:
        result = subprocess.run([str(Path(CELERY).with_name("python")), "-c", script], env=env, cwd=PROJECT_ROOT,
                                capture_output=True, text=True, timeout=60)
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr
    assert received and all(path == "/api/7/envelope/" for path, _ in received)
    import gzip

    body = b"".join(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data for _, data in received)
    assert b"the printer is on fire" in body
