"""Pages for attendees: events, registration, the registrant's own page, report downloads."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from . import routes  # noqa: E402,F401 - registers the routes on bp
