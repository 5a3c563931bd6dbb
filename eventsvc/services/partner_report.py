"""A one-page summary of an event for the report's partners (Siemens, Volkswagen Group China).

Figures only, never a person: registrations over time (a bar chart), confirmed registrations and
guests checked in, how many organizations were represented (a count, no names), the registrants'
languages, report downloads per edition, and the feedback averages. In German or English
(``/organizer/events/<slug>/report.pdf?lang=de|en``), set in the badges' font so that a Chinese
event title prints too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from babel.numbers import format_decimal
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from ..extensions import db
from ..models import Event, Registration, RegistrationStatus
from .badges import find_font
from .dashboard import event_counts, registrations_per_day, report_downloads
from .feedback import summary
from .local_time import format_when
from .reports import edition_name

#: The languages the partners read the summary in.
REPORT_LANGUAGES = ("de", "en")


@dataclass
class PartnerFigures:
    """Everything the page shows, each a count or an average."""

    registrations: int
    confirmed: int
    checked_in: int
    organizations: int
    languages: dict[str, int]
    per_day: list[tuple[date, int]]
    downloads: list[tuple[str, int]]
    ratings: list[tuple[dict, float, int]] = field(default_factory=list)


def partner_figures(event: Event) -> PartnerFigures:
    """The event's figures; organizations are counted by name (trimmed, case ignored), never listed."""
    counts = event_counts(event)
    confirmed = (Registration.event_id == event.id) & (Registration.status == RegistrationStatus.CONFIRMED)
    organizations = db.session.scalar(
        select(func.count(func.distinct(func.lower(func.trim(Registration.organization)))))
        .where(confirmed, func.trim(Registration.organization) != ""))
    languages = Counter(dict(db.session.execute(
        select(Registration.language, func.count()).where(confirmed).group_by(Registration.language)).all()))
    ratings = [(item.question, item.average, item.answered) for item in summary(event)
               if item.question["type"] == "rating" and item.average is not None]
    return PartnerFigures(
        registrations=counts.live + counts.cancelled, confirmed=counts.confirmed, checked_in=counts.checked_in,
        organizations=organizations or 0, languages=dict(languages), per_day=registrations_per_day(event),
        downloads=[(language, count) for language, _title, count in report_downloads(event)], ratings=ratings)


def partner_report_pdf(event: Event, language: str) -> bytes:
    """The one-page summary in ``language`` (de or en)."""
    from fpdf import FPDF  # loaded for a PDF only (see badges.py)

    language = language if language in REPORT_LANGUAGES else "en"
    figures = partner_figures(event)
    font = find_font()
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("report", fname=font.path, collection_font_number=font.face)
    with force_locale(language):
        pdf.set_title(gettext("Event summary for partners"))
        pdf.add_page()
        _draw(pdf, event, figures, language)
    return bytes(pdf.output())


