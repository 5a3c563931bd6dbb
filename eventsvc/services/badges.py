"""Name badges and the door list as PDF, with Chinese names that come out right.

Names are written the reader's way (:func:`eventsvc.services.names.full_name`): a Chinese
name family name first with no space, a Latin one given name first. The text is set in a font
that covers Chinese, German and English (Noto Sans CJK, as Debian's ``fonts-noto-cjk`` installs
it), embedded as a subset. Without such a font there is no PDF but a clear message naming the
package: a badge with boxes instead of a name is worse than none.

Layouts: ``sheet`` puts eight badges (95 × 67 mm) on an A4 page for common label sheets;
``badge`` one badge per page (100 × 70 mm) for badge printers.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from ..models import Event, Registration, RegistrationStatus
from .attendees import search_attendees
from .names import full_name
from .mailing.render import qr_png

#: Fonts that cover Chinese, German and English, with the number of the Simplified Chinese face
#: in a collection; the first one found is used (``BADGE_FONT_FILE`` picks another).
CJK_FONTS = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)
LAYOUTS = ("sheet", "badge")
_SHEET = {"page": "A4", "width": 95.0, "height": 67.0, "columns": 2, "rows": 4, "left": 10.0, "top": 14.5}
_BADGE = {"page": (70.0, 100.0), "width": 100.0, "height": 70.0}


class BadgeFontMissing(RuntimeError):
    """No font on this machine covers Chinese; the message says what to install."""


@dataclass
class BadgeFont:
    path: str
    face: int


def find_font() -> BadgeFont:
    configured = current_app.config.get("BADGE_FONT_FILE")
    candidates = [(configured, 0)] if configured else list(CJK_FONTS)
    for path, face in candidates:
        if path and os.path.exists(path):
            return BadgeFont(path, face)
    raise BadgeFontMissing(
        "No font for Chinese names is installed, so badges would show boxes. Install Debian's "
        "fonts-noto-cjk package (apt-get install fonts-noto-cjk) or set BADGE_FONT_FILE to a font "
        "that covers Chinese."
    )


def badge_people(event: Event, status: str | None = RegistrationStatus.CONFIRMED, query: str = "") -> list[Registration]:
    """The registrations to print, filtered like the attendee list, in its order."""
    people, page = [], 1
    while True:
        result = search_attendees(event, query, status, page, per_page=500)
        people += result.registrations
        if page >= result.pages:
            return people
        page += 1


def _pdf(font: BadgeFont, page_format):
    from fpdf import FPDF  # loaded for a PDF only: fpdf2, Pillow and fontTools weigh 30 MB

    pdf = FPDF(unit="mm", format=page_format)
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.add_font("badge", fname=font.path, collection_font_number=font.face)
    pdf.set_title("Badges")
    return pdf


def _fit(pdf, text: str, width: float, size: float, smallest: float = 9.0) -> float:
    """The largest font size up to ``size`` at which ``text`` fits in ``width``."""
    while size > smallest:
        pdf.set_font("badge", size=size)
        if pdf.get_string_width(text) <= width:
            return size
        size -= 1
    return smallest


def _draw_badge(pdf, x: float, y: float, w: float, h: float, registration: Registration, event: Event,
                title_language: str) -> None:
    pdf.set_draw_color(190, 190, 190)
    pdf.rect(x, y, w, h)
    qr = 24.0
    text_width = w - qr - 16  # a gap before the QR code
    name = full_name(registration.family_name, registration.given_name)
    pdf.set_text_color(20, 20, 20)
    pdf.set_xy(x + 6, y + 8)
    # As large as fits on one line, down to 16 pt; a longer name takes two lines.
    pdf.set_font("badge", size=_fit(pdf, name, text_width - 2 * pdf.c_margin, 26, 16))
    pdf.multi_cell(text_width, 10, name, align="L")
    if registration.organization:
        pdf.set_xy(x + 6, max(pdf.get_y() + 2, y + 24))
        pdf.set_font("badge", size=_fit(pdf, registration.organization, text_width - 2 * pdf.c_margin, 12, 9))
        pdf.multi_cell(text_width, 5, registration.organization, align="L")
    pdf.set_text_color(180, 30, 40)
    pdf.set_xy(x + 6, y + h - 14)
    title = event.text("title", title_language)
    pdf.set_font("badge", size=_fit(pdf, title, w - 12, 9, 6))
    pdf.multi_cell(w - 12, 4, title, align="L")
    pdf.image(io.BytesIO(qr_png(registration.checkin_code)), x=x + w - qr - 6, y=y + 6, w=qr, h=qr)


def badges_pdf(event: Event, layout: str = "sheet", status: str | None = RegistrationStatus.CONFIRMED,
               query: str = "", title_language: str = "en") -> bytes:
    """The badges of ``event`` as a PDF (see the module's layouts)."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
    font = find_font()
    people = badge_people(event, status, query)
    if layout == "badge":
        pdf = _pdf(font, _BADGE["page"])
        for registration in people:
            pdf.add_page(orientation="L")
            _draw_badge(pdf, 0, 0, _BADGE["width"], _BADGE["height"], registration, event, title_language)
    else:
        pdf = _pdf(font, _SHEET["page"])
        per_page = _SHEET["columns"] * _SHEET["rows"]
        for index, registration in enumerate(people):
            if index % per_page == 0:
                pdf.add_page()
            column, row = index % _SHEET["columns"], (index % per_page) // _SHEET["columns"]
            _draw_badge(pdf, _SHEET["left"] + column * _SHEET["width"], _SHEET["top"] + row * _SHEET["height"],
                        _SHEET["width"], _SHEET["height"], registration, event, title_language)
    if not people:
        pdf.add_page()
    return bytes(pdf.output())


def door_list_pdf(event: Event, title_language: str = "en") -> bytes:
    """The confirmed attendees, family name first in alphabetical order, to tick off at the door."""
    font = find_font()
    pdf = _pdf(font, "A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    pdf.set_font("badge", size=14)
    pdf.multi_cell(180, 7, event.text("title", title_language))
    pdf.ln(3)
    pdf.set_font("badge", size=10)
    for number, registration in enumerate(badge_people(event), start=1):
        name = full_name(registration.family_name, registration.given_name)
        pdf.cell(10, 7, str(number))
        pdf.rect(pdf.get_x() + 1, pdf.get_y() + 1.5, 4, 4)  # the box to tick
        pdf.cell(8, 7, "")
        pdf.cell(70, 7, name)
        pdf.cell(92, 7, registration.organization[:60], new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def write_badges(event: Event, path: str | Path, layout: str = "sheet") -> int:
    """Write the badge PDF to ``path``; returns how many badges it holds."""
    Path(path).write_bytes(badges_pdf(event, layout))
    return len(badge_people(event))
