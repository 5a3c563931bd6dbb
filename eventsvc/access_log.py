"""Access logs without registrants' tokens: gunicorn's and the development server's.

A private link (``/r/<token>``, ``/consent/<token>``, ``/unsubscribe/<token>``,
``/organizer/password-reset/<token>``) is a credential: whoever reads it in a log can see,
change, cancel or erase a registration, or take over an organizer's account. Access logs are
kept for weeks and read by people who should not hold those powers, so the token becomes
``***`` in the request line, the path, the Referer (a page under such a link sends it on) and
every other field of the line.

- gunicorn: :class:`MaskingLogger`, named as ``logger_class`` in the project's
  ``gunicorn.conf.py`` (gunicorn reads it from the directory it starts in), or
  ``--logger-class eventsvc.access_log.MaskingLogger``.
- the development server (``flask run``): :func:`init_app` puts :class:`MaskingFilter` on the
  ``werkzeug`` logger.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

#: The paths whose next segment is a secret token.
_TOKEN_PATH = re.compile(r"(/(?:r|consent|unsubscribe|organizer/password-reset)/)([^/?#\s\"']+)")
#: A token sent as a query parameter (``?token=…``), whatever the path.
_TOKEN_QUERY = re.compile(r"([?&]token=)([^&#\s\"']+)", re.IGNORECASE)


def mask_tokens(text: str) -> str:
    """``GET /r/Xy12…/data HTTP/1.1`` as ``GET /r/***/data HTTP/1.1``."""
    return _TOKEN_QUERY.sub(r"\1***", _TOKEN_PATH.sub(r"\1***", text))


class MaskingFilter(logging.Filter):
    """Masks tokens in a log record's message and arguments (the development server's request
    line is an argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask_tokens(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: mask_tokens(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


_FILTER = MaskingFilter()


def init_app(app: Flask) -> None:
    """Mask tokens in the development server's request log (``werkzeug`` logger)."""
    logger = logging.getLogger("werkzeug")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)


def __getattr__(name: str):
    """``MaskingLogger`` is made when gunicorn asks for it: a process that gunicorn does not run
    (a worker, a command) never imports gunicorn."""
    if name != "MaskingLogger":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from gunicorn.glogging import Logger

    class MaskingLogger(Logger):
        """gunicorn's logger with every field of the access log line masked (request line,
        path, Referer, any header or environ value a custom ``access_log_format`` names)."""

        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            return {key: mask_tokens(value) if isinstance(value, str) else value for key, value in atoms.items()}

    MaskingLogger.__qualname__ = "MaskingLogger"  # named as if made at the module's top
    globals()["MaskingLogger"] = MaskingLogger
    return MaskingLogger
