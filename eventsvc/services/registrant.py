"""What visitors do through their own links: look up a registration, unsubscribe, download a report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import Registration, Report, ReportDownload
from ..models.types import utcnow
from .events import find_event
from .follow_up import withdraw_for_address
from .transaction import locked, transaction


def _plausible(key: str | None, longest: int) -> bool:
    """Whether a key from a URL could match at all (PostgreSQL refuses NUL in a query parameter)."""
    return bool(key) and len(key) <= longest and "\x00" not in key


def find_by_token(token: str) -> Registration | None:
    """The registration behind a manage link, or ``None`` for an unknown token."""
    if not _plausible(token, 64):
        return None
    return db.session.scalar(select(Registration).where(Registration.manage_token == token))


def find_by_unsubscribe_token(token: str) -> Registration | None:
    """The registration behind an unsubscribe link (a token that can do nothing else)."""
    if not _plausible(token, 64):
        return None
    return db.session.scalar(select(Registration).where(Registration.unsubscribe_token == token))


def unsubscribe(registration_id: int, now: datetime | None = None) -> Registration:
    """Stop non-essential mail (RFC 8058 one-click) and withdraw the consent to follow-up news.

    Safe to call twice: the first time is kept.
    """
    now = now or utcnow()
    with locked(Registration, registration_id) as registration:
        if registration.unsubscribed_at is None:
            registration.unsubscribed_at = now
        registration.marketing_consent_at = None
        withdraw_for_address(registration.email, now)
    return registration


def published_reports() -> list[Report]:
    """Every published edition of the report, English first."""
    order = {"en": 0, "zh": 1, "de": 2}
    return sorted(db.session.scalars(select(Report)), key=lambda r: order.get(r.language, 9))


def record_report_download(language: str, event_slug: str | None,
                           now: datetime | None = None) -> Report | None:
    """Count one click on a report link; returns the edition, or ``None`` when there is none."""
    if not _plausible(language, 5):
        return None
    with transaction():
        report = db.session.scalar(select(Report).where(Report.language == language))
        if report is None:
            return None
        event = find_event(event_slug) if event_slug else None
        event_id = event.id if event else None
        db.session.add(ReportDownload(report=report, event_id=event_id, downloaded_at=now or utcnow()))
    return report
