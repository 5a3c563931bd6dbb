"""Bounces as providers send them: a hard bounce marks its one mail and the address; delays,
out-of-office replies, strangers and forgeries change nothing (SQLite, then PostgreSQL)."""

from __future__ import annotations

import mailbox
import smtplib
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import OutboundMail, Registration
from eventsvc.models.types import utcnow
from eventsvc.services.attendees import resend_confirmation
from eventsvc.services.organizers import create_api_token, create_organizer
from eventsvc.services.mailing import delivery, send_from_outbox
from eventsvc.services.mailing.bounces import record_bounce
from eventsvc.services.reminders import run_due
from tests.factories import make_event, make_registration
from tests.fixtures.services import free_port, port_open

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "bounces"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_overrides(smtp_server):
    return {"MAIL_PORT": smtp_server.port, "MAIL_BOUNCE_ADDRESS": "bounces@events.test"}


def _sent_confirmation(email: str) -> tuple[OutboundMail, str]:
    """A confirmation to ``email``, sent, and the envelope sender it left with."""
    registration = make_registration(make_event(), email=email)
    while send_from_outbox(None).claimed:
        pass
    db.session.rollback()
    mail = db.session.scalar(select(OutboundMail).where(OutboundMail.registration_id == registration.id))
    return mail, delivery.envelope_sender(mail.id)


def _sample(name: str, verp: str, rcpt: str) -> bytes:
    text = (SAMPLES / name).read_text(encoding="utf-8").format(verp=verp, rcpt=rcpt)
    return text.replace("\n", "\r\n").encode("utf-8")  # as it comes over SMTP


def _state(mail_id: int) -> tuple[str, str | None, str]:
    db.session.rollback()
    mail = db.session.get(OutboundMail, mail_id)
    return mail.status, mail.last_error, mail.registration.email_status


@pytest.mark.parametrize("sample, diagnostic", [
    ("postfix-dsn.eml", "550 Mailbox not found."),
    ("netease-qq-style.eml", "the recipient's server refused the mail for good"),
    ("gmail-style.eml", "the recipient's server refused the mail for good"),
])
def test_a_hard_bounce_marks_its_mail_bounced_and_the_address_bouncing(app, smtp_server, sample, diagnostic):
    mail, verp = _sent_confirmation("wang@qq.com")
    other, _ = _sent_confirmation("li@163.com")
    outcome = record_bounce(_sample(sample, verp, "wang@qq.com"), [verp])
    assert outcome.outcome == "bounced"
    assert _state(mail.id) == ("bounced", f"bounced: {diagnostic}", "bouncing")
    assert _state(other.id) == ("sent", None, "ok")


@pytest.mark.parametrize("sample", ["postfix-delay.eml", "out-of-office.eml"])
def test_delays_and_out_of_office_replies_change_nothing(app, smtp_server, sample):
    mail, verp = _sent_confirmation("anna@example.de")
    assert record_bounce(_sample(sample, verp, "anna@example.de"), [verp]).outcome == "not_a_hard_bounce"
    assert _state(mail.id) == ("sent", None, "ok")


def test_a_bounce_with_a_wrong_signature_or_for_a_stranger_is_dropped(app, smtp_server):
    mail, verp = _sent_confirmation("wang@qq.com")
    forged = verp.replace(f"+{mail.id}-", f"+{mail.id}-0")
    for address in (forged, "postmaster@events.test", f"bounces+{mail.id}@events.test"):
        assert record_bounce(_sample("postfix-dsn.eml", address, "wang@qq.com"), [address]).outcome == "ignored"
    assert _state(mail.id) == ("sent", None, "ok")


