"""The application factory and the schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from eventsvc.extensions import db
from eventsvc.models import OutboundMail, Registration
from tests.factories import make_event, make_registration


def test_migrations_match_the_models(app):
    """`db upgrade` builds exactly the schema the models describe, on SQLite and PostgreSQL."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
    assert "alembic_version" in inspect(db.engine).get_table_names()


def test_healthz_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_registration_and_confirmation_are_stored_together(app):
    event = make_event()
    registration = make_registration(event, email="  Li.Wang@Example.COM ")
    assert registration.email == "li.wang@example.com"
    mails = db.session.scalars(db.select(OutboundMail)).all()
    assert [(m.registration_id, m.kind, m.status) for m in mails] == [(registration.id, "confirmation", "queued")]
    assert db.session.get(Registration, registration.id).privacy_consent_version == app.config["PRIVACY_NOTICE_VERSION"]
