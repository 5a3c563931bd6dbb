"""``python -m eventsvc.devsmtp``: the local SMTP server that ``make run`` starts.

It accepts every message on 127.0.0.1:MAIL_PORT (8025 unless set) and keeps it in a Maildir,
``instance/maildir/`` (one file per mail in ``new/``; any mail client opens them), printing a line
per mail. Nothing leaves the machine. For development only: it has no authentication and no TLS.
"""

from __future__ import annotations

import argparse
import email
import mailbox
import os
import signal
import threading
from datetime import datetime
from email import policy
from pathlib import Path

from aiosmtpd.controller import Controller

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class MaildirHandler:
    """aiosmtpd handler: store each message in the Maildir and say so on standard output."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.maildir = mailbox.Maildir(str(path), create=True)

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode()
        key = self.maildir.add(mailbox.MaildirMessage(raw))
        subject = email.message_from_bytes(raw, policy=policy.default)["Subject"] or ""
        stamp = datetime.now().strftime("%H:%M:%S")
        print(f"{stamp} mail to {', '.join(envelope.rcpt_tos)}: {subject}\n"
              f"         {self.path / 'new' / key}", flush=True)
        return "250 Message accepted for delivery"


def main(argv: list[str] | None = None) -> None:
    """Run until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("MAIL_PORT") or 8025))
    instance = Path(os.environ.get("EVENTSVC_INSTANCE_PATH", PROJECT_ROOT / "instance"))
    parser.add_argument("--maildir", type=Path, default=instance / "maildir")
    args = parser.parse_args(argv)

    args.maildir.parent.mkdir(parents=True, exist_ok=True)
    handler = MaildirHandler(args.maildir)
    # server_hostname: no slow host-name lookup; a generous size limit for calendar and QR parts.
    controller = Controller(handler, hostname=args.host, port=args.port,
                            server_hostname="localhost", data_size_limit=25_000_000)
    controller.start()
    print(f"SMTP server on {args.host}:{args.port}; mail is kept in {args.maildir / 'new'}", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
