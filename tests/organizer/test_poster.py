"""The WeChat poster and the link-preview card: what a Chinese partner posts, and what WeChat,
LinkedIn and mail clients show beside a shared link."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone

import pytest
import zxingcpp
from PIL import Image

from tests.factories import make_event

STARTS = datetime(2030, 3, 14, 17, 0, tzinfo=timezone.utc)   # 18:00 in Hamburg, 01:00 in Beijing


@pytest.fixture
def hamburg(app):
    return make_event(slug="hamburg", title={"en": "Launch in Hamburg", "zh": "汉堡发布会", "de": "Auftakt in Hamburg"},
                      city="Hamburg", starts_at=STARTS, ends_at=STARTS + timedelta(hours=3))


def picture(response) -> Image.Image:
    assert response.status_code == 200 and response.mimetype == "image/png"
    return Image.open(io.BytesIO(response.get_data()))


@pytest.mark.parametrize("language", ["zh", "de", "en"])
def test_the_poster_leads_straight_to_the_form_in_its_language(organizer_client, hamburg, language):
    response = organizer_client.get(f"/organizer/events/hamburg/poster.png?lang={language}")
    image = picture(response)
    assert image.size == (1080, 1920)
    assert f"hamburg-poster-{language}.png" in response.headers["Content-Disposition"]
    [code] = zxingcpp.read_barcodes(image)
    assert code.text == f"http://events.test/events/hamburg?lang={language}"


def test_the_poster_does_not_change_the_organizers_page_language(organizer_client, hamburg):
    organizer_client.get("/organizer/events/hamburg?lang=en")
    response = organizer_client.get("/organizer/events/hamburg/poster.png?lang=zh")
    assert "Set-Cookie" not in response.headers


def test_the_dashboard_offers_the_poster_in_three_languages(organizer_client, hamburg):
    page = organizer_client.get("/organizer/events/hamburg?lang=en").get_data(as_text=True)
    for language in ("zh", "de", "en"):
        assert f'href="/organizer/events/hamburg/poster.png?lang={language}" download' in page
    assert "Poster (Chinese)" in page


def test_nobody_outside_the_organizers_gets_the_poster(client, hamburg):
    assert client.get("/organizer/events/hamburg/poster.png?lang=zh").status_code == 302   # to the login


def test_poster_texts_name_the_time_as_the_reader_does(app, hamburg):
    """The poster's words, checked in the lines it draws (the picture itself is checked above)."""
    from flask_babel import force_locale

    from eventsvc.services.poster import _when_lines

    with force_locale("zh"):
        lines = _when_lines(hamburg, "zh")
    assert lines[0].endswith("（德国时间）") and "18:00" in lines[0]
    assert lines[1].startswith("北京时间：") and "01:00" in lines[1]
    with force_locale("de"):
        assert _when_lines(hamburg, "de") == ["Donnerstag, 14. März 2030, 18:00–21:00 Uhr (deutsche Zeit)"]


@pytest.mark.parametrize("language, title", [("zh", "汉堡发布会"), ("de", "Auftakt in Hamburg"), ("en", "Launch in Hamburg")])
def test_event_pages_carry_open_graph_tags_and_a_card_in_their_language(client, hamburg, language, title):
    page = client.get(f"/events/hamburg?lang={language}").get_data(as_text=True)
    assert f'<meta property="og:title" content="{title}">' in page
    image_url = re.search(r'<meta property="og:image" content="([^"]+)">', page).group(1)
    assert image_url == f"http://events.test/events/hamburg/card.png?lang={language}"
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    card = picture(client.get(image_url.replace("http://events.test", "")))
    assert card.size == (1200, 630)


def test_a_drafts_card_is_not_shown(client, app):
    make_event(slug="secret", status="draft")
    assert client.get("/events/secret/card.png").status_code == 404
