"""Upgrades keep the data: a database filled at every revision reaches head with every row intact.

The database is built one revision at a time, from the first migration up; after each step the
rows of that revision are written with that revision's schema, so every migration runs on data
written by each earlier one. At head every row is still there and served (the event page, the
registrant's page, the API with an old token); then ``flask db downgrade 0001`` keeps the rows of
the first schema, and the upgrade after it works again.

A new migration adds an entry to ``ROWS_BY_REVISION`` with rows of its own tables and columns:
the test fails for a revision that has none.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, inspect, select
from werkzeug.security import generate_password_hash

from eventsvc import create_app
from eventsvc.extensions import db

from .fixtures.database import BASE_OVERRIDES, _drop_postgres_database, _postgres_database

API_SECRET = "evt_migration-test-secret-0123456789abcdefghijkl"
SLUG = "hamburg-launch-2019"
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
STARTS = datetime(2031, 3, 14, 17, 0, tzinfo=timezone.utc)


def _event(id_: int, slug: str, **extra) -> dict:
    return {
        "id": id_, "slug": slug, "city": "Hamburg", "country": "DE", "timezone": "Europe/Berlin",
        "title": {"en": "Smart City China: the launch", "zh": "中国智慧城市报告发布会", "de": "Smart City China: Vorstellung"},
        "description": {"en": "The report is presented.", "zh": "报告发布。"},
        "venue": {"en": "Hamburg Chamber of Commerce", "de": "Handelskammer Hamburg"},
        "starts_at": STARTS, "ends_at": STARTS + timedelta(hours=3), "capacity": 200,
        "waitlist_enabled": True, "languages": ["en", "zh"], "status": "published",
        "reminder_offsets": ["P7D", "P1D"], "ics_sequence": 2, "created_at": T0, "updated_at": T0,
        **extra,
    }


def _registration(id_: int, email: str, family: str, given: str, language: str = "en", **extra) -> dict:
    return {
        "id": id_, "public_id": f"reg{id_:029d}", "event_id": 1, "email": email,
        "family_name": family, "given_name": given, "organization": "Siemens AG",
        "job_title": "Engineer", "language": language, "status": "confirmed",
        "privacy_consent_at": T0, "privacy_consent_version": "2019-02",
        "manage_token": f"manage-token-{id_:040d}", "checkin_code": f"checkin-code-{id_:040d}",
        "wants_report": True, "created_at": T0, **extra,
    }


def _mail(id_: int, registration_id: int, kind: str, key: str, status: str = "sent", **extra) -> dict:
    return {
        "id": id_, "registration_id": registration_id, "kind": kind, "dedupe_key": key,
        "status": status, "attempts": 1, "next_attempt_at": T0, "created_at": T0,
        "message_id": f"<{id_}@events.test>", "sent_at": T0 if status == "sent" else None, **extra,
    }


#: Rows written right after each revision is reached, with that revision's schema.
ROWS_BY_REVISION: dict[str, dict[str, list[dict]]] = {
    "0001": {
        "events": [_event(1, SLUG), _event(2, "shanghai-2019", status="draft", country="CN",
                                            timezone="Asia/Shanghai", city="Shanghai")],
        "organizers": [{"id": 1, "email": "admin@oav.test", "name": "Admin", "created_at": T0,
                        "password_hash": generate_password_hash("an old password")}],
        "reports": [{"id": 1, "language": "en", "title": "Smart City China",
                     "url": "https://oav.test/report-en.pdf", "published_at": T0}],
        "api_tokens": [{"id": 1, "organizer_id": 1, "name": "CRM", "created_at": T0,
                        "token_hash": hashlib.sha256(API_SECRET.encode()).hexdigest(),
                        "prefix": API_SECRET[:12]}],
        "registrations": [
            _registration(1, "li.wang@example.cn", "王", "丽", "zh"),
            _registration(2, "anna.mueller@example.de", "Müller", "Anna", "de", status="cancelled",
                          cancelled_at=T0 + timedelta(days=1)),
        ],
        "report_downloads": [{"id": 1, "report_id": 1, "event_id": 1, "downloaded_at": T0}],
        "outbound_mails": [_mail(1, 1, "confirmation", "confirmation"),
                           _mail(2, 2, "cancelled", "cancelled", status="queued")],
    },
    "0002": {
        "outbound_mails": [_mail(3, 1, "reminder", "reminder:P7D", status="bounced",
                                 route="smtp://relay.example", rate_key="example.cn",
                                 last_error="550 5.1.1 user unknown")],
    },
    "0003": {
        "messages": [{"id": 1, "event_id": 1, "subjects": {"en": "Parking"}, "bodies": {"en": "Use the north gate."},
                      "audience": "confirmed", "draft_token": "draft-1", "sent_by_id": 1,
                      "recipients": 1, "created_at": T0}],
    },
    "0004": {
        "follow_up_consents": [{"id": 1, "email": "li.wang@example.cn", "token": "consent-token-1",
                                "registration_id": 1, "requested_at": T0, "confirmed_at": T0,
                                "notice_version": "2019-02"}],
    },
    "0005": {
        "registrations": [_registration(3, "chen.jie@example.cn", "陈", "杰", "zh",
                                        answers={"diet": "vegetarian"})],
    },
    "0006": {
        "organizers": [{"id": 2, "email": "door@oav.test", "name": "Door", "created_at": T0,
                        "role": "checkin", "password_hash": generate_password_hash("door password")}],
        "event_grants": [{"id": 1, "organizer_id": 2, "event_id": 1, "created_at": T0}],
        "registrations": [_registration(4, "max.schmidt@example.de", "Schmidt", "Max", "de",
                                        unsubscribe_token="unsubscribe-token-4")],
        "api_tokens": [{"id": 2, "organizer_id": 2, "name": "Door phone", "created_at": T0,
                        "token_hash": hashlib.sha256(b"evt_door").hexdigest(), "prefix": "evt_door",
                        "event_id": 1, "expires_at": T0 + timedelta(days=3650)}],
    },
    "0007": {
        "webhook_endpoints": [{"id": 1, "url": "https://crm.oav.test/hooks", "secret": "whsec_c2VjcmV0",
                               "event_id": 1, "types": ["registration.created"], "owner_id": 1,
                               "active": True, "created_at": T0}],
        "webhook_deliveries": [{"id": 1, "endpoint_id": 1, "message_id": "msg_1", "type": "registration.created",
                                "subject": "registration:1", "data": {"id": "r1", "email": "li.wang@example.cn"},
                                "occurred_at": T0, "status": "delivered", "attempts": 2,
                                "next_attempt_at": T0, "delivered_at": T0}],
        "webhook_attempts": [{"id": 1, "delivery_id": 1, "attempted_at": T0, "status_code": 500,
                              "answer": "down", "duration_ms": 12}],
    },
    "0008": {
        "events": [_event(3, "berlin-2019", feedback=[{"key": "overall", "type": "rating", "required": True,
                                                      "label": {"en": "Overall"}}],
                          follow_up_texts={"en": "The slides are online."}, follow_up_sent_at=T0)],
        "registrations": [_registration(5, "zhou.min@example.cn", "周", "敏", "zh", event_id=3,
                                        unsubscribe_token="unsubscribe-token-5", checked_in_at=T0,
                                        certificate_id="certificate-id-5")],
        "feedback_responses": [{"id": 1, "registration_id": 5, "event_id": 3, "answers": {"overall": 5},
                                "created_at": T0, "updated_at": T0}],
        "outbound_mails": [_mail(4, 5, "thank_you", "thank_you")],
    },
    "0009": {
        "registrations": [_registration(6, "lena.vogel@example.de", "Vogel", "Lena", "de",
                                        checked_in_at=T0, checkin_door="Nord", updated_at=T0,
                                        unsubscribe_token="unsubscribe-token-6")],
        "api_tokens": [{"id": 3, "organizer_id": 2, "name": "Gate", "created_at": T0, "scope": "checkin",
                        "token_hash": hashlib.sha256(b"evt_gate").hexdigest(), "prefix": "evt_gate",
                        "event_id": 1, "expires_at": T0 + timedelta(days=3650)}],
        "checkin_scans": [{"id": 1, "event_id": 1, "scan_id": "3f0c7a9e-door-scan", "registration_id": 6,
                           "code": f"checkin-code-{6:040d}", "kind": "entry", "scanned_at": T0, "received_at": T0,
                           "door": "Nord", "device": "phone-1", "offline": True, "outcome": "checked_in",
                           "organizer_id": 2, "reason": ""}],
    },
    "0010": {
        "follow_up_consents": [{"id": 2, "email": "max.schmidt@example.de", "token": "consent-token-2",
                                "withdraw_token": "withdraw-token-2", "registration_id": 4,
                                "requested_at": T0, "confirmed_at": T0, "notice_version": "2019-02"}],
    },
    "0011": {
        "organizers": [{"id": 3, "email": "li@partner.test", "name": "Li", "created_at": T0, "role": "organizer",
                        "password_hash": generate_password_hash("partner password"), "session_version": 4,
                        "disabled_at": T0, "language": "zh", "totp_secret": "JBSWY3DPEHPK3PXP",
                        "totp_enabled_at": T0, "totp_last_step": 59000000}],
        "organizer_sign_ins": [
            {"id": 1, "organizer_id": 1, "created_at": T0, "address": "198.51.100.7", "succeeded": True,
             "session_hash": hashlib.sha256(b"session").hexdigest(), "last_seen_at": T0, "ended_at": None},
            {"id": 2, "organizer_id": 1, "created_at": T0, "address": "203.0.113.66", "succeeded": False,
             "failure": "password"}],
        "password_resets": [{"id": 1, "organizer_id": 1, "token_hash": hashlib.sha256(b"reset").hexdigest(),
                             "created_at": T0, "expires_at": T0 + timedelta(hours=1), "used_at": None}],
        "organizer_recovery_codes": [{"id": 1, "organizer_id": 3, "created_at": T0,
                                      "code_hash": hashlib.sha256(b"abcd-efgh").hexdigest()}],
        "organizer_passkeys": [{"id": 1, "organizer_id": 3, "credential_id": "Y3JlZGVudGlhbA",
                                "public_key": b"\xa5\x01\x02", "sign_count": 3, "name": "laptop",
                                "created_at": T0}],
    },
    "0012": {
        "outbound_mails": [_mail(5, None, "webhook_switched_off", "webhook_switched_off:1:1793523600", organizer_id=1,
                                 payload={"endpoint_id": 1, "url": "https://crm.oav.test/hooks", "status": 500,
                                          "failing_since": "2026-10-31T09:00:00+00:00", "answer": "down"})],
    },
}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """An empty database of each kind, with no migration run yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'upgrade.sqlite'}"
        return
    url = _postgres_database()
    yield url
    _drop_postgres_database(url)


