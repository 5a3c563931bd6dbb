"""A process loads what its work needs and nothing else: Alembic, Mako, Pygments, the PDF, XLSX,
Markdown, calendar, bounce, picture (Pillow), pinyin, passkey (webauthn, cryptography), the mail's
QR code (zxing-cpp) and Prometheus libraries wait for the page, command or mail that uses them (each costs every process
memory and start time: pypinyin alone 55 MB; see docs/benchmarks.md, "bench memory").

Each test runs a fresh interpreter and lists what it imported, so a module-level import of one of
these anywhere under ``create_app`` fails here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

#: Modules no common page needs.
HEAVY = ["alembic", "flask_migrate", "mako", "pygments", "fpdf", "openpyxl", "markdown_it", "flufl.bounce",
         "icalendar", "dkim", "pypdf", "PIL", "pypinyin", "webauthn", "cryptography", "prometheus_client",
         "zxingcpp"]
#: What a process that serves no page and sends no mail (the worker before its first mail, beat, a
#: ``flask`` command) has no use for either: the QR codes of the registrant's page.
PAGES_ONLY = ["segno"]
#: What only a web server or a ``flask`` command runs: a Celery worker or beat builds its app without
#: them (``create_app(worker=True)`` in worker.py), about 4 MB of each worker process.
WEB_AND_COMMANDS = ["eventsvc.public", "eventsvc.organizer", "eventsvc.api", "eventsvc.forms", "eventsvc.cli",
                    "eventsvc.cli_webhooks"]
#: The libraries of what only a web server does (CSRF and forms, rate limits, the organizers' sign-in,
#: gunicorn's logger): a worker builds its app without them, about 4 MB of each worker process.
WEB_ONLY_LIBRARIES = ["flask_wtf", "wtforms", "flask_limiter", "limits", "flask_login", "gunicorn"]

SERVE_COMMON_PAGES = """
import json, sys, tempfile
from eventsvc import create_app
from eventsvc.extensions import db

app = create_app({
    "TESTING": True, "SECRET_KEY": "test secret", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
    "BASE_URL": "http://events.test", "MAIL_DEFAULT_SENDER": "OAV Events <events@events.test>",
    "SQLALCHEMY_DATABASE_URI": "sqlite:///" + tempfile.mkdtemp() + "/lean.sqlite",
    "CELERY": {"broker_url": "memory://", "task_ignore_result": True},
})
with app.app_context():
    db.create_all()
    from tests.factories import make_event, make_registration
    event = make_event(slug="lean")
    token = make_registration(event).manage_token
client = app.test_client()
statuses = [client.get(path).status_code for path in
            ["/", "/events/lean", "/events/lean/register", "/events/lean/register?lang=zh", f"/r/{token}",
             "/imprint", "/privacy", "/organizer/login", "/api/v1/events"]]
statuses.append(client.post("/events/lean/register", data={
    "email": "lean@example.com", "family_name": "王", "given_name": "丽", "language": "zh",
    "privacy_consent": "y"}).status_code)
print(json.dumps({"statuses": statuses, "modules": sorted(sys.modules),
                  "tls_context": "tls" in vars(app.extensions["eventsvc.delivery"])}))
"""

#: What every worker process does first (worker.py), on PostgreSQL's driver settings as in
#: production, with the tasks registered.
START_A_WORKER = """
import json, os, sys
os.environ.update({"SECRET_KEY": "test secret", "EVENTSVC_DOTENV": os.devnull, "CELERY_BROKER_URL": "memory://",
                   "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/nowhere"})
import worker
import eventsvc.tasks
print(json.dumps({"modules": sorted(sys.modules),
                  "tls_context": "tls" in vars(worker.flask_app.extensions["eventsvc.delivery"]),
                  "tasks": sorted(name for name in worker.celery.tasks if name.startswith("eventsvc."))}))
"""

#: What a ``flask`` command does before its work (the same app as the web's, with the commands).
START_A_COMMAND = """
import json, os, sys
os.environ.update({"SECRET_KEY": "test secret", "EVENTSVC_DOTENV": os.devnull, "CELERY_BROKER_URL": "memory://",
                   "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/nowhere"})
from eventsvc import create_app
app = create_app()
print(json.dumps({"modules": sorted(sys.modules), "commands": sorted(app.cli.list_commands(None))}))
"""


def _run(script: str) -> dict:
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True,
                            timeout=120, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_serving_the_common_pages_loads_none_of_the_heavy_libraries():
    report = _run(SERVE_COMMON_PAGES)
    assert all(status in (200, 302) for status in report["statuses"]), report["statuses"]
    loaded = set(report["modules"])
    assert [name for name in HEAVY if name in loaded] == []
    assert not report["tls_context"]  # the system's CA store is read by the first TLS connection to a relay


def test_a_worker_loads_no_page_or_heavy_library_before_its_work():
    report = _run(START_A_WORKER)
    loaded = set(report["modules"])
    assert [name for name in HEAVY + PAGES_ONLY + WEB_AND_COMMANDS + WEB_ONLY_LIBRARIES if name in loaded] == []
    assert not report["tls_context"]
    assert "eventsvc.send_mail" in report["tasks"]


def test_a_command_loads_no_heavy_library_before_its_work():
    report = _run(START_A_COMMAND)
    loaded = set(report["modules"])
    assert [name for name in HEAVY + PAGES_ONLY if name in loaded] == []
    assert {"events", "reminders", "db", "webhooks"} <= set(report["commands"])
