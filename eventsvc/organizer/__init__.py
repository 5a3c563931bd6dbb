"""Pages for organizers: login, events, attendees, exports, check-in, mail log."""

from flask import Blueprint

bp = Blueprint("organizer", __name__)

from . import routes  # noqa: E402,F401 - registers the routes on bp
