"""The live view of the door: checked in of expected, per door; arrivals per five minutes; scans
per minute at each door over the last five minutes; and, where devices scan exits, who is inside.
Also the check-in log as CSV.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from xml.sax.saxutils import escape

from markupsafe import Markup
from sqlalchemy import func, select

from ..extensions import db
from ..models import CheckinScan, Event, Organizer, Registration, RegistrationStatus, ScanKind
from ..models.types import utcnow
from .exports import neutralise

#: Width of one bar of the arrivals chart.
ARRIVAL_SLOT = timedelta(minutes=5)
#: How far back the scans per minute look.
RECENT_MINUTES = 5


@dataclass
class DoorFigures:
    door: str
    checked_in: int = 0
    #: Scans per minute, oldest minute first, the current (incomplete) minute last.
    scans_per_minute: list[int] = field(default_factory=lambda: [0] * RECENT_MINUTES)


@dataclass
class LiveFigures:
    expected: int
    checked_in: int
    inside: int
    doors: list[DoorFigures]
    #: (start of the five minutes, arrivals in them), first arrival to last, empty slots included.
    arrivals: list[tuple[datetime, int]]
    now: datetime

    def as_json(self, event: Event) -> dict:
        zone = event.zone
        return {
            "expected": self.expected, "checked_in": self.checked_in, "inside": self.inside,
            "doors": [{"door": d.door, "checked_in": d.checked_in, "scans_per_minute": d.scans_per_minute}
                      for d in self.doors],
            "arrivals": [{"from": start.astimezone(zone).isoformat(), "count": count} for start, count in self.arrivals],
        }


def _slot(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute - moment.minute % 5, second=0, microsecond=0)


def live_figures(event: Event, now: datetime | None = None) -> LiveFigures:
    """The figures of the event's door now (a few small queries; cheap enough to poll)."""
    now = now or utcnow()
    confirmed = (Registration.event_id == event.id) & (Registration.status == RegistrationStatus.CONFIRMED)
    expected = db.session.scalar(select(func.count()).where(confirmed)) or 0
    arrivals_at = list(db.session.scalars(select(Registration.checked_in_at).where(
        confirmed, Registration.checked_in_at.is_not(None)).order_by(Registration.checked_in_at)))
    doors: dict[str, DoorFigures] = {}
    for door, count in db.session.execute(
            select(Registration.checkin_door, func.count())
            .where(confirmed, Registration.checked_in_at.is_not(None)).group_by(Registration.checkin_door)):
        doors.setdefault(door or "", DoorFigures(door or "")).checked_in += count
    this_minute = now.replace(second=0, microsecond=0)
    first_minute = this_minute - timedelta(minutes=RECENT_MINUTES - 1)
    for door, scanned_at in db.session.execute(
            select(CheckinScan.door, CheckinScan.scanned_at)
            .where(CheckinScan.event_id == event.id, CheckinScan.kind != ScanKind.UNDO,
                   CheckinScan.scanned_at >= first_minute, CheckinScan.scanned_at <= now)):
        index = int((scanned_at - first_minute).total_seconds() // 60)
        if 0 <= index < RECENT_MINUTES:
            doors.setdefault(door, DoorFigures(door)).scans_per_minute[index] += 1
    return LiveFigures(expected=expected, checked_in=len(arrivals_at), inside=_inside(event, len(arrivals_at)),
                       doors=sorted(doors.values(), key=lambda d: (d.door == "", d.door.casefold())),
                       arrivals=_arrivals(arrivals_at), now=now)


def _arrivals(times: list[datetime]) -> list[tuple[datetime, int]]:
    if not times:
        return []
    per_slot = Counter(_slot(moment) for moment in times)
    first, last = min(per_slot), max(per_slot)
    slots = int((last - first) / ARRIVAL_SLOT) + 1
    return [(first + i * ARRIVAL_SLOT, per_slot.get(first + i * ARRIVAL_SLOT, 0)) for i in range(slots)]


def _inside(event: Event, checked_in: int) -> int:
    """Checked-in guests whose latest scan was not an exit (all of them when no device scans exits)."""
    has_exits = db.session.scalar(select(CheckinScan.id).where(
        CheckinScan.event_id == event.id, CheckinScan.kind == ScanKind.EXIT).limit(1))
    if has_exits is None:
        return checked_in
    latest: dict[int, tuple[datetime, str]] = {}
    rows = db.session.execute(
        select(CheckinScan.registration_id, CheckinScan.scanned_at, CheckinScan.kind)
        .join(Registration, Registration.id == CheckinScan.registration_id)
        .where(CheckinScan.event_id == event.id, CheckinScan.kind != ScanKind.UNDO,
               Registration.status == RegistrationStatus.CONFIRMED, Registration.checked_in_at.is_not(None),
               CheckinScan.scanned_at >= Registration.checked_in_at)
        .order_by(CheckinScan.scanned_at, CheckinScan.id))
    for registration_id, scanned_at, kind in rows:
        latest[registration_id] = (scanned_at, kind)
    out = sum(1 for _time, kind in latest.values() if kind == ScanKind.EXIT)
    return checked_in - out


#: The columns of the check-in log's CSV: the scan's own first, then what the log adds.
LOG_COLUMNS = ("scan_id", "code", "scanned_at", "door", "device", "offline", "outcome",
               "kind", "received_at", "by", "reason")


def iter_log_csv(event: Event) -> Iterator[bytes]:
    """The event's check-in log as CSV (UTF-8 with a BOM, formula-safe as the attendee export)."""
    zone = event.zone
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(LOG_COLUMNS)
    rows = db.session.execute(
        select(CheckinScan, Organizer.email).outerjoin(Organizer, Organizer.id == CheckinScan.organizer_id)
        .where(CheckinScan.event_id == event.id).order_by(CheckinScan.scanned_at, CheckinScan.id)
        .execution_options(yield_per=2000))
    for scan, by in rows:
        writer.writerow([neutralise(value) for value in (
            scan.scan_id, scan.code, _iso(scan.scanned_at, zone), scan.door, scan.device,
            "1" if scan.offline else "0", scan.outcome, scan.kind, _iso(scan.received_at, zone),
            by or "", scan.reason)])
        if buffer.tell() >= 64 * 1024:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _iso(value: datetime, zone) -> str:
    return value.astimezone(zone).isoformat(timespec="seconds")


def arrivals_chart(figures: LiveFigures, zone, title: str, width: int = 640, height: int = 200) -> Markup:
    """Arrivals per five minutes as an inline SVG bar chart (no script); each bar names its time.

    The door app draws the same chart from ``…/checkin-stats`` in the page (``static/door/chart.js``,
    with these measures): a change here belongs there too (``tests/browser/test_door.py`` compares).
    """
    left, right, top, bottom = 40, 10, 20, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    label = escape(title, {'"': "&quot;"})
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'class="chart" aria-label="{label}"><title>{escape(title)}</title>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#888"/>']
    series = figures.arrivals
    if series:
        peak = max(count for _start, count in series) or 1
        slot = min(plot_w / len(series), 36)
        for index, (start, count) in enumerate(series):
            bar_h = plot_h * count / peak
            x = left + index * slot + slot * 0.1
            parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" width="{max(slot * 0.8, 1):.1f}" '
                         f'height="{bar_h:.1f}" fill="#b3122e"><title>{start.astimezone(zone):%H:%M}: '
                         f'{count}</title></rect>')
        parts.append(f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11">{peak}</text>')
        parts.append(f'<text x="{left}" y="{height - 8}" font-size="11">{series[0][0].astimezone(zone):%H:%M}</text>')
        if len(series) > 1:
            parts.append(f'<text x="{left + len(series) * slot:.1f}" y="{height - 8}" text-anchor="end" '
                         f'font-size="11">{series[-1][0].astimezone(zone):%H:%M}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