def _revisions(app) -> list[str]:
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def _normal(value):
    """A value as both databases give it back: datetimes naive in UTC."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _insert(rows_by_table: dict[str, list[dict]]) -> None:
    tables = MetaData()
    tables.reflect(db.engine)
    with db.engine.begin() as connection:
        for name, rows in rows_by_table.items():
            for row in rows:  # one by one: rows of a table may set different columns
                connection.execute(tables.tables[name].insert(), row)
        if connection.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for name in rows_by_table:
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")


def _stored(written: list[tuple[str, dict]], only_tables: set[str] | None = None) -> list[str]:
    """What of the written rows is no longer stored as written: empty when everything is intact."""
    tables = MetaData()
    tables.reflect(db.engine)
    problems = []
    with db.engine.connect() as connection:
        for name, row in written:
            if only_tables is not None and name not in only_tables:
                continue
            table = tables.tables[name]
            stored = connection.execute(select(table).where(table.c.id == row["id"])).mappings().first()
            if stored is None:
                problems.append(f"{name} {row['id']} is gone")
                continue
            for column, value in row.items():
                if column in table.c and _normal(stored[column]) != _normal(value):
                    problems.append(f"{name} {row['id']}.{column}: {stored[column]!r} != {value!r}")
    return problems


def _served(app) -> None:
    """An upgraded database still serves the event, a registrant's page and the API."""
    client = app.test_client()
    page = client.get(f"/events/{SLUG}?lang=en")
    assert page.status_code == 200 and "Smart City China: the launch" in page.text
    own_page = client.get(f"/r/manage-token-{1:040d}?lang=zh")
    assert own_page.status_code == 200 and "王" in own_page.text
    api = client.get(f"/api/v1/events/{SLUG}/registrations",
                     headers={"Authorization": f"Bearer {API_SECRET}"})
    assert api.status_code == 200, api.text
    assert "li.wang@example.cn" in api.text
    db.session.remove()  # the requests shared this test's app context: end their transaction


