"""Logs: text (the default) or, with ``LOG_FORMAT=json``, one JSON object per line, each with the
``request_id`` of the request it belongs to.

The id comes from the request's ``X-Request-ID`` header (nginx sets one, ``deploy/nginx``) or is
made here, is sent back in the answer's ``X-Request-ID``, and travels with every Celery task the
request enqueues (a message header), so the worker's line for a mail names the registration's
request. A task enqueued by no request (beat's) carries its own task id instead.

In JSON mode the root logger writes to stderr through :class:`JsonFormatter`; Celery's own
logging is replaced through its ``setup_logging`` signal, Python warnings are captured, and
gunicorn's lines use the same formatter (``deploy/gunicorn.conf.py``). Celery's start-up banner is
printed, not logged: the units start worker and beat with ``--quiet``. Mail addresses in a line
are redacted to their domain, as the mail pipeline's own lines always were.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import uuid

from celery import signals
from flask import Flask, g, request
from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

from .settings import SettingError

FORMATS = ("text", "json")
#: The id a line belongs to: set per request in the web, per task in the worker.
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_ADDRESS = re.compile(r"[^\s<>\"'(),;:@]+@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})")
_HANDLER_MARK = "_eventsvc_json"


def log_format(value: str | None) -> str:
    value = (value or "text").strip().lower()
    if value not in FORMATS:
        raise SettingError(f"LOG_FORMAT: {value!r} is not a log format; use text (the default) or json")
    return value


class RequestIdFilter(logging.Filter):
    """Gives every record the current ``request_id`` and keeps mail addresses out of it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        message = record.getMessage()
        redacted = _ADDRESS.sub(r"…@\1", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class JsonFormatter(_BaseJsonFormatter):
    """time, level, logger, message, request_id (and the traceback as ``exc_info``), one line."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s", *args, **kwargs)

    def add_fields(self, log_record, record, message_dict) -> None:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        super().add_fields(log_record, record, message_dict)


def json_handler(stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    setattr(handler, _HANDLER_MARK, True)
    return handler


def configure_json_logging(level: int = logging.INFO) -> None:
    """Make every logger of this process write JSON lines to stderr (once per process)."""
    root = logging.getLogger()
    if any(getattr(handler, _HANDLER_MARK, False) for handler in root.handlers):
        return
    root.handlers = [json_handler()]
    root.setLevel(level)
    for name in ("celery", "celery.task", "celery.redirected", "gunicorn.error", "gunicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    logging.captureWarnings(True)


# The web: an id per request. --------------------------------------------------------------


def _start_request() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    request_id = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex
    g.request_id = request_id
    g.request_id_token = current_request_id.set(request_id)


def _answer_with_id(response):
    request_id = g.get("request_id")
    if request_id:
        response.headers["X-Request-ID"] = request_id
    return response


def _end_request(_error=None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        current_request_id.reset(token)


# Celery: the id travels in a message header. ----------------------------------------------


@signals.before_task_publish.connect(dispatch_uid="eventsvc.request_id.publish")
def _send_request_id(headers=None, **_kwargs) -> None:
    request_id = current_request_id.get()
    if request_id and headers is not None and "request_id" not in headers:
        headers["request_id"] = request_id


@signals.task_prerun.connect(dispatch_uid="eventsvc.request_id.prerun")
def _take_request_id(task=None, task_id=None, **_kwargs) -> None:
    context = getattr(task, "request", None)
    request_id = None
    if context is not None:
        request_id = getattr(context, "request_id", None) or (getattr(context, "headers", None) or {}).get("request_id")
    current_request_id.set(request_id or task_id)


@signals.task_postrun.connect(dispatch_uid="eventsvc.request_id.postrun")
def _drop_request_id(**_kwargs) -> None:
    current_request_id.set(None)


def _celery_logging(**_kwargs) -> None:
    """Celery's setup_logging signal: with a receiver, Celery leaves logging to us."""
    configure_json_logging()


def init_app(app: Flask) -> None:
    app.config["LOG_FORMAT"] = log_format(app.config.get("LOG_FORMAT"))
    app.before_request(_start_request)
    app.after_request(_answer_with_id)
    app.teardown_request(_end_request)
    if app.config["LOG_FORMAT"] == "json" and not app.testing:
        configure_json_logging()
        signals.setup_logging.connect(_celery_logging, dispatch_uid="eventsvc.json_logging", weak=False)
