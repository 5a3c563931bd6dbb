"""Running as a service: metrics for Prometheus, logs (text or JSON with a request id), error
reports to Sentry. Each part reads its settings in ``init_app``; a malformed one stops the app
at start with the setting named (:class:`SettingError`).
"""

from __future__ import annotations

from flask import Flask

from . import errors, logs, metrics
from .settings import SettingError

__all__ = ["SettingError", "init_app"]


def init_app(app: Flask, serve_metrics: bool = True) -> None:
    """Logs, error reports and metrics; ``serve_metrics`` false (a worker) reads the metrics'
    settings without adding the page."""
    logs.init_app(app)
    errors.init_app(app)
    metrics.init_app(app, serve=serve_metrics)
