"""What every benchmark needs: a fresh PostgreSQL database, gunicorn, a cheap load generator.

The load generator is a small asyncio HTTP/1.1 client in one thread: on a two-core machine the
client must not take the CPU the server is being measured on, and ``requests`` in 64 threads
would. Each virtual client keeps its own connection (and cookies), like a browser.

``BENCH_CLIENT=requests`` drives the same iterations the way a load script is commonly written
instead: a ``requests`` session per virtual client, each in a thread of its own. That client
takes a share of the two cores comparable to the server's, so every case slows down and the
ratios between cases come closer to 1: it shows what such an outside measurement would report,
not what the server costs (the ``CPU ms`` column says that, whatever the client).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import platform
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Awaitable, Callable, Iterator
from urllib.parse import urlsplit

import psycopg

# One gunicorn launcher for tests and benchmarks.
from tests.fixtures.live_server import LiveServer  # noqa: F401 - re-exported for the benches

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


# --- database ------------------------------------------------------------------------------------

@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A new PostgreSQL database migrated to the newest schema; dropped afterwards."""
    from flask_migrate import upgrade

    from eventsvc import create_app
    from eventsvc.extensions import db

    name = f"eventsvc_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        app = create_app(bench_app_settings(url))
        with app.app_context():
            upgrade()
            db.engine.dispose()
        yield url
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_app_settings(database_url: str) -> dict:
    """Settings for the in-process app the benches use to prepare and check data."""
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "bench",
        "CELERY": {"broker_url": "memory://", "task_ignore_result": True},
    }


# --- HTTP client ---------------------------------------------------------------------------------

