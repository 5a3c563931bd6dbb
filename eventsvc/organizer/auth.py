"""Loading the logged-in organizer for Flask-Login."""

from __future__ import annotations

from ..models import Organizer
from ..services.organizers import organizer_by_id


def load_organizer(organizer_id: str) -> Organizer | None:
    """Flask-Login's user loader: the organizer the session cookie names."""
    return organizer_by_id(organizer_id)
