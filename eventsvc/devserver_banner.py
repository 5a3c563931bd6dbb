"""``python -m eventsvc.devserver_banner``: what ``make run`` prints before the processes start."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def banner() -> str:
    """Where everything is when the service runs on the embedded defaults."""
    port = os.environ.get("PORT", "5000")
    site = f"http://localhost:{port}"
    instance = Path(os.environ.get("EVENTSVC_INSTANCE_PATH", PROJECT_ROOT / "instance"))
    try:
        maildir = (instance / "maildir" / "new").relative_to(Path.cwd())
    except ValueError:
        maildir = instance / "maildir" / "new"
    line = "-" * 72
    return "\n".join([
        line,
        "eventsvc is starting: web, worker, beat and a local SMTP server (Ctrl-C stops all).",
        "",
        f"  Site                {site}/",
        f"  Organizer login     {site}/organizer/login",
        f"  Mail that was sent  {maildir}/  (one file per mail; open it in any mail client)",
        "",
        "  No organizer yet? Create one in another terminal:",
        "    .venv/bin/flask --app eventsvc organizers create you@example.org",
        line,
    ])


if __name__ == "__main__":
    print(banner(), flush=True)
