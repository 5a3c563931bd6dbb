"""JSON API v1: public registration, and organizer endpoints behind API tokens."""

from . import auth, door, organizer_api, registrations, writes
from .blueprint import bp

__all__ = ["auth", "bp", "door", "organizer_api", "registrations", "writes"]
