"""Publishing a report edition, and telling every registrant who wants it.

``publish_report("zh", url)`` creates (or updates) the edition for that language and queues a
``report`` mail, keyed ``report:zh``, for every live registrant who wants the report and has not
unsubscribed. Someone registered for several events gets one mail, not one per event (through
their latest registration). Publishing again (a corrected URL) updates the edition and mails
only those who have not had it yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..config import LANGUAGES
from ..extensions import db
from ..models import LIVE_STATUSES, MailKind, OutboundMail, Registration, Report
from ..models.types import utcnow
from .mailing.bulk import queue_for_each
from .transaction import transaction

#: The report's title in each language, when the organizer gives none.
DEFAULT_TITLES = {
    "en": "Smart City China: China's Urban Future",
    "zh": "智慧城市中国：中国城市的未来",
    "de": "Smart City China: Chinas urbane Zukunft",
}


#: What a report link says of its edition, in the reader's language: "英文版", "englische Fassung".
EDITION_NAMES = {"en": _l("English edition"), "zh": _l("Chinese edition"), "de": _l("German edition")}


def edition_name(language: str) -> str:
    """The edition of ``language`` named in the current locale's language."""
    return str(EDITION_NAMES.get(language, language))


#: The English edition that comes with the bundled events: OAV's site, where the report is
#: downloaded. Organizers point it at the file itself with ``reports publish --language en``.
SEED_EDITION = {"language": "en", "url": "https://www.oav.de/"}


class ReportError(Exception):
    """The edition cannot be published as asked (unknown language, unusable URL)."""


@dataclass
class PublishResult:
    report: Report
    mails_queued: int


def publish_report(language: str, url: str, title: str | None = None,
                   now: datetime | None = None) -> PublishResult:
    """Publish the ``language`` edition at ``url`` and queue its mail for everyone who wants it."""
    if language not in LANGUAGES:
        raise ReportError(f"Unknown language {language!r}; choose one of {', '.join(LANGUAGES)}.")
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise ReportError(f"The URL must be an absolute http(s) address, not {url!r}.")
    title = " ".join((title or DEFAULT_TITLES[language]).split())
    if not title or len(title) > 300:
        raise ReportError("The title must have between 1 and 300 characters.")

    with transaction():
        report = db.session.scalar(select(Report).where(Report.language == language))
        if report is None:
            report = Report(language=language, title=title, url=url, published_at=now or utcnow())
            db.session.add(report)
        else:
            report.title, report.url = title, url

    dedupe_key = f"report:{language}"
    already_mailed = (
        select(Registration.email)
        .join(OutboundMail, OutboundMail.registration_id == Registration.id)
        .where(OutboundMail.dedupe_key == dedupe_key)
    )
    latest_per_address = (
        select(func.max(Registration.id))
        .where(Registration.status.in_(LIVE_STATUSES), Registration.wants_report.is_(True),
               Registration.unsubscribed_at.is_(None), Registration.email.not_in(already_mailed))
        .group_by(Registration.email)
    )
    queued = queue_for_each(latest_per_address, MailKind.REPORT, dedupe_key, {"language": language})
    db.session.refresh(report)
    return PublishResult(report=report, mails_queued=queued)


def seed_edition() -> bool:
    """Add the bundled English edition unless one exists; returns whether it was added.

    Seeding sets up the starting state, so it mails nobody; ``publish_report`` is the
    announcement.
    """
    language = SEED_EDITION["language"]
    with transaction():
        if db.session.scalar(select(Report.id).where(Report.language == language)) is not None:
            return False
        db.session.add(Report(language=language, title=DEFAULT_TITLES[language], url=SEED_EDITION["url"]))
    return True
