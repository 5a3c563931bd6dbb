"""JSON API v1: public registration, and organizer endpoints behind API tokens."""

from . import organizer_api, registrations
from .blueprint import bp

__all__ = ["bp", "organizer_api", "registrations"]
