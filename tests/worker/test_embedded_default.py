"""The embedded default end to end, as ``make run`` runs it: no PostgreSQL, no Redis.

One instance folder holds the SQLite database (migrated by ``flask db upgrade``) and the Celery
broker (kombu's SQLAlchemy transport on a SQLite file). gunicorn serves the form, a real
``celery -A worker worker`` process sends the mail, and the SMTP server runs in the test. Every
process reads its settings from the environment, as in ``make run``; nothing here needs a service
of the machine, so nothing is skipped.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from eventsvc import create_app
from eventsvc.extensions import db
from eventsvc.models import Registration
from tests.factories import make_event
from tests.fixtures.database import BASE_OVERRIDES
from tests.fixtures.mail import html_body, text_body
from tests.fixtures.worker import PROJECT_ROOT, Broker

pytestmark = pytest.mark.worker

FLASK = Path(sys.executable).with_name("flask")
CSRF_TOKEN = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]*)"')


@pytest.fixture
def instance(tmp_path) -> Path:
    """A fresh instance folder, like the ``instance/`` that ``make run`` fills."""
    path = tmp_path / "instance"
    path.mkdir()
    return path


@pytest.fixture
def embedded_app(instance):
    """The app on ``instance/eventsvc.sqlite``, migrated the way ``make run`` does it."""
    database_url = f"sqlite:///{instance / 'eventsvc.sqlite'}"
    upgrade = subprocess.run(
        [str(FLASK), "--app", "eventsvc", "db", "upgrade"], cwd=PROJECT_ROOT, capture_output=True, text=True,
        env={**os.environ, "DATABASE_URL": database_url, "EVENTSVC_INSTANCE_PATH": str(instance),
             "EVENTSVC_DOTENV": os.devnull, "SECRET_KEY": "embedded test secret"},
    )
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    app = create_app({**BASE_OVERRIDES, "SQLALCHEMY_DATABASE_URI": database_url})
    app.instance_path = str(instance)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def register_on_the_form(base_url: str, slug: str, fields: dict) -> requests.Response:
    """What a visitor's browser does: open the form (its CSRF token and cookie), then send it."""
    session = requests.Session()
    form = session.get(f"{base_url}/events/{slug}/register?lang=zh", timeout=30)
    form.raise_for_status()
    token = unescape(CSRF_TOKEN.search(form.text).group(1))
    return session.post(f"{base_url}/events/{slug}/register", data={**fields, "csrf_token": token},
                        timeout=30, allow_redirects=False)


def test_a_registration_on_the_form_brings_its_confirmation_on_the_embedded_default(
        embedded_app, instance, smtp_server, start_live_server, start_worker):
    # The broker of `make run` (config.py's default, in the same instance folder) and the queue
    # names of production, unprefixed: nobody else reads this broker file.
    broker = Broker(f"sqla+sqlite:///{instance / 'celery-broker.sqlite'}", queue_prefix="")
    embedded = {"EVENTSVC_INSTANCE_PATH": str(instance), "CELERY_BROKER_URL": broker.url,
                "CELERY_QUEUE_PREFIX": "", "MAIL_PORT": str(smtp_server.port)}
    server = start_live_server(embedded_app.config["SQLALCHEMY_DATABASE_URI"], instance_path=instance,
                               env=embedded)
    # Started exactly as the Procfile and the docs write it: `celery -A worker worker`, no -Q.
    start_worker(embedded_app, smtp_server, broker, queues=None,
                 env={"EVENTSVC_INSTANCE_PATH": str(instance), "BASE_URL": server.url})
    event = make_event(title={"en": "Smart City China in Berlin", "zh": "智慧城市中国·柏林",
                              "de": "Smart City China in Berlin"})
    slug = event.slug
    db.session.rollback()  # hold no transaction: on SQLite the server and the worker need the lock

    answer = register_on_the_form(server.url, slug, {
        "email": "Zhang.Wei@example.cn", "family_name": "张", "given_name": "伟",
        "organization": "上海城市规划设计研究院", "job_title": "", "language": "zh", "privacy_consent": "y"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/events/{slug}/registered")
    manage_token = db.session.scalar(select(Registration.manage_token))
    db.session.rollback()

    [message] = smtp_server.extract_emails(count=1, to="zhang.wei@example.cn", timeout=60)
    assert message["To"].addresses[0].addr_spec == "zhang.wei@example.cn"
    assert message["Subject"] == "报名确认：智慧城市中国·柏林 | Registration confirmed: Smart City China in Berlin"
    manage_link = f"{server.url}/r/{manage_token}"
    assert manage_link in text_body(message) and manage_link in html_body(message)
    # The link in the mail opens the registrant's own page.
    page = requests.get(manage_link, timeout=30)
    assert page.status_code == 200 and "张伟" in page.text
    smtp_server.wait_quiet(1.0)
    assert [rcpts for _, rcpts in smtp_server.envelopes] == [["zhang.wei@example.cn"]]  # one mail, once
    assert (instance / "celery-broker.sqlite").exists()  # the hint went through the embedded broker
