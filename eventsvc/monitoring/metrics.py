"""``GET /metrics`` in Prometheus' text format.

Two kinds of figures:

* the request durations of this process, a histogram by Flask endpoint. Under gunicorn each
  worker is a process of its own: with ``PROMETHEUS_MULTIPROC_DIR`` set (deploy/gunicorn.conf.py
  sets it before the app is imported, empties it at start and marks exited workers dead),
  prometheus_client writes them to files there and every worker answers with the sum;
* figures about stored things (registrations, the outbox, mail results, bounces, check-ins),
  read from the database at scrape time by :class:`StoredFiguresCollector`, so every worker and
  host shows the same numbers.

Only a request with ``METRICS_TOKEN`` as its bearer token or from a ``METRICS_ALLOW_FROM``
network sees them; anyone else gets the site's ordinary 404, no hint that the page exists.
Where neither is set nobody can read the durations, so none are recorded.

prometheus_client is imported at the first request a process times or the first scrape it
answers, never at start: the mail worker, beat and the ``flask`` commands serve no pages and do
not load it (docs/benchmarks.md, "bench memory").
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
import time
from typing import TYPE_CHECKING

from flask import Flask, Response, abort, current_app, g, request
from sqlalchemy.exc import SQLAlchemyError

from ..services.figures import stored_figures
from .settings import parse_networks

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Histogram

log = logging.getLogger(__name__)

#: Seconds; the long tail is for exports of large attendee lists.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

_histogram: Histogram | None = None
_making = threading.RLock()  # the registry's maker makes the histogram too


def request_duration() -> Histogram:
    """The request histogram of this process, made when it times its first request (once, even
    with threads: a second one would overwrite the first's counts).

    In multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, which deploy/gunicorn.conf.py sets before
    the app is imported) its values go to this worker's own file in that directory.
    """
    global _histogram
    if _histogram is None:
        with _making:
            if _histogram is None:
                from prometheus_client import Histogram

                _histogram = Histogram(
                    "eventsvc_http_request_duration_seconds", "Time to answer a request, by Flask endpoint.",
                    ["endpoint"], buckets=BUCKETS, registry=None)
    return _histogram


class StoredFiguresCollector:
    """Figures about stored things, read from the database at each scrape."""

    def describe(self):
        return []

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        try:
            figures = stored_figures()
        except SQLAlchemyError as error:
            log.warning("metrics: the database did not answer (%s)", type(error).__name__)
            yield GaugeMetricFamily("eventsvc_database_up", "Whether the database answered this scrape.", 0)
            return
        yield GaugeMetricFamily("eventsvc_database_up", "Whether the database answered this scrape.", 1)
        registrations = CounterMetricFamily(
            "eventsvc_registrations", "Registrations by event slug and status (confirmed, waitlisted, cancelled).",
            labels=["event", "status"])
        for (event, status), count in sorted(figures.registrations.items()):
            registrations.add_metric([event, status], count)
        yield registrations
        outbox = GaugeMetricFamily(
            "eventsvc_outbox_mails", "Mails in the outbox by status and the relay of their last attempt.",
            labels=["status", "relay"])
        for (status, relay), count in sorted(figures.outbox.items()):
            outbox.add_metric([status, relay], count)
        yield outbox
        yield GaugeMetricFamily(
            "eventsvc_outbox_oldest_queued_seconds",
            "How long the longest-waiting due mail has waited to be sent (0: nothing waits).",
            figures.oldest_queued_seconds)
        results = CounterMetricFamily(
            "eventsvc_mail_sent", "Mails a relay accepted (result=sent) or refused for good (result=failed).",
            labels=["relay", "result"])
        for (relay, result), count in sorted(figures.mail_results.items()):
            results.add_metric([relay, result], count)
        yield results
        yield CounterMetricFamily("eventsvc_bounces", "Mails that came back as a hard bounce.", figures.bounces)
        checkins = CounterMetricFamily("eventsvc_checkins", "Registrants checked in, by event slug and door.",
                                       labels=["event", "door"])
        for (event, door), count in sorted(figures.checkins.items()):
            checkins.add_metric([event, door], count)
        yield checkins


def _registry() -> CollectorRegistry:
    """What a scrape reads, made at this process's first scrape."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(request_duration())
    registry.register(StoredFiguresCollector())
    return registry


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN") or ""
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip().encode(), token.encode()):
        return True
    networks = current_app.extensions["eventsvc.metrics_networks"]
    if networks and request.remote_addr:
        try:
            address = ipaddress.ip_address(request.remote_addr)
        except ValueError:
            return False
        return any(address in network for network in networks)
    return False


def metrics_view() -> Response:
    """The figures, for Prometheus; a 404 to anyone without the token or an allowed address."""
    if not _allowed():
        abort(404)
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    extensions = current_app.extensions
    if "eventsvc.metrics_registry" not in extensions:
        with _making:
            if "eventsvc.metrics_registry" not in extensions:
                extensions["eventsvc.metrics_registry"] = _registry()
    return Response(generate_latest(extensions["eventsvc.metrics_registry"]), mimetype=CONTENT_TYPE_LATEST)


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe(_error=None) -> None:
    started = g.pop("metrics_started", None)
    if started is not None:
        request_duration().labels(request.endpoint or "unmatched").observe(time.perf_counter() - started)


def init_app(app: Flask, serve: bool = True) -> None:
    """Read the settings (a worker too stops on a malformed one); where the app serves pages
    (``serve``), add ``/metrics`` and time the requests."""
    networks = parse_networks(app.config.get("METRICS_ALLOW_FROM", ""))
    app.extensions["eventsvc.metrics_networks"] = networks
    if not serve:
        return
    from ..web_extensions import csrf, limiter

    app.add_url_rule("/metrics", "metrics", metrics_view)
    view = app.view_functions["metrics"]
    csrf.exempt(view)
    limiter.exempt(view)
    if app.config.get("METRICS_TOKEN") or networks:
        app.before_request(_start_timer)
        app.teardown_request(_observe)
