"""``python -m eventsvc.bounces``: the listener the relay or MX forwards bounces to.

An SMTP server (``--lmtp`` for LMTP) on ``BOUNCE_PORT`` (127.0.0.1 unless ``--host`` says
otherwise) that accepts anything addressed to the bounce address and hands each message to
:func:`eventsvc.services.mailing.bounces.record_bounce`. It answers 250 to every message it could
read, ours or not, so that a relay does not keep retrying what we drop on purpose.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from flask import Flask

from . import create_app
from .services.mailing.bounces import record_bounce

log = logging.getLogger("eventsvc.bounces")


class BounceHandler:
    """aiosmtpd handler: one returned message at a time, in the app's context."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    async def handle_DATA(self, server, session, envelope) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        with self.app.app_context():
            try:
                outcome = record_bounce(raw, list(envelope.rcpt_tos))
            except Exception:  # noqa: BLE001 - a broken message must not stop the listener
                log.exception("could not record a returned message")
                return "451 4.3.0 could not record the message, try again later"
        log.info("returned message: %s", outcome.outcome)
        return "250 2.0.0 OK"


class LMTPController(Controller):
    def factory(self):
        return LMTP(self.handler, **self.SMTP_kwargs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m eventsvc.bounces", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default BOUNCE_PORT, 8026)")
    parser.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app()
    port = args.port or app.config["BOUNCE_PORT"]
    controller_class = LMTPController if args.lmtp else Controller
    controller = controller_class(BounceHandler(app), hostname=args.host, port=port,
                                  server_hostname="bounces", data_size_limit=10_000_000)
    controller.start()
    print(f"Listening for bounces ({'LMTP' if args.lmtp else 'SMTP'}) on {args.host}:{port}", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
