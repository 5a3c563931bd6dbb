"""API routes."""
from . import bp  # noqa: F401
