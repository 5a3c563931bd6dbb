"""The organizer's side of the mails after the event: paragraph, preview, the dashboard's button."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.models import OutboundMail
from eventsvc.models.types import utcnow
from tests.factories import make_event, make_registration


def _ended(event) -> None:
    event.starts_at = utcnow() - timedelta(days=1, hours=3)
    event.ends_at = utcnow() - timedelta(days=1)
    db.session.commit()


def _follow_up_mails() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboundMail).where(
        OutboundMail.kind.in_(["thank_you", "missed_you"])))


def test_the_paragraph_is_stored_and_both_mails_are_previewed_with_placeholder_links(app, organizer_client):
    event = make_event(slug="launch", languages=["en", "zh"])
    page = organizer_client.post("/organizer/events/launch/follow-up", data={
        "text_en": "The slides are online.", "text_zh": "演示文稿已上线。", "action": "save"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Thank you for coming" in html and "Sorry we missed you" in html
    assert "The slides are online." in html and "演示文稿已上线。" in html
    assert "/r/your-personal-link/certificate.pdf" in html
    db.session.refresh(event)
    assert event.follow_up_texts == {"en": "The slides are online.", "zh": "演示文稿已上线。"}
    assert "The mails can be sent once the event has ended." in html
    assert _follow_up_mails() == 0


def test_a_paragraph_too_long_is_refused_and_nothing_is_stored(app, organizer_client):
    event = make_event(slug="launch")
    page = organizer_client.post("/organizer/events/launch/follow-up?lang=de",
                                 data={"text_en": "x" * 5001, "action": "save"})
    assert "Bitte verwenden Sie höchstens 5000 Zeichen." in page.get_data(as_text=True)
    db.session.refresh(event)
    assert event.follow_up_texts == {}


def test_the_dashboard_button_sends_once_and_only_after_the_end(app, organizer_client):
    event = make_event(slug="launch")
    guest = make_registration(event, email="guest@example.com")
    make_registration(event, email="away@example.com")
    refused = organizer_client.post("/organizer/events/launch/follow-up/send?lang=zh", follow_redirects=True)
    assert "活动尚未结束" in refused.get_data(as_text=True)
    assert _follow_up_mails() == 0
    guest.checked_in_at = utcnow() - timedelta(days=1, hours=1)
    _ended(event)
    dashboard = organizer_client.get("/organizer/events/launch?lang=en").get_data(as_text=True)
    assert "Send thank-you and missed-you mails" in dashboard
    sent = organizer_client.post("/organizer/events/launch/follow-up/send", follow_redirects=True)
    assert "1 thank-you and 1 missed-you mails are on their way." in sent.get_data(as_text=True)
    again = organizer_client.post("/organizer/events/launch/follow-up/send", follow_redirects=True)
    assert "0 thank-you and 0 missed-you mails are on their way." in again.get_data(as_text=True)
    assert _follow_up_mails() == 2
