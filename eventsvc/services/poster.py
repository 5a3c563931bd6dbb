"""Pictures for sharing an event: the WeChat poster (1080×1920, a QR code to the form in the
reader's language) and the Open Graph card (1200×630) that WeChat, LinkedIn and mail clients show
beside a link.

Drawn with Pillow in Noto Sans CJK (the badges' font, :func:`eventsvc.services.badges.find_font`),
which covers Chinese, German and English. The title stands in both of the event's languages,
the reader's first; the time is written as the reader names it, with their home zone beside it
when the event is on the other side (北京时间 for a Chinese reader of a Hamburg event, deutsche
Zeit for a German reader of a Shanghai event).
"""

from __future__ import annotations

import io
import os
import re

import segno
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from PIL import Image, ImageDraw, ImageFont

from ..models import Event, EventStatus
from .badges import find_font
from .local_time import format_when, other_side_zone, zone_label
from .organization import organization

POSTER_SIZE = (1080, 1920)
CARD_SIZE = (1200, 630)
NAVY, ACCENT, INK, MUTED, PAPER = (16, 42, 84), (214, 40, 57), (24, 32, 44), (92, 102, 118), (255, 255, 255)
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
#: For text without Chinese: the CJK faces draw Latin quotes full-width („Smart City China  “).
LATIN_FONTS = {False: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
               True: "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"}


def _fonts(size: int, bold: bool = False, text: str | None = None) -> ImageFont.FreeTypeFont:
    """Noto Sans CJK, or for ``text`` without Chinese a Latin face where one is installed."""
    if text is not None and not _CJK.search(text) and os.path.exists(LATIN_FONTS[bold]):
        return ImageFont.truetype(LATIN_FONTS[bold], int(size * 0.9))
    font = find_font()
    path = font.path
    if bold:
        heavier = path.replace("Regular", "Bold")
        path = heavier if os.path.exists(heavier) else path
    return ImageFont.truetype(path, size, index=font.face)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int, max_lines: int = 4) -> list[str]:
    """Lines of ``text`` no wider than ``width``: Latin text breaks at spaces, Chinese anywhere."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        tokens = re.findall(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|\S+\s*|\s+", paragraph)
        line = ""
        for token in tokens:
            if draw.textlength(line + token.rstrip(), font=font) <= width or not line:
                line += token
                continue
            lines.append(line.rstrip())
            line = token.lstrip()
        if line.strip():
            lines.append(line.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip(" ,.;:") + "…"
    return lines


def _text_block(draw, xy, text, font, width, fill, spacing=1.25, max_lines=4) -> int:
    """Draw wrapped text; returns the y below it. ``font`` is ``(size, bold)``."""
    size, bold = font
    font = _fonts(size, bold, text)
    x, y = xy
    for line in _wrap(draw, text, font, width, max_lines):
        draw.text((x, y), line, font=font, fill=fill)
        y += int(font.size * spacing)
    return y


def _second_language(event: Event, language: str) -> str | None:
    """The other language of the event's pair, for the title's second line."""
    others = [lang for lang in (event.languages or []) if lang != language]
    return others[0] if others else ("en" if language != "en" else None)


def _when_lines(event: Event, language: str) -> list[str]:
    """The time in the event's zone, and in the reader's home zone when it is on the other side."""
    lines = [format_when(event.starts_at, event.ends_at, event.timezone)]
    home = other_side_zone(language, event.country)
    if home:
        separator = "：" if language == "zh" else ": "
        lines.append(zone_label(home) + separator + format_when(event.starts_at, event.ends_at, home, with_zone=False))
    return lines


def event_url(event: Event, language: str) -> str:
    return f"{current_app.config['BASE_URL']}/events/{event.slug}?lang={language}"


def _qr(url: str, size: int) -> Image.Image:
    qr = segno.make(url, error="m")
    modules = qr.symbol_size(scale=1, border=2)[0]
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=max(1, size // modules), border=2)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _brand(draw, x: int, y: int, scale: float = 1.0) -> None:
    size = int(56 * scale)
    draw.rounded_rectangle((x, y, x + int(150 * scale), y + int(84 * scale)), radius=int(12 * scale), fill=ACCENT)
    draw.text((x + int(18 * scale), y + int(8 * scale)), "OAV", font=_fonts(size, bold=True), fill=PAPER)
    draw.text((x + int(176 * scale), y + int(14 * scale)), "Smart City China", font=_fonts(int(44 * scale)), fill=PAPER)


def poster_png(event: Event, language: str) -> bytes:
    """The 1080×1920 poster for WeChat groups and Moments, in ``language``."""
    width, height = POSTER_SIZE
    image = Image.new("RGB", POSTER_SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    with force_locale(language):
        draw.rectangle((0, 0, width, 860), fill=NAVY)
        _brand(draw, 80, 90)
        y = _text_block(draw, (80, 260), event.text("title", language), (84, True), width - 160,
                        PAPER, max_lines=4)
        other = _second_language(event, language)
        if other and event.text("title", other) != event.text("title", language):
            _text_block(draw, (80, y + 24), event.text("title", other), (48, False), width - 160,
                        (205, 214, 230), max_lines=3)
        y = 920
        if event.status == EventStatus.CANCELLED:
            y = _text_block(draw, (80, y), _("This event has been cancelled."), (52, True),
                            width - 160, ACCENT) + 16
        for index, line in enumerate(_when_lines(event, language)):
            y = _text_block(draw, (80, y), line, (46 if index == 0 else 38, index == 0),
                            width - 160, INK if index == 0 else MUTED, max_lines=2) + 8
        venue = event.text("venue", language).strip() or event.city
        y = _text_block(draw, (80, y + 16), venue, (38, False), width - 160, MUTED, max_lines=3)
        qr = _qr(event_url(event, language), 460)
        qr_top = max(y + 40, 1300)
        qr_top = min(qr_top, height - qr.height - 170)
        image.paste(qr, ((width - qr.width) // 2, qr_top))
        caption = _("Scan to register")
        caption_font = _fonts(40, True, caption)
        draw.text(((width - draw.textlength(caption, font=caption_font)) // 2, qr_top + qr.height + 16),
                  caption, font=caption_font, fill=INK)
        footer = organization(language).name
        footer_font = _fonts(30, False, footer)
        draw.text(((width - draw.textlength(footer, font=footer_font)) // 2, height - 70), footer,
                  font=footer_font, fill=MUTED)
    return _png(image)


def card_png(event: Event, language: str) -> bytes:
    """The 1200×630 Open Graph picture beside a shared link, in ``language``."""
    width, height = CARD_SIZE
    image = Image.new("RGB", CARD_SIZE, NAVY)
    draw = ImageDraw.Draw(image)
    with force_locale(language):
        _brand(draw, 60, 50, 0.8)
        y = _text_block(draw, (60, 160), event.text("title", language), (62, True), width - 120,
                        PAPER, max_lines=3)
        when = _when_lines(event, language)[0]
        y = max(y + 20, 400)
        y = _text_block(draw, (60, y), when, (34, False), width - 120, (205, 214, 230), max_lines=2)
        place = event.text("venue", language).strip().splitlines()
        _text_block(draw, (60, y + 6), place[0] if place else event.city, (30, False), width - 120,
                    (170, 184, 206), max_lines=1)
        draw.rectangle((0, height - 14, width, height), fill=ACCENT)
    return _png(image)
