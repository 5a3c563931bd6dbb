"""The models, one module per domain."""

from .account_security import OrganizerSignIn, Passkey, PasswordReset, RecoveryCode
from .checkin import CheckinScan
from .consent import FollowUpConsent
from .event import Event
from .feedback import FeedbackResponse
from .mail import OutboundMail
from .message import Message
from .organizer import ApiToken, EventGrant, Organizer
from .registration import Registration
from .report import Report, ReportDownload
from .webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .statuses import LIVE_STATUSES, EventStatus, MailKind, MailStatus, OrganizerRole, RegistrationStatus, ScanKind, TokenScope

__all__ = [
    "LIVE_STATUSES", "ApiToken", "CheckinScan", "Event", "EventGrant", "FeedbackResponse", "EventStatus",
    "FollowUpConsent", "MailKind", "MailStatus", "Message", "Organizer", "OrganizerRole", "OrganizerSignIn",
    "OutboundMail", "Passkey", "PasswordReset", "RecoveryCode", "Registration", "RegistrationStatus", "Report",
    "ReportDownload", "ScanKind", "TokenScope", "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint",
]
