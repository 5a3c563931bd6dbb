"""Name badges in which Chinese names come out right: the right order, and a glyph for every
character (read back with pypdf; glyphs checked against the embedded font with fontTools)."""

from __future__ import annotations

import io
import re

import pytest
from fontTools.ttLib import TTCollection
from pypdf import PdfReader

from eventsvc.services.badges import BadgeFontMissing, badges_pdf, door_list_pdf, find_font
from eventsvc.services.registration import cancel
from tests.factories import make_event, make_registration

NAMES = [("王", "小明", "上海城市规划设计研究院"), ("Schmidt", "Anna", "Volkswagen Group China"),
         ("Müller", "Jürgen", "Größe & Söhne GmbH"), ("欧阳", "娜娜", "")]


def _text(pdf: bytes) -> str:
    """The PDF's text with the spacing pypdf puts between glyphs taken out."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"[\s\x00]+", "", text)


def _people(event):
    for family, given, organization in NAMES:
        make_registration(event, family_name=family, given_name=given, organization=organization,
                          email=f"{given}.{family}@example.com".lower())


@pytest.mark.parametrize("layout, pages", [("sheet", 1), ("badge", 4)])
def test_badges_write_chinese_names_family_first_and_latin_ones_given_first(app, layout, pages):
    event = make_event(title={"en": "Smart City China in Berlin", "zh": "智慧城市中国·柏林"}, capacity=len(NAMES))
    _people(event)
    # On the same event: one on the waiting list, one who cancelled. Neither gets a badge.
    waiting = make_registration(event, family_name="Nobody", given_name="Else", email="waiting@example.com")
    assert waiting.status == "waitlisted"
    cancel(make_registration(event, family_name="Gone", given_name="Away", email="gone@example.com").id)
    pdf = badges_pdf(event, layout)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == pages
    text = _text(pdf)
    for name in ("王小明", "AnnaSchmidt", "JürgenMüller", "欧阳娜娜", "上海城市规划设计研究院", "Größe&SöhneGmbH"):
        assert name in text, name
    assert "小明王" not in text and "SchmidtAnna" not in text
    assert "Nobody" not in text and "Else" not in text and "Gone" not in text
    assert "SmartCityChinainBerlin" in text


def test_every_character_of_the_names_has_a_glyph_in_the_embedded_font(app):
    font = find_font()
    cmap = TTCollection(font.path).fonts[font.face].getBestCmap()
    missing = {c for family, given, organization in NAMES for c in family + given + organization
               if not c.isspace() and ord(c) not in cmap}
    assert missing == set()


def test_the_door_list_holds_the_confirmed_attendees(app):
    event = make_event(capacity=3)
    _people(event)  # the fourth waits
    text = _text(door_list_pdf(event))
    assert "王小明" in text and "AnnaSchmidt" in text and "JürgenMüller" in text and "欧阳娜娜" not in text


def test_without_a_chinese_font_there_is_a_clear_message_naming_the_package(app, organizer_client, tmp_path):
    app.config["BADGE_FONT_FILE"] = str(tmp_path / "missing.ttf")
    event = make_event(slug="berlin")
    _people(event)
    with pytest.raises(BadgeFontMissing, match="fonts-noto-cjk"):
        badges_pdf(event)
    page = organizer_client.get("/organizer/events/berlin/badges.pdf", follow_redirects=True)
    assert page.status_code == 200 and "fonts-noto-cjk" in page.get_data(as_text=True)


def test_the_badge_download_and_command(app, organizer_client, tmp_path):
    event = make_event(slug="berlin")
    _people(event)
    response = organizer_client.get("/organizer/events/berlin/badges.pdf?layout=badge&q=schmidt")
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="berlin-badges.pdf"'
    assert "AnnaSchmidt" in _text(response.data) and "王小明" not in _text(response.data)
    result = app.test_cli_runner().invoke(args=["attendees", "badges", "berlin", "--output", str(tmp_path / "b.pdf")])
    assert result.output.strip() == f"4 badges written to {tmp_path / 'b.pdf'}."
    assert "王小明" in _text((tmp_path / "b.pdf").read_bytes())
