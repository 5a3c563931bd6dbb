"""POST /api/v1/events/<slug>/registrations: registering with JSON, same rules as the form."""
from . import bp  # noqa: F401