def test_upgrade_from_every_revision_keeps_and_serves_the_data(empty_database, tmp_path):
    app = create_app({**BASE_OVERRIDES, "SQLALCHEMY_DATABASE_URI": empty_database})
    app.instance_path = str(tmp_path)
    with app.app_context():
        revisions = _revisions(app)
        missing = [revision for revision in revisions if revision not in ROWS_BY_REVISION]
        assert not missing, f"give these migrations rows of their own in ROWS_BY_REVISION: {missing}"

        written: list[tuple[str, dict]] = []
        for revision in revisions:
            upgrade(revision=revision)
            _insert(ROWS_BY_REVISION[revision])
            written += [(name, row) for name, rows in ROWS_BY_REVISION[revision].items() for row in rows]
            assert _stored(written) == [], f"after upgrading to {revision}"

        _served(app)

        first_tables = set(ROWS_BY_REVISION[revisions[0]])
        downgrade(revision=revisions[0])
        assert set(inspect(db.engine).get_table_names()) - {"alembic_version"} == first_tables
        # Compare what the first schema holds; downgrading turns bounced mail back into failed
        # mail (the first schema has no bounce), and drops mail to organizers (it has no place
        # for a mail without a registration).
        columns = {name: {column["name"] for column in inspect(db.engine).get_columns(name)}
                   for name in first_tables}
        first_schema_rows = [
            (name, {key: value for key, value in row.items()
                    if key in columns[name] and (name, key) != ("outbound_mails", "status")})
            for name, row in written if name in first_tables and row.get("registration_id", 0) is not None
        ]
        assert _stored(first_schema_rows, only_tables=first_tables) == []

        upgrade()
        assert _stored(first_schema_rows, only_tables=first_tables) == []
        _served(app)
        db.engine.dispose()
