"""The statuses of events, registrations and mails, and the kinds of mail.

Each is a :class:`enum.StrEnum`: a member is its own database value (``"confirmed"``), so it
compares equal to what a query returns and is stored as it is. The check constraints of the
models are built from these, so the database refuses what the code does not know.
"""

from __future__ import annotations

from enum import StrEnum


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class RegistrationStatus(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class MailStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    #: Accepted by our relay, then refused for good by the recipient's server (a hard bounce).
    BOUNCED = "bounced"


class MailKind(StrEnum):
    CONFIRMATION = "confirmation"
    ALREADY_REGISTERED = "already_registered"
    WAITLISTED = "waitlisted"
    PROMOTED = "promoted"
    CANCELLED = "cancelled"
    REMINDER = "reminder"
    REPORT = "report"
    EVENT_CHANGED = "event_changed"
    EVENT_CANCELLED = "event_cancelled"
    #: An organizer's own message to the attendees (:class:`eventsvc.models.Message`).
    MESSAGE = "message"
    #: "Please confirm that you want to hear about follow-up events" (double opt-in).
    CONSENT = "consent"
    #: An invitation to a follow-up event, to a confirmed consent (its event is in the payload).
    INVITATION = "invitation"
    #: The last mail after a registrant erased their data: it says that it is done.
    ERASED = "erased"
    #: After the event, to those who came: the report, their certificate, the feedback form.
    THANK_YOU = "thank_you"
    #: After the event, to confirmed registrants who did not come: the report, the next events.
    MISSED_YOU = "missed_you"
    #: A password-reset link, to an organizer (the row names the organizer, no registration).
    PASSWORD_RESET = "password_reset"
    #: To a webhook endpoint's owner (or every admin): it failed for a day and was switched off.
    WEBHOOK_SWITCHED_OFF = "webhook_switched_off"


class OrganizerRole(StrEnum):
    """What an organizer account may do: every event, the events granted to it, or only their check-in."""

    ADMIN = "admin"
    ORGANIZER = "organizer"
    CHECKIN = "checkin"


class ScanKind(StrEnum):
    """What a row of the check-in log records."""

    ENTRY = "entry"
    #: A device in exit mode saw the guest leave (for the "inside now" count).
    EXIT = "exit"
    #: An organizer took a check-in back (a wrong scan), with a reason.
    UNDO = "undo"


class TokenScope(StrEnum):
    """What an API token may do: read (every token made before scopes), write, or only check in."""

    READ = "read"
    WRITE = "write"
    CHECKIN = "checkin"


#: Statuses that hold a seat or a place in line; at most one such registration per address.
LIVE_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


def one_of(column: str, values: type[StrEnum]) -> str:
    """The SQL of a check constraint: ``status IN ('draft', 'published', 'cancelled')``."""
    return f"{column} IN ({', '.join(repr(str(value)) for value in values)})"
