"""Organizer API: events, registrations (token auth), OpenAPI document."""
from . import bp  # noqa: F401
