"""Pages for attendees: events, registration, the registrant's own page, report downloads."""

from .routes import bp

__all__ = ["bp"]
