"""Backup and restore as docs/operations.md says: a dump restored into a new database serves the
same pages (pg_dump/pg_restore for PostgreSQL; sqlite3's .backup for the SQLite file)."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import psycopg
import pytest
from flask_migrate import upgrade

from eventsvc import create_app
from eventsvc.extensions import db
from eventsvc.models import Report
from eventsvc.services.organizers import create_api_token, create_organizer

from ..factories import make_event, make_registration
from ..fixtures.database import BASE_OVERRIDES
from ..fixtures.services import IN_CI, POSTGRES_URL


def _fill() -> tuple[list[str], dict]:
    """Events, registrants in three languages, mail, a report, an organizer with an API token;
    the pages that show them."""
    launch = make_event(slug="hamburg-launch", title={"en": "Launch", "zh": "发布会", "de": "Vorstellung"})
    forum = make_event(slug="shanghai-forum", capacity=1)
    people = [make_registration(launch, language=language, family_name=name)
              for language, name in (("zh", "王"), ("de", "Müller"), ("en", "Smith"))]
    make_registration(forum)
    make_registration(forum)  # waitlisted
    db.session.add(Report(language="en", title="Smart City China", url="https://www.oav.de/report.pdf"))
    db.session.commit()
    organizer = create_organizer("organizer@oav.de", "a long organizer password")
    _, secret = create_api_token(organizer.email, "CRM sync")
    pages = ["/", "/events/hamburg-launch", "/events/shanghai-forum?lang=zh", "/api/v1/events",
             *(f"/r/{person.manage_token}" for person in people)]
    return pages, {"/api/v1/events/hamburg-launch/registrations": secret}


def _snapshot(app, pages: list[str], api: dict) -> dict[str, bytes]:
    client = app.test_client()
    seen = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        seen[page] = response.get_data()
    for page, token in api.items():
        response = client.get(page, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, page
        seen[page] = response.get_data()
    return seen


def test_a_postgresql_dump_restored_into_a_new_database_serves_the_same_pages(pg_app, tmp_path):
    pages, api = _fill()
    before = _snapshot(pg_app, pages, api)
    dump = tmp_path / "eventsvc.dump"
    source = pg_app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", source], check=True)
    name = f"eventsvc_restored_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    restored_url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    try:
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored_url}", str(dump)],
                       check=True)
        restored = create_app({**BASE_OVERRIDES, "SQLALCHEMY_DATABASE_URI": restored_url})
        with restored.app_context():
            assert _snapshot(restored, pages, api) == before
            db.engine.dispose()
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.skipif(not shutil.which("sqlite3") and not IN_CI, reason="the sqlite3 program is not installed")
def test_a_copy_of_the_sqlite_file_serves_the_same_pages(tmp_path):
    # A SQLite file of its own: the backup is of the embedded database only.
    live = tmp_path / "eventsvc.sqlite"
    app = create_app({**BASE_OVERRIDES, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{live}"})
    app.instance_path = str(tmp_path)
    with app.app_context():
        upgrade()
        pages, api = _fill()
        before = _snapshot(app, pages, api)
        db.session.remove()
        db.engine.dispose()
    copy = tmp_path / "backup.sqlite"
    subprocess.run(["sqlite3", str(live), f".backup '{copy}'"], check=True)
    restored = create_app({**BASE_OVERRIDES, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{copy}"})
    with restored.app_context():
        assert _snapshot(restored, pages, api) == before
        db.engine.dispose()
