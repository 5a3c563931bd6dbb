"""The blueprint of API v1; the routes register on it from their modules."""

import time

from flask import Blueprint, request

bp = Blueprint("api", __name__)

_STARTED = "eventsvc.api_started"


@bp.before_request
def note_start():
    request.environ[_STARTED] = time.perf_counter()


@bp.after_request
def server_timing(response):
    """``Server-Timing: app;dur=…``: the app's own time for the answer, in milliseconds, so that a
    door device (and ``bench door``) can tell the server's time from the network's."""
    started = request.environ.get(_STARTED)
    if started is not None:
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response
