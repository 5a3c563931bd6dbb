"""JSON API v1: public registration, and organizer endpoints behind API tokens."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from . import organizer_api, registrations  # noqa: E402,F401 - registers the routes on bp
