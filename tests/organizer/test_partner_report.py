"""The one-page summary for partners: the figures are there, and no name, address or
organization name is (read back with pdftotext)."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest

from eventsvc.extensions import db
from eventsvc.models import Report, ReportDownload
from eventsvc.models.types import utcnow
from tests.factories import make_event, make_registration
from tests.public.test_feedback import FEEDBACK

PEOPLE = [("王", "丽", "li.wang@example.cn", "上海城市规划设计研究院", "zh"),
          ("Schmidt", "Anna", "anna.schmidt@example.de", "Siemens AG", "de"),
          ("Miller", "Tom", "tom@example.com", "siemens ag ", "en"),
          ("Zhang", "Wei", "wei@example.com", "Volkswagen Group China", "zh"),
          ("Novak", "Eva", "eva@example.com", "", "en")]


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "summary.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def launch(app):
    event = make_event(slug="launch", feedback=FEEDBACK,
                       title={"en": "Smart City China: the launch", "zh": "发布会", "de": "Smart City China: die Vorstellung"})
    people = [make_registration(event, family_name=family, given_name=given, email=email, organization=org,
                                language=language) for family, given, email, org, language in PEOPLE]
    for person in people[:3]:
        person.checked_in_at = utcnow()
    report = Report(language="en", title="Smart City China", url="https://oav.test/report.pdf")
    db.session.add(report)
    db.session.flush()
    db.session.add_all([ReportDownload(report_id=report.id, event_id=event.id) for _ in range(7)])
    event.starts_at = utcnow() - timedelta(hours=5)
    event.ends_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    client = app.test_client()
    for person, rating in zip(people[:2], ("5", "4")):
        client.post(f"/r/{person.manage_token}/feedback", data={"q_overall": rating})
    return event


def test_the_summary_holds_the_figures_in_german_and_english(app, organizer_client, launch, tmp_path):
    response = organizer_client.get("/organizer/events/launch/report.pdf?lang=de")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _text(response.data, tmp_path)
    assert text.count("\f") == 1  # one page
    assert "Smart City China: die Vorstellung" in text
    assert "Angemeldet" in text or "Anmeldungen" in text
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "5 5 3 3" in lines  # registrations, confirmed, checked in, organizations (Siemens once)
    assert any(line.startswith("Chinesisch 2") for line in lines)
    assert any(line.startswith("Englische Fassung 7") for line in lines)
    assert any(line.endswith("4,5 (2 Antworten)") for line in lines)
    english = _text(organizer_client.get("/organizer/events/launch/report.pdf?lang=en").data, tmp_path)
    assert "Smart City China: the launch" in english and "English edition 7" in " ".join(english.split())
    assert "4.5 (2 answers)" in english


def test_the_summary_holds_no_personal_data(app, organizer_client, launch, tmp_path):
    for language in ("de", "en"):
        text = _text(organizer_client.get(f"/organizer/events/launch/report.pdf?lang={language}").data, tmp_path)
        flat = "".join(text.split()).lower()
        for family, given, email, organization, _language in PEOPLE:
            for personal in (family, given, email, organization.strip()):
                if personal:
                    assert "".join(personal.split()).lower() not in flat, personal
