"""Letting people in at the door: the code in their confirmation's QR code, checked once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import segno
from sqlalchemy import select, update

from ..extensions import db
from ..models import Event, Registration, RegistrationStatus
from ..models.types import utcnow
from .transaction import transaction
from .webhooks import emit_registration

#: What a check-in attempt can come to; the page shows one clear sentence for each.
OUTCOMES = ("checked_in", "already_checked_in", "cancelled", "waitlisted", "not_for_this_event", "unknown")
_CODE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def checkin_qr_svg(code: str, title: str) -> str:
    """The check-in code as an inline SVG QR code for the registrant's page (no style attribute,
    no script: it passes any Content-Security-Policy). The stylesheet sets its size."""
    return segno.make(code, error="m").svg_inline(omitsize=True, border=2, title=title,
                                                   svgclass="qr-code", lineclass=None)


@dataclass
class CheckinOutcome:
    """The answer at the door: ``outcome`` is one of :data:`OUTCOMES`."""

    outcome: str
    registration: Registration | None = None
    checked_in_at: datetime | None = None


def extract_code(text: str) -> str:
    """The check-in code from what was typed or scanned: the code itself or a URL holding it
    (as the last path segment or in ``?code=``)."""
    text = (text or "").strip()
    if "/" in text or "?" in text:
        parts = urlsplit(text)
        query_code = parse_qs(parts.query).get("code")
        if query_code:
            return query_code[0].strip()
        segments = [s for s in parts.path.split("/") if s]
        return segments[-1] if segments else ""
    return text


def check_in(event: Event, code: str, now: datetime | None = None) -> CheckinOutcome:
    """Check in the holder of ``code`` at ``event``; safe when two doors scan the same code."""
    code = extract_code(code)
    if not _CODE.match(code):
        return CheckinOutcome("unknown")
    registration = db.session.scalar(select(Registration).where(Registration.checkin_code == code))
    if registration is None:
        return CheckinOutcome("unknown")
    if registration.event_id != event.id:
        return CheckinOutcome("not_for_this_event", registration)
    return check_in_registration(registration.id, now)


def check_in_registration(registration_id: int, now: datetime | None = None) -> CheckinOutcome:
    """Check in one registration (from the attendee page or a scanned code)."""
    now = now or utcnow()
    # One conditional UPDATE: of two doors scanning the same code at once, exactly one wins.
    with transaction():
        result = db.session.execute(
            update(Registration)
            .where(Registration.id == registration_id, Registration.status == RegistrationStatus.CONFIRMED,
                   Registration.checked_in_at.is_(None))
            .values(checked_in_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # the CRM hears of it with the change, or not at all
            emit_registration("registration.checked_in",
                              db.session.get(Registration, registration_id, populate_existing=True), now)
    registration = db.session.get(Registration, registration_id, populate_existing=True)
    if result.rowcount == 1:
        return CheckinOutcome("checked_in", registration, registration.checked_in_at)
    if registration.status == RegistrationStatus.CANCELLED:
        return CheckinOutcome("cancelled", registration)
    if registration.checked_in_at is not None:
        return CheckinOutcome("already_checked_in", registration, registration.checked_in_at)
    return CheckinOutcome("waitlisted", registration)
