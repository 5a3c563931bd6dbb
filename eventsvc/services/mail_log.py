"""The mail log: every mail of the service, its fate, and a second chance for failed ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Event, MailStatus, OutboundMail, Registration
from ..models.types import utcnow
from .mailing.outbox import enqueue_send
from .transaction import transaction

#: Filters of the mail log and the statuses each shows (pending: waiting or in the worker's hands).
MAIL_FILTERS = {
    "failed": (MailStatus.FAILED,),
    "pending": (MailStatus.QUEUED, MailStatus.SENDING),
    "sent": (MailStatus.SENT,),
    "bounced": (MailStatus.BOUNCED,),
}
PER_PAGE = 100


@dataclass
class MailLogPage:
    rows: list[tuple[OutboundMail, Registration, Event]]
    total: int
    page: int
    pages: int


def _of_events(event_ids: set[int] | None) -> list:
    """The condition that keeps an organizer to their events (``None``: every event)."""
    return [] if event_ids is None else [Registration.event_id.in_(event_ids)]


def mail_log(status_filter: str | None = None, page: int = 1, per_page: int = PER_PAGE,
             event: Event | None = None, event_ids: set[int] | None = None) -> MailLogPage:
    """Mails, newest first, with their registrant and event (only of ``event_ids`` when given)."""
    conditions = _of_events(event_ids)
    if status_filter in MAIL_FILTERS:
        conditions.append(OutboundMail.status.in_(MAIL_FILTERS[status_filter]))
    if event is not None:
        conditions.append(Registration.event_id == event.id)
    base = (select(OutboundMail, Registration, Event)
            .join(Registration, OutboundMail.registration_id == Registration.id)
            .join(Event, Registration.event_id == Event.id)
            .where(*conditions))
    total = db.session.scalar(
        select(func.count()).select_from(OutboundMail)
        .join(Registration, OutboundMail.registration_id == Registration.id).where(*conditions)
    )
    pages = max((total + per_page - 1) // per_page, 1)
    page = min(max(page, 1), pages)
    rows = [tuple(row) for row in db.session.execute(
        base.order_by(OutboundMail.id.desc()).offset((page - 1) * per_page).limit(per_page)
    )]
    return MailLogPage(rows, total, page, pages)


def status_counts(event_ids: set[int] | None = None) -> dict[str, int]:
    """How many mails are in each status, for the filter tabs."""
    counts = dict(db.session.execute(
        select(OutboundMail.status, func.count())
        .join(Registration, OutboundMail.registration_id == Registration.id)
        .where(*_of_events(event_ids)).group_by(OutboundMail.status)
    ).all())
    return {name: sum(counts.get(s, 0) for s in statuses) for name, statuses in MAIL_FILTERS.items()}


def retry_mail(mail_id: int, now: datetime | None = None, event_ids: set[int] | None = None) -> bool:
    """Put a failed mail back in the queue, due now, and hint the worker after the commit.

    The attempt counter starts again from zero, so the mail gets the whole retry schedule once
    more; the last error stays visible until a new attempt replaces it. Returns whether the mail
    was failed (anything else is left alone) and, with ``event_ids``, of one of those events.
    """
    if event_ids is not None:
        event_id = db.session.scalar(select(Registration.event_id).join(
            OutboundMail, OutboundMail.registration_id == Registration.id).where(OutboundMail.id == mail_id))
        if event_id not in event_ids:
            return False
    # A conditional UPDATE: two organizers pressing "retry" at once queue the mail once.
    with transaction():
        result = db.session.execute(
            update(OutboundMail)
            .where(OutboundMail.id == mail_id, OutboundMail.status == MailStatus.FAILED)
            .values(status=MailStatus.QUEUED, attempts=0, next_attempt_at=now or utcnow(),
                    lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
    if result.rowcount != 1:
        return False
    enqueue_send([mail_id])
    return True
