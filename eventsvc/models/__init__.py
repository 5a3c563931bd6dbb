"""The models, one module per domain."""

from .consent import FollowUpConsent
from .event import Event
from .mail import OutboundMail
from .message import Message
from .organizer import ApiToken, Organizer
from .registration import Registration
from .report import Report, ReportDownload
from .statuses import LIVE_STATUSES, EventStatus, MailKind, MailStatus, RegistrationStatus

__all__ = [
    "LIVE_STATUSES", "ApiToken", "Event", "EventStatus", "FollowUpConsent", "MailKind", "MailStatus", "Message", "Organizer",
    "OutboundMail", "Registration", "RegistrationStatus", "Report", "ReportDownload",
]
