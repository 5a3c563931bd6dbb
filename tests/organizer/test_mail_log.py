"""The mail log: filters, failure reasons, retry."""

from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import OutboundMail
from tests.factories import make_event, make_registration


def test_filters_show_reasons_and_retry_requeues_a_failed_mail(app, organizer_client):
    event = make_event()
    failed_one, queued_one, sent_one = (make_registration(event, family_name=n) for n in ("Zhaofail", "Qianwait", "Sundone"))
    db.session.execute(db.update(OutboundMail).where(OutboundMail.registration_id == failed_one.id)
                       .values(status="failed", attempts=8, last_error="550 5.1.1 no such user"))
    db.session.execute(db.update(OutboundMail).where(OutboundMail.registration_id == sent_one.id)
                       .values(status="sent"))
    db.session.commit()

    failed = organizer_client.get("/organizer/mail?status=failed").get_data(as_text=True)
    assert "550 5.1.1 no such user" in failed and "Zhaofail" in failed and "Qianwait" not in failed
    assert "Retry" in failed
    pending = organizer_client.get("/organizer/mail?status=pending").get_data(as_text=True)
    assert "Qianwait" in pending and "Zhaofail" not in pending and "Sundone" not in pending
    assert "Sundone" in organizer_client.get("/organizer/mail?status=sent").get_data(as_text=True)

    mail = db.session.scalar(select(OutboundMail).where(OutboundMail.registration_id == failed_one.id))
    db.session.rollback()
    assert organizer_client.post(f"/organizer/mail/{mail.id}/retry").status_code == 302
    db.session.rollback()
    retried = db.session.get(OutboundMail, mail.id)
    assert (retried.status, retried.attempts) == ("queued", 0)
    # Retrying something that is not failed changes nothing.
    organizer_client.post(f"/organizer/mail/{mail.id}/retry")
    assert "Only a failed mail can be retried" in organizer_client.get("/organizer/mail").get_data(as_text=True)
