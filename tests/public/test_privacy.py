"""The privacy notice's promises kept: access, erasure, retention, mail headers, logs (issue 9, item 6)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.models import FollowUpConsent, MailKind, OutboundMail, Registration
from eventsvc.services.mailing import redact_addresses
from eventsvc.services.mailing.render import render_mail
from eventsvc.services.privacy import erase
from tests.factories import make_event, make_registration


def _mails(registration_id: int) -> list[OutboundMail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundMail).where(OutboundMail.registration_id == registration_id)
                                   .order_by(OutboundMail.id)))


def test_a_registrant_downloads_their_data_with_consents_and_mails(app, client):
    registration = make_registration(make_event(), email="anna@example.com", family_name="Schmidt",
                                     marketing_consent=True)
    response = client.get(f"/r/{registration.manage_token}/data")
    assert response.status_code == 200 and response.is_json
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert data["registration"]["email"] == "anna@example.com"
    assert data["registration"]["family_name"] == "Schmidt" and data["registration"]["answers"] == {}
    privacy = data["consents"]["privacy_notice"]
    assert privacy["notice_version"] == app.config["PRIVACY_NOTICE_VERSION"] and privacy["given_at"]
    assert data["consents"]["follow_up_events"]["requested_at"]  # the double opt-in, asked
    assert ("confirmation", "queued") in [(m["kind"], m["status"]) for m in data["mails"]]
    assert "queued_at" in data["mails"][0] and "sent_at" in data["mails"][0]
    assert "Download my data" in client.get(f"/r/{registration.manage_token}").get_data(as_text=True)


def test_erasure_asks_first_then_anonymises_frees_the_seat_drops_mail_and_says_goodbye(app, client):
    event = make_event(capacity=1)
    registration = make_registration(event, email="erase.me@example.com", family_name="Löschmich",
                                     given_name="Erika", organization="Acme", job_title="CTO",
                                     marketing_consent=True)
    waiting = make_registration(event, email="next@example.com")
    assert waiting.status == "waitlisted"
    token, registration_id = registration.manage_token, registration.id
    question = client.get(f"/r/{token}/erase")
    assert question.status_code == 200 and "Erase your data?" in question.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, registration_id).family_name == "Löschmich"  # GET changes nothing

    done = client.post(f"/r/{token}/erase")
    assert done.status_code == 200 and "Your data is erased" in done.get_data(as_text=True)
    db.session.expire_all()
    erased = db.session.get(Registration, registration_id)
    assert erased.erased_at is not None and erased.status == "cancelled"
    assert "erase.me" not in erased.email and erased.family_name == erased.given_name == ""
    assert erased.organization == erased.job_title == "" and erased.answers == {}
    assert db.session.get(Registration, waiting.id).status == "confirmed"  # the seat went on
    assert db.session.scalar(select(func.count()).select_from(FollowUpConsent)) == 0  # the consent went too
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 2  # counts stay right
    mails = _mails(registration_id)
    assert [m.kind for m in mails if m.status == "queued"] == [MailKind.ERASED]
    final = render_mail(mails[-1])
    assert final.to_address == "erase.me@example.com"
    assert "erased your personal data" in final.text and "Löschmich" not in final.text
    for url in (f"/r/{token}", f"/r/{token}/data", f"/r/{token}/cancel", f"/r/{token}/erase"):
        gone = client.get(url)
        assert gone.status_code == 410, url
        assert "Your data is gone" in gone.get_data(as_text=True) and "erase.me" not in gone.get_data(as_text=True)
    assert erase(registration_id) is False  # twice is once


def test_erasure_in_chinese(app, client):
    registration = make_registration(make_event(), language="zh")
    assert "删除" in client.get(f"/r/{registration.manage_token}/erase").get_data(as_text=True)


def test_purge_anonymises_registrations_of_events_that_ended_long_ago_and_deletes_their_mail(app):
    long_ago = datetime.now(timezone.utc) - timedelta(days=400)
    old_event = make_event(starts_at=long_ago)
    recent_event = make_event(starts_at=datetime.now(timezone.utc) - timedelta(days=30))
    # Registrations are closed for past events: store them as they were made then.
    old = [make_registration(make_event(), email=f"old{n}@example.com", marketing_consent=n == 0) for n in range(3)]
    for registration in old:
        registration.event_id = old_event.id
    recent = make_registration(make_event(), email="recent@example.com")
    recent.event_id = recent_event.id
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["privacy", "purge", "--ended-before", "365"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "3 registrations anonymised, 4 mails deleted."  # and one consent mail
    db.session.expire_all()
    for registration in old:
        row = db.session.get(Registration, registration.id)
        assert row.erased_at is not None and "old" not in row.email and row.family_name == ""
        assert _mails(row.id) == []
    consent = db.session.scalar(select(FollowUpConsent))
    assert consent.registration_id is None  # no invitation can go to the anonymised address
    assert db.session.get(Registration, recent.id).email == "recent@example.com"
    assert len(_mails(recent.id)) == 1
    again = app.test_cli_runner().invoke(args=["privacy", "purge", "--ended-before", "365"])
    assert again.output.strip() == "0 registrations anonymised, 0 mails deleted."


def test_beat_purges_daily_with_the_retention_of_the_notice(app, tmp_path):
    from eventsvc.config import load_settings
    from eventsvc.tasks import purge_personal_data

    schedule = load_settings(str(tmp_path))["CELERY"]["beat_schedule"]["purge-personal-data"]
    assert schedule["task"] == purge_personal_data.name and schedule["schedule"] == 86400
    assert app.config["PRIVACY_RETENTION_DAYS"] == 365  # "at the latest twelve months after the event"
    long_ago = datetime.now(timezone.utc) - timedelta(days=app.config["PRIVACY_RETENTION_DAYS"] + 2)
    old = make_registration(make_event(), email="old.timer@example.com", family_name="Altmann")
    recent = make_registration(make_event(), email="still.here@example.com")
    old.event.starts_at, old.event.ends_at = long_ago, long_ago + timedelta(hours=3)
    db.session.commit()
    purge_personal_data.run()
    db.session.expire_all()
    purged = db.session.get(Registration, old.id)
    assert purged.erased_at is not None and purged.family_name == "" and "old.timer" not in purged.email
    assert _mails(old.id) == []
    assert db.session.get(Registration, recent.id).email == "still.here@example.com"


QUESTIONS = [{"key": "diet", "type": "text", "label": {"en": "Dietary needs"}},
             {"key": "dinner", "type": "choice", "label": {"en": "Dinner"},
              "choices": [{"key": "yes", "label": {"en": "Yes"}}, {"key": "no", "label": {"en": "No"}}]}]


def test_the_data_download_holds_the_answers_and_erasure_removes_them(app, client):
    event = make_event(questions=QUESTIONS)
    registration = make_registration(event, email="asked@example.com",
                                     answers={"diet": "no peanuts, please", "dinner": "yes"})
    data = client.get(f"/r/{registration.manage_token}/data").get_json()
    assert data["registration"]["answers"] == {"diet": "no peanuts, please", "dinner": "yes"}
    assert client.post(f"/r/{registration.manage_token}/erase").status_code == 200
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).answers == {}


def test_the_notice_names_the_controller_and_the_contact_from_configuration(database_url, tmp_path):
    from tests.fixtures.database import _make_app

    app = _make_app(database_url, tmp_path, {"PRIVACY_CONTACT": "datenschutz@oav.example"})
    for language in ("en", "zh", "de"):
        page = app.test_client().get(f"/privacy?lang={language}").get_data(as_text=True)
        assert "mailto:datenschutz@oav.example" in page and "OAV" in page


def test_log_lines_keep_addresses_out():
    reason = "550 5.1.1 <li.wang@example.cn>: Recipient address rejected; also bob@x.example"
    redacted = redact_addresses(reason)
    assert "li.wang" not in redacted and "bob@" not in redacted
    assert "…@example.cn" in redacted and redacted.startswith("550 5.1.1")
