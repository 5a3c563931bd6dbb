"""Static files that may be cached for a year: every static URL carries ``?v=<content hash>``.

nginx serves ``/static/`` itself with a one-year lifetime (``deploy/nginx/eventsvc.conf``); the
hash makes a changed file a new URL, so a release never meets a browser's stale copy.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask


def init_app(app: Flask) -> None:
    folder = Path(app.static_folder)
    versions: dict[str, str] = {}

    def version(filename: str) -> str | None:
        if filename not in versions:
            try:
                versions[filename] = hashlib.sha256((folder / filename).read_bytes()).hexdigest()[:12]
            except OSError:
                return None
        return versions[filename]

    @app.url_defaults
    def add_static_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            stamp = version(values["filename"])
            if stamp:
                values["v"] = stamp
