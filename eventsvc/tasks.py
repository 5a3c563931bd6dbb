"""Celery tasks: thin, ids in, each calls one service. Results are ignored."""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app

from .services.aftercare import send_due_follow_ups
from .services.mailing import send_from_outbox
from .services.mailing import sweep_outbox as sweep
from .services.mailing.outbox import SEND_MAIL_TASK
from .services.periodic import exclusive
from .services.privacy import purge
from .services.reminders import run_due
from .services import webhook_delivery
from .services.webhooks import DELIVER_TASK


@shared_task(name=SEND_MAIL_TASK)
def send_mail(mail_id: int) -> None:
    """Send outbox mail ``mail_id`` and, while it is at it, a batch of other due mail."""
    send_from_outbox(mail_id, keep_going=True)


log = logging.getLogger(__name__)


def _skipped(job: str) -> None:
    log.info("%s: another run holds the lock (a second beat?); skipping this turn", job)


@shared_task(name="eventsvc.sweep_outbox")
def sweep_outbox() -> None:
    """Re-enqueue mail that is overdue or stuck in sending (run by beat every minute)."""
    with exclusive("sweep-outbox") as mine:
        if not mine:
            return _skipped("sweep-outbox")
        sweep()


@shared_task(name="eventsvc.send_reminders")
def send_reminders() -> None:
    """Queue reminders and event-change notices that are due (run by beat)."""
    with exclusive("send-reminders") as mine:
        if not mine:
            return _skipped("send-reminders")
        run_due()


@shared_task(name="eventsvc.purge_personal_data")
def purge_personal_data() -> None:
    """Anonymise registrations of events that ended PRIVACY_RETENTION_DAYS ago (run by beat daily)."""
    with exclusive("purge-personal-data") as mine:
        if not mine:
            return _skipped("purge-personal-data")
        purge(current_app.config["PRIVACY_RETENTION_DAYS"])


@shared_task(name="eventsvc.send_follow_ups")
def send_follow_ups() -> None:
    """Queue the thank-you and missed-you mails of events that ended FOLLOW_UP_AFTER_HOURS ago."""
    send_due_follow_ups(current_app.config["FOLLOW_UP_AFTER_HOURS"])


@shared_task(name=DELIVER_TASK)
def deliver_webhook(delivery_id: int) -> None:
    """Send webhook delivery ``delivery_id`` (and what follows it about the same subject)."""
    webhook_delivery.deliver(delivery_id)


@shared_task(name="eventsvc.sweep_webhooks")
def sweep_webhooks() -> None:
    """Hand due webhook retries to the workers (run by beat every minute)."""
    with exclusive("sweep-webhooks") as mine:
        if not mine:
            return _skipped("sweep-webhooks")
        webhook_delivery.sweep()
