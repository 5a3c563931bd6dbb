"""Loading the logged-in organizer for Flask-Login."""

from __future__ import annotations

from ..extensions import db
from ..models import Organizer


def load_organizer(organizer_id: str) -> Organizer | None:
    try:
        return db.session.get(Organizer, int(organizer_id))
    except ValueError:
        return None
