"""Organizers download every certificate of attendance of an event as one PDF."""

from __future__ import annotations

from tests.public.test_certificates import _launch, _pdftotext, _qr_codes


def test_organizers_download_every_certificate_in_one_pdf(app, organizer_client, tmp_path):
    _launch()
    response = organizer_client.get("/organizer/events/hamburg-launch/certificates.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _pdftotext(response.data, tmp_path)
    assert text.count("\f") == 2  # a page per guest who came, none for who did not
    assert "王丽" in "".join(text.split()) and "Anna Schmidt" in text
    assert len(set(_qr_codes(response.data, tmp_path))) == 2


def test_no_certificates_before_the_end(app, organizer_client):
    from datetime import timedelta

    from eventsvc.extensions import db
    from eventsvc.models.types import utcnow

    event, *_ = _launch()
    event.starts_at, event.ends_at = utcnow() + timedelta(days=1), utcnow() + timedelta(days=1, hours=2)
    db.session.commit()
    response = organizer_client.get("/organizer/events/hamburg-launch/certificates.pdf?lang=de", follow_redirects=True)
    assert "Teilnahmebestätigungen gibt es nach dem Ende der Veranstaltung." in response.get_data(as_text=True)
