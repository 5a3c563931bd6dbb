"""Bounces: which mail of ours a returned message is about, and whether it is a hard bounce.

With ``MAIL_BOUNCE_ADDRESS`` set, every mail leaves with its own envelope sender
(``bounces+<mail id>-<signature>@…``, :func:`.delivery.envelope_sender`), so a bounce names its
mail by the address it is sent back to, without guessing from its text; a forged or unsigned
address names nothing. Whether it is a permanent failure is read by flufl.bounce, which knows
RFC 3464 delivery status notifications and the usual non-standard forms. A hard bounce marks
that one mail ``bounced`` with the diagnostic and its registration's address as bouncing;
delays and out-of-office replies change nothing. Nothing else is ever changed by a bounce. A
bounce for a registration whose data was erased is counted (outcome ``erased``) and dropped:
its text repeats the address.
"""

from __future__ import annotations

import logging
import mailbox
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from email.utils import getaddresses
from pathlib import Path

from sqlalchemy.exc import NoResultFound

from ...models import MailStatus, OutboundMail, Registration
from ...models.types import utcnow
from ..transaction import lock, transaction
from ..webhooks import emit_registration
from .delivery import mail_id_from_bounce_address

log = logging.getLogger(__name__)

#: Headers that may carry the address a bounce was sent back to, when the envelope is not known.
_ADDRESSED_TO = ("Delivered-To", "X-Original-To", "Envelope-To", "To")


@dataclass
class BounceOutcome:
    """What one returned message came to: ``bounced``, ``not_a_hard_bounce``, ``erased`` (about an
    erased registration: dropped) or ``ignored``."""

    outcome: str
    mail_id: int | None = None
    diagnostic: str = ""


def _mail_named(recipients: list[str]) -> int | None:
    for address in recipients:
        mail_id = mail_id_from_bounce_address(address)
        if mail_id is not None:
            return mail_id
    return None


def diagnostic_of(message: Message) -> str:
    """The receiving server's words: the DSN's Diagnostic-Code, else its Status."""
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        fields = {}
        for block in part.get_payload() or []:
            for name in ("Diagnostic-Code", "Status", "Action"):
                if block.get(name) and name not in fields:
                    fields[name] = " ".join(str(block[name]).split())
        if fields.get("Diagnostic-Code"):
            return fields["Diagnostic-Code"].removeprefix("smtp;").strip()
        if fields.get("Status"):
            return f"status {fields['Status']}"
    return "the recipient's server refused the mail for good"


def record_bounce(raw: bytes, recipients: list[str] | None = None) -> BounceOutcome:
    """Read one returned message (sent to ``recipients``, or to the addresses in its headers)."""
    message = message_from_bytes(raw)
    if recipients is None:
        recipients = [address for _, address in getaddresses(
            [value for name in _ADDRESSED_TO for value in message.get_all(name, [])])]
    mail_id = _mail_named(recipients)
    if mail_id is None:
        log.info("returned message names no mail of ours (or a wrong signature); dropped")
        return BounceOutcome("ignored")
    try:
        from flufl.bounce import all_failures  # only where a bounce is read: a web worker never does

        _temporary, permanent = all_failures(message)
    except Exception:  # noqa: BLE001 - a message no detector can read changes nothing
        log.warning("could not read the returned message for mail %s; dropped", mail_id)
        return BounceOutcome("ignored", mail_id)
    if not permanent:
        return BounceOutcome("not_a_hard_bounce", mail_id)
    diagnostic = diagnostic_of(message)[:1000]
    with transaction():
        try:
            mail = lock(OutboundMail, mail_id)
        except NoResultFound:
            return BounceOutcome("ignored", mail_id)
        if mail.registration_id is None:  # a mail to an organizer: no registration to mark
            mail.status = MailStatus.BOUNCED
            mail.last_error = f"bounced: {diagnostic}"
            log.info("mail %s to an organizer bounced", mail_id)
            return BounceOutcome("bounced", mail_id, diagnostic)
        registration = lock(Registration, mail.registration_id)
        if registration.erased_at is not None:
            # The registrant erased their data: the bounce repeats the address, keep none of it.
            log.info("mail %s bounced after its registrant's erasure; dropped", mail_id)
            return BounceOutcome("erased", mail_id)
        mail.status = MailStatus.BOUNCED
        mail.last_error = f"bounced: {diagnostic}"
        registration.email_bounced_at = utcnow()
        emit_registration("mail.bounced", registration, registration.email_bounced_at,
                          mail={"kind": mail.kind, "diagnostic": diagnostic})
    log.info("mail %s bounced", mail_id)  # no address in the log line
    return BounceOutcome("bounced", mail_id, diagnostic)


def import_bounces(path: str | Path) -> dict[str, int]:
    """Read every message of a Maildir (a folder) or an mbox file; counts per outcome."""
    path = Path(path)
    box = mailbox.Maildir(path, factory=None, create=False) if path.is_dir() else mailbox.mbox(path, create=False)
    counts = {"bounced": 0, "not_a_hard_bounce": 0, "erased": 0, "ignored": 0}
    try:
        for key in box.iterkeys():
            counts[record_bounce(box.get_bytes(key)).outcome] += 1
    finally:
        box.close()
    return counts
