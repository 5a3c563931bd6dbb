"""The blueprint of API v1; the routes register on it from their modules."""

from flask import Blueprint

bp = Blueprint("api", __name__)
