"""A web worker loads what its pages need and nothing else: Alembic, Mako, Pygments, the PDF,
XLSX, Markdown, calendar and bounce libraries wait for the page or command that uses them (each
costs every process memory and start time; see docs/benchmarks.md, "bench memory")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

#: Modules no common page needs.
HEAVY = ["alembic", "flask_migrate", "mako", "pygments", "fpdf", "openpyxl", "markdown_it", "flufl.bounce",
         "icalendar", "dkim", "pypdf"]

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
print(json.dumps({"statuses": statuses, "modules": sorted(sys.modules)}))
"""


def test_serving_the_common_pages_loads_none_of_the_heavy_libraries():
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-c", SERVE_COMMON_PAGES], cwd=root, capture_output=True, text=True,
                            timeout=120, check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert all(status in (200, 302) for status in report["statuses"]), report["statuses"]
    loaded = set(report["modules"])
    assert [name for name in HEAVY if name in loaded] == []