@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    set_cookies: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class HttpClient:
    """One visitor: a keep-alive connection (reopened when the server closes it) and cookies."""

    #: The TLS context for https:// URLs (a benchmark with a CA of its own sets it).
    tls_context: ssl.SSLContext | None = None

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.tls = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port or (443 if self.tls else 80)
        self.origin = f"{parts.scheme}://{self.host}:{self.port}"
        self.cookies: dict[str, str] = {}
        #: Extra request headers, e.g. ``X-Forwarded-For`` for a visitor behind a proxy.
        self.headers: dict[str, str] = {}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"",
                      content_type: str | None = None) -> Response:
        """Send one request and read the whole response."""
        if self._writer is None:
            tls = (self.tls_context or ssl.create_default_context()) if self.tls else None
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port, ssl=tls)
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                "Accept-Language: en", f"Content-Length: {len(body)}"]
        if self.tls and method == "POST":
            head.append(f"Referer: {self.origin}{path}")  # as browsers send it; Flask-WTF checks it on HTTPS
        if content_type:
            head.append(f"Content-Type: {content_type}")
        head += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        self._writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        response = await self._read_response()
        for raw in response.set_cookies:
            for name, morsel in SimpleCookie(raw).items():
                self.cookies[name] = morsel.value
        if response.headers.get("connection", "").lower() == "close":
            await self.close()
        return response

    async def _read_response(self) -> Response:
        reader = self._reader
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for line in head[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookies.append(value)
            headers[name] = value
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                body += await reader.readexactly(size + 2)
                if size == 0:
                    break
            body = body[:-2]
        elif "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        else:
            body = await reader.read()
            headers["connection"] = "close"
        return Response(status, headers, body, cookies)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await self._writer.wait_closed()
        self._reader = self._writer = None


class RequestsClient:
    """One visitor as a conventional load script has it: a blocking ``requests`` session that
    holds its thread while it waits (``BENCH_CLIENT=requests``; the interface of :class:`HttpClient`)."""

    def __init__(self, base_url: str) -> None:
        import requests

        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["Accept-Language"] = "en"
        self.headers = self.session.headers
        self.cookies = self.session.cookies

    async def request(self, method: str, path: str, body: bytes = b"",
                      content_type: str | None = None) -> Response:
        answer = self.session.request(method, self.base_url + path, data=body, allow_redirects=False,
                                      headers={"Content-Type": content_type} if content_type else None)
        return Response(answer.status_code, {k.lower(): v for k, v in answer.headers.items()}, answer.content)

    async def close(self) -> None:
        self.session.close()


#: The load generator's visitors: ``asyncio`` (:class:`HttpClient`, the default) or ``requests``.
CLIENT = os.environ.get("BENCH_CLIENT", "asyncio")


# --- load generation -----------------------------------------------------------------------------

@dataclass
class LoadResult:
    """Figures of one run: how many iterations, how long, and the latencies of each step."""

    iterations: int
    seconds: float
    latencies: dict[str, list[float]]
    errors: list[str]
    #: CPU seconds the server's workers and the database's PostgreSQL backends used in the run
    #: (see :class:`CpuMeter`; 0 where it cannot be read).
    cpu_seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.iterations / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_iteration(self) -> float:
        """Server and PostgreSQL CPU per iteration: the cost, whatever else the machine runs."""
        return self.cpu_seconds / self.iterations * 1000 if self.iterations else 0.0

    def p(self, step: str, quantile: float) -> float:
        """Latency of ``step`` in milliseconds at ``quantile`` (0.5, 0.99)."""
        return percentile(self.latencies.get(step, []), quantile) * 1000

    def __add__(self, other: "LoadResult") -> "LoadResult":
        """Two runs of the same case as one: iterations and time add up, samples join."""
        latencies = {step: [*self.latencies.get(step, []), *other.latencies.get(step, [])]
                     for step in {*self.latencies, *other.latencies}}
        return LoadResult(self.iterations + other.iterations, self.seconds + other.seconds,
                          latencies, self.errors + other.errors, self.cpu_seconds + other.cpu_seconds)


def percentile(values: list[float], quantile: float) -> float:
    """Nearest-rank percentile: the smallest value at or above ``quantile`` of the sample."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(max(math.ceil(quantile * len(ordered)), 1), len(ordered))
    return ordered[rank - 1]


#: One iteration: (client, index, record) where record(step, seconds) notes a latency.
Iteration = Callable[[HttpClient, int, Callable[[str, float], None]], Awaitable[None]]


def run_load(base_url: str, iteration: Iteration, *, clients: int, total: int,
             warmup: int = 0) -> LoadResult:
    """``clients`` visitors together run ``total`` iterations as fast as the server lets them.

    The first ``warmup`` iterations (connections opened, caches filled) are not counted.
    """
    return asyncio.run(_run_load(base_url, iteration, clients, total, warmup))


async def _run_load(base_url, iteration, clients, total, warmup) -> LoadResult:
    latencies: dict[str, list[float]] = {}
    errors: list[str] = []
    counter = iter(range(warmup + total))
    started: list[float] = []

    def record(step: str, seconds: float) -> None:
        latencies.setdefault(step, []).append(seconds)

    def ignore(_step: str, _seconds: float) -> None:
        pass

    async def visitor() -> None:
        client = RequestsClient(base_url) if CLIENT == "requests" else HttpClient(base_url)
        try:
            for index in counter:
                measured = index >= warmup
                if measured and not started:
                    started.append(time.perf_counter())
                try:
                    await iteration(client, index, record if measured else ignore)
                except Exception as error:  # noqa: BLE001 - counted and shown, not fatal
                    errors.append(f"{type(error).__name__}: {error}")
                    await client.close()
        finally:
            await client.close()

    if CLIENT == "requests":  # a thread and an event loop per visitor, each blocked while it waits
        threads = [threading.Thread(target=asyncio.run, args=(visitor(),)) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        await asyncio.gather(*(visitor() for _ in range(clients)))
    seconds = time.perf_counter() - started[0] if started else 0.0
    return LoadResult(total, seconds, latencies, errors)


class CpuMeter:
    """CPU time of one server's worker processes and of one database's PostgreSQL backends.

    Read from ``/proc`` (Linux, PostgreSQL on the same machine); on a shared machine it tells
    the cost of an iteration where throughput only tells what the server got. The backends of
    the whole database count, so measure one server at a time.
    """

    def __init__(self, server: LiveServer, database_url: str) -> None:
        self.server = server
        self.database_url = database_url

    def pids(self) -> list[int]:
        master = self.server.process.pid
        try:
            workers = [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
        except OSError:
            workers = []
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            backends = [pid for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
        return workers + backends

    def read(self) -> dict[int, float]:
        """CPU seconds so far, by process id."""
        ticks = os.sysconf("SC_CLK_TCK")
        used = {}
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            used[pid] = (int(fields[11]) + int(fields[12])) / ticks
        return used

    def run_load(self, iteration: Iteration, *, clients: int, total: int) -> LoadResult:
        """:func:`run_load` against the server, with the CPU it and PostgreSQL used."""
        before = self.read()
        result = run_load(self.server.url, iteration, clients=clients, total=total)
        result.cpu_seconds = sum(seconds - before.get(pid, 0.0) for pid, seconds in self.read().items())
        return result


async def timed(record: Callable[[str, float], None], step: str, call: Awaitable[Response]) -> Response:
    """Await ``call`` and note how long it took under ``step``."""
    start = time.perf_counter()
    response = await call
    record(step, time.perf_counter() - start)
    return response


# --- reporting -----------------------------------------------------------------------------------

def machine_note() -> str:
    """CPU count and load, so figures are read in context (the machine may be shared)."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{platform.node()}: {os.cpu_count()} CPUs, load average {load}, Python {platform.python_version()}"


def write_results(name: str, text: str) -> Path:
    """Append ``text`` under a heading to bench/results/latest.txt (gitignored).

    ``python -m bench`` empties the file first, so it holds the figures of the latest run.
    """
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / "latest.txt"
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    with path.open("a", encoding="utf-8") as out:
        out.write(f"== {name} ({stamp})\n{text}\n\n")
    return path


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain text table, columns right-aligned except the first."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for row in [headers, *rows]:
        cells = [str(c).ljust(widths[0]) if i == 0 else str(c).rjust(widths[i]) for i, c in enumerate(row)]
        lines.append("  ".join(cells))
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
