"""Letting people in at the door: the code in their confirmation's QR code, checked once.

The organizer pages check in one guest at a time through the same scan log as the door app
(``services/door.py``), so every check-in has its row in the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..extensions import db
from ..models import Event, Registration
from ..models.types import utcnow
from .door import OUTCOMES, Scan, extract_code, new_scan_id, record_scans

__all__ = ["OUTCOMES", "CheckinOutcome", "check_in", "check_in_registration", "checkin_qr_svg", "extract_code"]


def checkin_qr_svg(code: str, title: str) -> str:
    """The check-in code as an inline SVG QR code for the registrant's page (no style attribute,
    no script: it passes any Content-Security-Policy). The stylesheet sets its size."""
    import segno  # only where a QR code is drawn

    return segno.make(code, error="m").svg_inline(omitsize=True, border=2, title=title,
                                                   svgclass="qr-code", lineclass=None)


@dataclass
class CheckinOutcome:
    """The answer at the door: ``outcome`` is one of :data:`OUTCOMES`."""

    outcome: str
    registration: Registration | None = None
    checked_in_at: datetime | None = None


def check_in(event: Event, code: str, now: datetime | None = None, organizer_id: int | None = None,
             door: str = "") -> CheckinOutcome:
    """Check in the holder of ``code`` at ``event``; safe when two doors scan the same code."""
    scan = Scan(new_scan_id("web"), code, now or utcnow(), door=door, device="web")
    result = record_scans(event.id, [scan], organizer_id)[0]
    registration = result.registration
    if registration is None and result.outcome == "not_for_this_event":
        registration = db.session.query(Registration).filter_by(checkin_code=extract_code(code)).one_or_none()
    return CheckinOutcome(result.outcome, registration, result.checked_in_at)


def check_in_registration(registration_id: int, now: datetime | None = None,
                          organizer_id: int | None = None) -> CheckinOutcome:
    """Check in one registration (from the attendee page)."""
    registration = db.session.get(Registration, registration_id)
    return check_in(registration.event, registration.checkin_code, now, organizer_id)