def test_reminders_skip_a_bouncing_address_and_a_resend_clears_it(app, smtp_server):
    event = make_event(starts_at=utcnow() + timedelta(hours=20))
    registration = make_registration(event, email="wang@qq.com")
    registration.created_at = utcnow() - timedelta(days=10)
    db.session.commit()
    while send_from_outbox(None).claimed:
        pass
    mail = db.session.scalar(select(OutboundMail).where(OutboundMail.registration_id == registration.id))
    verp = delivery.envelope_sender(mail.id)
    record_bounce(_sample("postfix-dsn.eml", verp, "wang@qq.com"), [verp])
    run_due()
    while send_from_outbox(None).claimed:
        pass
    db.session.rollback()
    reminder = db.session.scalar(select(OutboundMail).where(OutboundMail.kind == "reminder"))
    assert (reminder.status, reminder.last_error) == ("failed", "skipped: the address bounces")
    assert len(smtp_server.messages) == 1  # the confirmation only
    resend_confirmation(registration.id)
    db.session.rollback()
    assert db.session.get(Registration, registration.id).email_status == "ok"


def test_bounces_import_reads_a_maildir_and_an_mbox(app, smtp_server, tmp_path):
    first, first_verp = _sent_confirmation("wang@qq.com")
    second, second_verp = _sent_confirmation("li@163.com")
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    maildir.add(_sample("postfix-dsn.eml", first_verp, "wang@qq.com"))
    maildir.add(_sample("out-of-office.eml", second_verp, "li@163.com"))
    maildir.close()
    result = app.test_cli_runner().invoke(args=["mail", "bounces", "import", str(tmp_path / "Maildir")])
    assert result.exit_code == 0, result.output
    assert "1 hard bounces recorded, 1 delays or replies left alone, 0 not about our mail." in result.output
    assert _state(first.id)[0] == "bounced" and _state(second.id)[0] == "sent"

    box = mailbox.mbox(tmp_path / "bounces.mbox", create=True)
    box.add(_sample("gmail-style.eml", second_verp, "li@163.com"))
    box.close()
    result = app.test_cli_runner().invoke(args=["mail", "bounces", "import", str(tmp_path / "bounces.mbox")])
    assert "1 hard bounces recorded" in result.output and _state(second.id)[0] == "bounced"


def test_the_bounce_listener_records_what_the_relay_forwards(app, smtp_server, tmp_path):
    mail, verp = _sent_confirmation("wang@qq.com")
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SECRET_KEY": app.config["SECRET_KEY"], "MAIL_BOUNCE_ADDRESS": "bounces@events.test",
           "EVENTSVC_DOTENV": "/dev/null", "EVENTSVC_INSTANCE_PATH": str(tmp_path)}
    listener = subprocess.Popen([sys.executable, "-m", "eventsvc.bounces", "--port", str(port)], cwd=PROJECT_ROOT,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = []
        while not any("Listening for bounces (SMTP) on 127.0.0.1" in line for line in banner):
            banner.append(listener.stdout.readline())
            assert len(banner) < 50 and listener.poll() is None, banner
        assert port_open("127.0.0.1", port, 5)
        db.session.rollback()  # SQLite: let the listener write
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as relay:
            relay.sendmail("", [verp], _sample("postfix-dsn.eml", verp, "wang@qq.com"))
        assert _state(mail.id)[:1] == ("bounced",)
    finally:
        listener.terminate()
        listener.wait(timeout=10)


def test_organizers_see_the_bounce_in_the_api_the_mail_log_and_the_attendee_list(app, smtp_server):
    mail, verp = _sent_confirmation("wang@qq.com")
    record_bounce(_sample("postfix-dsn.eml", verp, "wang@qq.com"), [verp])
    create_organizer("ada@oav.example", "correct horse battery")
    _token, secret = create_api_token("ada@oav.example", "test")
    slug = db.session.get(OutboundMail, mail.id).registration.event.slug
    client = app.test_client()
    data = client.get(f"/api/v1/events/{slug}/registrations", headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert [(r["email"], r["email_status"]) for r in data["data"]] == [("wang@qq.com", "bouncing")]
    client.post("/organizer/login", data={"email": "ada@oav.example", "password": "correct horse battery"})
    log = client.get("/organizer/mail?status=bounced").get_data(as_text=True)
    assert "bounced: 550 Mailbox not found." in log and f"127.0.0.1:{smtp_server.port}" in log
    assert "bouncing" in client.get(f"/organizer/events/{slug}/attendees").get_data(as_text=True)
