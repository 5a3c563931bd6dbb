"""Figures of one event for its dashboard: counts, registrations per day, report downloads."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape

from markupsafe import Markup
from sqlalchemy import func, select

from ..extensions import db
from ..models import Event, Registration, RegistrationStatus, Report, ReportDownload


@dataclass
class EventCounts:
    confirmed: int = 0
    waitlisted: int = 0
    cancelled: int = 0
    checked_in: int = 0

    @property
    def live(self) -> int:
        return self.confirmed + self.waitlisted


def event_counts(event: Event) -> EventCounts:
    """Confirmed, waitlisted, cancelled and checked-in registrations, in one query."""
    row = db.session.execute(
        select(
            func.count().filter(Registration.status == RegistrationStatus.CONFIRMED),
            func.count().filter(Registration.status == RegistrationStatus.WAITLISTED),
            func.count().filter(Registration.status == RegistrationStatus.CANCELLED),
            func.count().filter(Registration.checked_in_at.is_not(None)),
        ).where(Registration.event_id == event.id)
    ).one()
    return EventCounts(*row)


def registrations_per_day(event: Event) -> list[tuple[date, int]]:
    """New registrations per calendar day in the event's zone, every day from first to last."""
    zone = event.zone
    per_day: Counter[date] = Counter()
    # Only one column, streamed: cheap even for 100,000 registrations.
    result = db.session.execute(
        select(Registration.created_at).where(Registration.event_id == event.id)
        .execution_options(yield_per=5000)
    )
    for (created_at,) in result:
        per_day[created_at.astimezone(zone).date()] += 1
    if not per_day:
        return []
    first, last = min(per_day), max(per_day)
    days = (last - first).days
    return [(first + timedelta(days=i), per_day.get(first + timedelta(days=i), 0)) for i in range(days + 1)]


def report_downloads(event: Event) -> list[tuple[str, str, int]]:
    """Per published report edition: language, title and downloads through this event's links."""
    return [tuple(row) for row in db.session.execute(
        select(Report.language, Report.title, func.count(ReportDownload.id))
        .outerjoin(ReportDownload, (ReportDownload.report_id == Report.id) & (ReportDownload.event_id == event.id))
        .group_by(Report.id, Report.language, Report.title)
        .order_by(Report.published_at)
    ).all()]


#: Widest slot of one day in the chart, in SVG units; the site's red for the bars.
MAX_SLOT = 36
BAR_COLOUR = "#b3122e"


def registrations_chart(series: list[tuple[date, int]], title: str, width: int = 640,
                        height: int = 220) -> Markup:
    """A bar chart of registrations per day as inline SVG (drawn here, no script, no CDN)."""
    left, right, top, bottom = 40, 10, 24, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'class="chart" aria-label="{escape(title, {chr(34): "&quot;"})}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#888"/>',
    ]
    if series:
        peak = max(count for _, count in series) or 1
        # A slot per day, but never wider than a bar should look: one day is one bar, not a block.
        slot = min(plot_w / len(series), MAX_SLOT)
        bar_w = max(slot * 0.8, 1)
        for index, (day, count) in enumerate(series):
            bar_h = plot_h * count / peak
            x = left + index * slot + (slot - bar_w) / 2
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" width="{bar_w:.1f}" '
                f'height="{bar_h:.1f}" fill="{BAR_COLOUR}"><title>{day.isoformat()}: {count}</title></rect>'
            )
        parts.append(f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11">{peak}</text>')
        parts.append(f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="11">0</text>')
        parts.append(f'<text x="{left}" y="{height - 8}" font-size="11">{series[0][0].isoformat()}</text>')
        if len(series) > 1:
            parts.append(f'<text x="{left + len(series) * slot:.1f}" y="{height - 8}" text-anchor="end" '
                         f'font-size="11">{series[-1][0].isoformat()}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
