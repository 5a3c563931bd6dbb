"""Who runs the service, said in one place: the imprint, the privacy notice, every footer."""

from __future__ import annotations

import pytest

from eventsvc.services.mailing.render import render_mail
from tests.factories import make_event, make_registration


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_imprint_names_oav_with_its_address_by_default(client):
    german = text(client.get("/imprint?lang=de"))
    assert "Impressum" in german and "OAV – German Asia-Pacific Business Association" in german
    assert "Bleichenbrücke 9" in german and "20354 Hamburg" in german
    chinese = text(client.get("/imprint?lang=zh"))
    assert "德国亚太经济协会（OAV）" in chinese and "德国亚太商会" not in chinese


def test_the_privacy_notice_names_the_controller_and_the_contact(client):
    for language in ("en", "zh", "de"):
        page = text(client.get(f"/privacy?lang={language}"))
        assert "Bleichenbrücke 9" in page and "oav@oav.de" in page


@pytest.mark.parametrize("url", ["/", "/privacy", "/imprint", "/organizer/login"])
def test_every_page_links_the_imprint_and_the_privacy_notice_and_has_an_icon(client, url):
    page = text(client.get(url))
    assert 'href="/imprint"' in page and 'href="/privacy"' in page
    assert 'rel="icon"' in page


def test_the_icon_is_served(client):
    assert client.get("/favicon.ico").status_code == 200
    assert client.get("/static/favicon.svg").status_code == 200


def test_the_chinese_mail_calls_oav_what_the_site_calls_it_and_links_imprint_and_privacy(app):
    registration = make_registration(make_event(), language="zh")
    rendered = render_mail(registration.mails.one())
    assert "德国亚太经济协会（OAV）" in rendered.text and "德国亚太商会" not in rendered.text
    for body in (rendered.text, rendered.html):
        assert "http://events.test/imprint" in body and "http://events.test/privacy" in body


class TestAnotherOrganization:
    @pytest.fixture
    def app_overrides(self):
        return {"ORGANIZATION_NAME": {"en": "Example Association", "zh": "示例协会", "de": "Beispielverein e. V."},
                "ORGANIZATION_ADDRESS": "Musterstraße 1\n12345 Musterstadt",
                "PRIVACY_CONTACT": "privacy@example.org"}

    def test_pages_and_mail_take_the_configured_details(self, app, client):
        imprint = text(client.get("/imprint?lang=de"))
        assert "Beispielverein e. V." in imprint and "Musterstraße 1" in imprint and "Bleichenbrücke" not in imprint
        assert "privacy@example.org" in text(client.get("/privacy?lang=zh"))
        assert "示例协会" in text(client.get("/?lang=zh"))
        registration = make_registration(make_event(), language="de")
        rendered = render_mail(registration.mails.one())
        assert "Beispielverein e. V." in rendered.text and "Example Association" in rendered.text
