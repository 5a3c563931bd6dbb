"""Attendee exports of 100,000 registrations over HTTP, against ``psql \\copy`` of the same columns.

In one run, on a fresh PostgreSQL database:

1. 100,000 registrations of one event are written with ``COPY`` (seconds, not minutes);
2. gunicorn (one sync worker, the production settings otherwise) serves the app; the bench logs
   in through the real login form (CSRF token included), as an organizer would;
3. ``GET /organizer/events/<slug>/attendees.csv`` and ``.xlsx`` are downloaded and timed, while
   the worker's resident memory is sampled; its peak (``VmHWM``, reset before each export through
   ``/proc/<pid>/clear_refs``) is the figure reported;
4. ``psql -c "\\copy (SELECT <same columns>) TO file CSV HEADER"`` gives the floor to compare with.

Targets (issue 5): CSV within 3x the psql time; peak memory of the server under 150 MB for both.

``python -m bench export``; ``BENCH_EXPORT_ROWS`` sets the number of registrations.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from html import unescape
from pathlib import Path

import psycopg
import requests

from .common import LiveServer, bench_app_settings, fresh_database, machine_note, table, write_results

ROWS = int(os.environ.get("BENCH_EXPORT_ROWS", "100000"))
SLUG = "bench-export"
ORGANIZER = ("bench@oav.example", "bench organizer password")
#: The export's columns as SQL, for psql's \copy (same data, PostgreSQL's own text formatting).
PSQL_SELECT = (
    "SELECT public_id AS registration_id, status, family_name, given_name, email, organization, "
    "job_title, language, created_at AS registered_at, checked_in_at, cancelled_at "
    "FROM registrations WHERE event_id = {event_id} ORDER BY id"
)
CSV_TARGET_RATIO = 3.0
MEMORY_TARGET_MB = 150.0


def prepare(database_url: str) -> int:
    """Create the organizer, the event and ROWS registrations; returns the event id."""
    from eventsvc import create_app
    from eventsvc.extensions import db
    from eventsvc.models import Event
    from eventsvc.services.organizers import create_organizer

    app = create_app(bench_app_settings(database_url))
    with app.app_context():
        create_organizer(*ORGANIZER)
        starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=30)
        event = Event(slug=SLUG, title={"en": "Export bench", "zh": "导出基准"}, city="Berlin",
                      country="DE", timezone="Europe/Berlin", starts_at=starts,
                      ends_at=starts + timedelta(hours=3), status="published")
        db.session.add(event)
        db.session.commit()
        event_id = event.id
        db.engine.dispose()
    copy_registrations(database_url, event_id, ROWS)
    return event_id


def copy_registrations(database_url: str, event_id: int, count: int) -> None:
    """Write ``count`` varied registrations with COPY: Chinese and German names, some cancelled,
    some checked in, some with formula-like organizations (which the export must neutralise)."""
    columns = ("public_id", "event_id", "email", "family_name", "given_name", "organization",
               "job_title", "language", "status", "checked_in_at", "privacy_consent_at",
               "privacy_consent_version", "manage_token", "checkin_code", "wants_report",
               "created_at", "cancelled_at")
    first = datetime(2019, 1, 15, 9, 0, tzinfo=timezone.utc)
    names = [("王", "小明", "zh"), ("Schmidt", "Anna", "de"), ("Li", "Wei", "en"), ("Müller", "Jan", "de"),
             ("张", "伟", "zh"), ("Smith", "Jo", "en")]
    organizations = ["Siemens AG", "Volkswagen Group China", "上海电气", "=HYPERLINK(\"x\")", "OAV", "-"]
    with psycopg.connect(database_url) as conn, conn.cursor() as cursor:
        with cursor.copy(f"COPY registrations ({', '.join(columns)}) FROM STDIN") as copy:
            for n in range(count):
                family, given, language = names[n % len(names)]
                created = first + timedelta(seconds=37 * n)
                cancelled = n % 20 == 7
                copy.write_row((
                    uuid.uuid4().hex, event_id, f"person{n}@example.com", family, given,
                    organizations[n % len(organizations)], "Manager", language,
                    "cancelled" if cancelled else "confirmed",
                    created + timedelta(days=60) if n % 3 == 0 and not cancelled else None,
                    created, "2019-03", uuid.uuid4().hex + uuid.uuid4().hex[:11],
                    uuid.uuid4().hex + uuid.uuid4().hex[:11], True, created,
                    created + timedelta(days=1) if cancelled else None,
                ))
        conn.commit()
        cursor.execute("ANALYZE registrations")
        conn.commit()


def log_in(base_url: str) -> requests.Session:
    """Log in through the real form, CSRF token and all."""
    session = requests.Session()
    page = session.get(f"{base_url}/organizer/login", timeout=30).text
    token = unescape(re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1))
    response = session.post(f"{base_url}/organizer/login", allow_redirects=False, timeout=30,
                            data={"csrf_token": token, "email": ORGANIZER[0], "password": ORGANIZER[1]})
    if response.status_code != 302:
        raise RuntimeError(f"login failed: {response.status_code}")
    return session


def worker_pid(master_pid: int) -> int:
    """The one gunicorn worker: the master's only child."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn has no worker")


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class MemoryWatch:
    """The peak resident memory of one process while a block runs.

    Resets the kernel's high-water mark first (``clear_refs`` 5) and also samples ``VmRSS`` every
    20 ms, in case the kernel does not allow the reset.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.sampled_kb = 0
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.sampled_kb = max(self.sampled_kb, _status_kb(self.pid, "VmRSS"))
            time.sleep(0.02)

    def __enter__(self) -> "MemoryWatch":
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
            self.hwm_reset = True
        except OSError:
            self.hwm_reset = False
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        hwm = _status_kb(self.pid, "VmHWM") if self.hwm_reset else 0
        self.peak_kb = max(hwm, self.sampled_kb)


def download(session: requests.Session, url: str, target: Path) -> tuple[float, int]:
    """Fetch ``url`` into ``target``; returns seconds and bytes."""
    start = time.perf_counter()
    size = 0
    with session.get(url, stream=True, timeout=300) as response, open(target, "wb") as out:
        response.raise_for_status()
        for chunk in response.iter_content(256 * 1024):
            out.write(chunk)
            size += len(chunk)
    return time.perf_counter() - start, size


def psql_copy(database_url: str, event_id: int, target: Path) -> float:
    """``psql \\copy`` of the same columns to a CSV file; returns seconds (process start included)."""
    command = f"\\copy ({PSQL_SELECT.format(event_id=event_id)}) TO '{target}' CSV HEADER"
    start = time.perf_counter()
    subprocess.run(["psql", "-X", "-q", database_url, "-c", command], check=True)
    return time.perf_counter() - start


def check_files(csv_path: Path, xlsx_path: Path) -> list[str]:
    """What a reader should see: every row there, BOM first, formulas neutralised."""
    from openpyxl import load_workbook

    checks = []
    raw = csv_path.read_bytes()
    lines = raw.count(b"\n")
    bom = "present" if raw.startswith(b"\xef\xbb\xbf") else "MISSING"
    checks.append(f"CSV: BOM {bom}, "
                  f"{lines - 1} data rows (expected {ROWS}), "
                  f"live formulas: {raw.count(b',=HYPERLINK')}")
    sheet = load_workbook(xlsx_path, read_only=True).active
    rows = sum(1 for _ in sheet.iter_rows(values_only=True)) - 1
    checks.append(f"XLSX: {rows} data rows (expected {ROWS})")
    return checks


def main() -> None:
    """Run the export bench and print the figures."""
    print(f"preparing {ROWS:,} registrations …")
    with fresh_database() as database_url, tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        tmp_path = Path(tmp)
        start = time.perf_counter()
        event_id = prepare(database_url)
        print(f"  written with COPY in {time.perf_counter() - start:.1f} s")
        with LiveServer(database_url, workers=1, worker_class="sync") as server:
            print("server:", " ".join(server.command()))
            session = log_in(server.url)
            pid = worker_pid(server.process.pid)
            baseline_kb = _status_kb(pid, "VmRSS")
            figures = {}
            for fmt in ("csv", "xlsx"):
                target = tmp_path / f"export.{fmt}"
                with MemoryWatch(pid) as memory:
                    seconds, size = download(session, f"{server.url}/organizer/events/{SLUG}/attendees.{fmt}", target)
                figures[fmt] = (seconds, size, memory.peak_kb)
        psql_seconds = psql_copy(database_url, event_id, tmp_path / "psql.csv")
        psql_size = (tmp_path / "psql.csv").stat().st_size
        checks = check_files(tmp_path / "export.csv", tmp_path / "export.xlsx")

    rows = [["psql \\copy", f"{psql_seconds:.2f}", f"{psql_size / 1e6:.1f}", "1.00", "-"]]
    for fmt, (seconds, size, peak_kb) in figures.items():
        rows.append([f"HTTP {fmt}", f"{seconds:.2f}", f"{size / 1e6:.1f}", f"{seconds / psql_seconds:.2f}",
                     f"{peak_kb / 1024:.0f}"])
    csv_ratio = figures["csv"][0] / psql_seconds
    verdicts = [
        f"CSV time / psql time: {csv_ratio:.2f} (target <= {CSV_TARGET_RATIO:.0f}): "
        f"{'met' if csv_ratio <= CSV_TARGET_RATIO else 'NOT met'}",
    ]
    for fmt in ("csv", "xlsx"):
        peak_mb = figures[fmt][2] / 1024
        verdicts.append(f"peak memory of the worker during {fmt}: {peak_mb:.0f} MB (target < "
                        f"{MEMORY_TARGET_MB:.0f} MB): {'met' if peak_mb < MEMORY_TARGET_MB else 'NOT met'}")
    text = "\n".join([
        f"{ROWS:,} registrations, one event; gunicorn 1 sync worker on PostgreSQL; {machine_note()}",
        f"worker memory before the exports: {baseline_kb / 1024:.0f} MB",
        table(["export", "seconds", "MB", "x psql", "peak MB"], rows),
        *verdicts,
        *checks,
    ])
    print(text)
    write_results("export", text)


if __name__ == "__main__":
    main()
