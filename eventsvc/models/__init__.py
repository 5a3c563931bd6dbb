"""The models, one module per domain."""

from .event import Event
from .mail import OutboundMail
from .organizer import ApiToken, Organizer
from .registration import Registration
from .report import Report, ReportDownload

__all__ = ["ApiToken", "Event", "Organizer", "OutboundMail", "Registration", "Report", "ReportDownload"]