def _heading(pdf, text: str, y: float | None = None) -> None:
    if y is not None:
        pdf.set_y(y)
    pdf.set_x(18)
    pdf.set_text_color(179, 18, 46)
    pdf.set_font("report", size=12)
    pdf.cell(174, 8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(20, 20, 20)
    pdf.set_font("report", size=10)


def _row(pdf, label: str, value: str) -> None:
    pdf.set_x(18)
    pdf.cell(120, 6, label)
    pdf.cell(54, 6, value, align="R", new_x="LMARGIN", new_y="NEXT")


def _draw(pdf, event: Event, figures: PartnerFigures, language: str) -> None:
    title = " ".join(event.text("title", language).split())
    pdf.set_text_color(90, 90, 90)
    pdf.set_font("report", size=10)
    pdf.set_xy(18, 14)
    pdf.cell(174, 6, gettext("Smart City China · Event summary for partners"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(20, 20, 20)
    pdf.set_font("report", size=18)
    pdf.set_x(18)
    pdf.multi_cell(174, 9, title)
    pdf.set_font("report", size=10)
    pdf.set_x(18)
    pdf.multi_cell(174, 6, f"{format_when(event.starts_at, event.ends_at, event.timezone)} · {event.city}")

    # The key figures, large.
    top = pdf.get_y() + 4
    boxes = [(gettext("Registrations"), figures.registrations), (gettext("Confirmed"), figures.confirmed),
             (gettext("Checked in"), figures.checked_in), (gettext("Organizations"), figures.organizations)]
    for index, (label, value) in enumerate(boxes):
        x = 18 + index * 44
        pdf.set_draw_color(210, 210, 210)
        pdf.rect(x, top, 41, 22)
        pdf.set_xy(x, top + 2)
        pdf.set_font("report", size=20)
        pdf.cell(41, 10, str(value), align="C")
        pdf.set_xy(x, top + 13)
        pdf.set_font("report", size=9)
        pdf.cell(41, 6, label, align="C")

    _heading(pdf, gettext("Registrations over time"), top + 28)
    chart_top = pdf.get_y() + 1
    _chart(pdf, figures.per_day, 18, chart_top, 174, 45)

    _heading(pdf, gettext("Languages of the registrants"), chart_top + 53)
    names = {"en": gettext("English"), "zh": gettext("Chinese"), "de": gettext("German")}
    for code in ("zh", "de", "en"):
        if figures.languages.get(code):
            _row(pdf, names[code], str(figures.languages[code]))
    if not figures.languages:
        _row(pdf, gettext("No confirmed registrations yet."), "")

    _heading(pdf, gettext("Report downloads by edition"), pdf.get_y() + 4)
    with force_locale(language):
        for edition, count in figures.downloads:
            name = edition_name(edition)  # "englische Fassung" in a sentence; a row starts upper-case
            _row(pdf, name[:1].upper() + name[1:], str(count))
    if not figures.downloads:
        _row(pdf, gettext("No report edition is published yet."), "")

    _heading(pdf, gettext("Feedback (average rating, 1 to 5)"), pdf.get_y() + 4)
    for question, average, answered in figures.ratings:
        label = question["label"].get(language) or question["label"].get("en", "")
        _row(pdf, label[:80], gettext("%(average)s (%(count)d answers)", average=format_decimal(average, "0.0", locale=language), count=answered))
    if not figures.ratings:
        _row(pdf, gettext("No ratings given."), "")

    pdf.set_xy(18, 282)
    pdf.set_text_color(120, 120, 120)
    pdf.set_font("report", size=8)
    pdf.cell(174, 5, gettext("Counts only: this summary holds no names, addresses or organization names."))


def _chart(pdf, series: list[tuple[date, int]], x: float, y: float, width: float, height: float) -> None:
    """Registrations per day as bars, the peak and the first and last day labelled."""
    pdf.set_draw_color(140, 140, 140)
    pdf.line(x + 8, y + height, x + width, y + height)
    if not series:
        return
    peak = max(count for _, count in series) or 1
    slot = min((width - 10) / len(series), 12)
    pdf.set_fill_color(179, 18, 46)
    for index, (_day, count) in enumerate(series):
        bar = (height - 2) * count / peak
        if bar > 0:
            pdf.rect(x + 10 + index * slot + slot * 0.1, y + height - bar, max(slot * 0.8, 0.3), bar, style="F")
    pdf.set_font("report", size=7)
    pdf.set_xy(x, y)
    pdf.cell(8, 4, str(peak), align="R")
    pdf.set_xy(x, y + height - 4)
    pdf.cell(8, 4, "0", align="R")
    pdf.set_xy(x + 10, y + height + 0.5)
    pdf.cell(40, 4, series[0][0].isoformat())
    if len(series) > 1:
        pdf.set_xy(x + 10 + len(series) * slot - 40, y + height + 0.5)
        pdf.cell(40, 4, series[-1][0].isoformat(), align="R")
