"""The application factory and the schema."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from eventsvc.extensions import db
from eventsvc.models import MailKind, OutboundMail, Registration
from eventsvc.services.organizers import create_organizer
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


def test_a_mail_to_an_organizer_is_decided_once_as_a_registrants_is(app):
    """The dedupe key holds for mail without a registration too: the database says so."""
    organizer = create_organizer("admin@oav.example", "a long admin password")
    mail = dict(organizer_id=organizer.id, kind=MailKind.WEBHOOK_SWITCHED_OFF, dedupe_key="webhook_switched_off:1:1")
    db.session.add(OutboundMail(**mail))
    db.session.commit()
    db.session.add(OutboundMail(**mail))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
