"""Pages for attendees: events, registration, the registrant's own page, report downloads, and
the form embedded on other sites."""

from . import embed  # noqa: F401  (its routes join the blueprint)
from .routes import bp

__all__ = ["bp"]
