"""The door under load: an event of 2,000 registrations, 4 doors (issue 17, item 6).

On a fresh PostgreSQL database, gunicorn with the production settings (four sync workers):

1. **online**: 4 door devices scan as fast as the server answers, one scan per request
   (``POST /api/v1/events/<slug>/checkins`` with one scan), 2,000 different guests. Reported:
   scans per second the server answers, the device's latency (p50, p95) and the server's own
   time (``Server-Timing: app``, p50, p95). Targets: at least 200 per second, p95 of the server's
   time under 20 ms.
2. **offline**: on a second event of 2,000, 4 devices that were offline sync 500 queued scans each
   at the same moment (4 requests of 500). Reported: the time until all four are answered, and
   what the database holds: every scan stored exactly once, every guest checked in once. Then
   the four batches are sent again (a retried sync): nothing changes. Target: under 5 seconds.
3. **list**: ``GET …/checkin-list`` of 2,000 people with ``Accept-Encoding: gzip``: time to serve
   (p50 of 10) and the size on the wire. Targets: under 1 second, under 300 KB.

``python -m bench door``.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import secrets
import time
import uuid
from datetime import datetime, timedelta, timezone

import psycopg

from .common import (
    CpuMeter,
    HttpClient,
    LiveServer,
    bench_app_settings,
    fresh_database,
    machine_note,
    percentile,
    table,
    write_results,
)

GUESTS = 2000
DOORS = ("North", "South", "VIP", "北门")
DEVICES = 4
SERVER = {"workers": 4, "worker_class": "sync", "threads": 1}
FAMILY = ("王", "李", "张", "Müller", "Schmidt", "Weiß", "陈", "Jäger", "Wang", "Meier")
GIVEN = ("丽", "伟", "芳", "Hans", "Anna", "Jörg", "杰", "Lena", "Li", "Sophie")
ORGS = ("Siemens AG", "Volkswagen Group China", "西门子（中国）有限公司", "OAV", "Stadt Hamburg", "上海市规划局")


def prepare(database_url: str) -> tuple[str, list[str], list[str]]:
    """Two events of GUESTS registrations each and a `checkin` token; returns it and the codes."""
    from eventsvc import create_app
    from eventsvc.extensions import db
    from eventsvc.models import Event
    from eventsvc.services.organizers import create_api_token, create_organizer

    app = create_app(bench_app_settings(database_url))
    codes = {}
    with app.app_context():
        create_organizer("door@oav.example", "bench door password")
        starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)
        for slug in ("door-online", "door-offline"):
            db.session.add(Event(slug=slug, title={"en": "Door bench", "zh": "入口基准"}, city="Hamburg",
                                 country="DE", timezone="Europe/Berlin", starts_at=starts,
                                 ends_at=starts + timedelta(hours=3), languages=["en", "zh"], status="published"))
        db.session.commit()
        _token, secret = create_api_token("door@oav.example", "bench", scope="write")
        event_ids = dict(db.session.execute(db.select(Event.slug, Event.id)).all())
        db.engine.dispose()
    now = datetime.now(timezone.utc)
    with psycopg.connect(database_url) as conn, conn.cursor() as cursor:
        for slug, event_id in event_ids.items():
            codes[slug] = [secrets.token_urlsafe(32) for _ in range(GUESTS)]
            with cursor.copy(
                    "COPY registrations (public_id, event_id, email, family_name, given_name, organization, "
                    "job_title, language, status, privacy_consent_at, privacy_consent_version, manage_token, "
                    "unsubscribe_token, checkin_code, answers, wants_report, created_at, updated_at) FROM STDIN") as copy:
                for n, code in enumerate(codes[slug]):
                    copy.write_row((uuid.uuid4().hex, event_id, f"guest{n}@{slug}.example", FAMILY[n % 10],
                                    GIVEN[(n // 10) % 10], ORGS[n % len(ORGS)], "", ("en", "zh", "de")[n % 3],
                                    "confirmed", now, "2019-02", secrets.token_urlsafe(32),
                                    secrets.token_urlsafe(32), code, "{}", True, now, now))
        conn.commit()
    return secret, codes["door-online"], codes["door-offline"]


def scan(code: str, n: int, moment: datetime) -> dict:
    return {"id": str(uuid.uuid4()), "code": code, "scanned_at": moment.isoformat(),
            "door": DOORS[n % len(DOORS)], "device": f"bench-{n % DEVICES}"}


def online(server: LiveServer, secret: str, codes: list[str], database_url: str):
    server_ms: list[float] = []
    auth = {"Authorization": f"Bearer {secret}"}
    moment = datetime.now(timezone.utc)

    async def iteration(client: HttpClient, index: int, record) -> None:
        client.headers.update(auth)
        body = json.dumps({"scans": [scan(codes[index % GUESTS], index, moment)]}).encode()
        started = time.perf_counter()
        response = await client.request("POST", "/api/v1/events/door-online/checkins", body, "application/json")
        record("scan", time.perf_counter() - started)
        if response.status != 200:
            raise RuntimeError(f"{response.status} {response.text[:200]}")
        measured = _server_time(response.headers)
        if measured is not None:
            server_ms.append(measured)

    # CPU of the workers and PostgreSQL per scan: what a scan costs, whatever else the machine runs.
    result = CpuMeter(server, database_url).run_load(iteration, clients=DEVICES, total=GUESTS)
    return result, server_ms


def _server_time(headers: dict) -> float | None:
    timing = headers.get("server-timing", "")
    if "dur=" not in timing:
        return None
    return float(timing.split("dur=", 1)[1].split(";")[0].split(",")[0])


def offline(server: LiveServer, secret: str, codes: list[str], database_url: str) -> dict:
    start = datetime.now(timezone.utc) - timedelta(minutes=40)
    batches = [[scan(codes[device * 500 + i], device, start + timedelta(seconds=i * 4))
                for i in range(500)] for device in range(DEVICES)]
    auth = {"Authorization": f"Bearer {secret}"}

    async def sync_all():
        clients = [HttpClient(server.url) for _ in range(DEVICES)]
        for client in clients:
            client.headers.update(auth)
        started = time.perf_counter()
        answers = await asyncio.gather(*(
            client.request("POST", "/api/v1/events/door-offline/checkins",
                           json.dumps({"scans": batch}).encode(), "application/json")
            for client, batch in zip(clients, batches)))
        elapsed = time.perf_counter() - started
        for client in clients:
            await client.close()
        return elapsed, answers

    first, answers = asyncio.run(sync_all())
    statuses = [a.status for a in answers]
    outcomes = [r["outcome"] for a in answers for r in json.loads(a.body)["results"]]
    again, _answers = asyncio.run(sync_all())
    with psycopg.connect(database_url) as conn:
        stored, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT scan_id) FROM checkin_scans s JOIN events e ON e.id = s.event_id "
            "WHERE e.slug = 'door-offline'").fetchone()
        checked_in = conn.execute(
            "SELECT count(*) FROM registrations r JOIN events e ON e.id = r.event_id "
            "WHERE e.slug = 'door-offline' AND r.checked_in_at IS NOT NULL").fetchone()[0]
    return {"seconds": first, "again_seconds": again, "statuses": statuses,
            "checked_in_answers": outcomes.count("checked_in"), "stored": stored, "distinct": distinct,
            "checked_in": checked_in}


def check_in_list(server: LiveServer, secret: str) -> dict:
    async def fetch():
        client = HttpClient(server.url)
        client.headers.update({"Authorization": f"Bearer {secret}", "Accept-Encoding": "gzip"})
        times, server_ms, response = [], [], None
        for _ in range(10):
            started = time.perf_counter()
            response = await client.request("GET", "/api/v1/events/door-offline/checkin-list")
            times.append(time.perf_counter() - started)
            server_ms.append(_server_time(response.headers) or float("nan"))
        await client.close()
        return times, server_ms, response

    times, server_ms, response = asyncio.run(fetch())
    raw = gzip.decompress(response.body) if response.headers.get("content-encoding") == "gzip" else response.body
    return {"p50_ms": percentile(times, 0.5) * 1000, "max_ms": max(times) * 1000,
            "server_p50_ms": percentile(server_ms, 0.5), "wire_kb": len(response.body) / 1024,
            "raw_kb": len(raw) / 1024, "items": len(json.loads(raw)["items"])}


def main() -> None:
    with fresh_database() as database_url:
        secret, online_codes, offline_codes = prepare(database_url)
        with LiveServer(database_url, **SERVER) as server:
            # A first request per worker loads the code (and pypinyin's dictionary) outside the figures.
            asyncio.run(_warm(server, secret))
            result, server_ms = online(server, secret, online_codes, database_url)
            sync = offline(server, secret, offline_codes, database_url)
            listing = check_in_list(server, secret)
    lines = [
        machine_note(),
        f"gunicorn {SERVER['workers']} sync workers; PostgreSQL; {GUESTS} registrations per event, "
        f"{len(DOORS)} doors, {DEVICES} devices",
        "",
        table(["online (one scan per request)", "scans/s", "device p50 ms", "device p95 ms",
               "server p50 ms", "server p95 ms", "CPU ms/scan", "errors"],
              [[f"{GUESTS} scans", f"{result.per_second:.0f}", f"{result.p('scan', 0.5):.1f}",
                f"{result.p('scan', 0.95):.1f}", f"{percentile(server_ms, 0.5):.1f}",
                f"{percentile(server_ms, 0.95):.1f}", f"{result.cpu_ms_per_iteration:.1f}",
                str(len(result.errors))]]),
        "",
        table(["offline sync (4 x 500 at once)", "seconds", "again (retry)", "stored", "distinct ids",
               "checked in", "statuses"],
              [["2,000 queued scans", f"{sync['seconds']:.2f}", f"{sync['again_seconds']:.2f}", str(sync["stored"]),
                str(sync["distinct"]), str(sync["checked_in"]), ",".join(map(str, sync["statuses"]))]]),
        "",
        table(["check-in list", "items", "p50 ms", "max ms", "server p50 ms", "gzip KB", "raw KB"],
              [["2,000 people", str(listing["items"]), f"{listing['p50_ms']:.0f}", f"{listing['max_ms']:.0f}",
                f"{listing['server_p50_ms']:.0f}", f"{listing['wire_kb']:.0f}", f"{listing['raw_kb']:.0f}"]]),
    ]
    if result.errors:
        lines += ["", "first errors: " + "; ".join(result.errors[:3])]
    text = "\n".join(lines)
    print(text)
    write_results("door", text)


async def _warm(server: LiveServer, secret: str) -> None:
    clients = [HttpClient(server.url) for _ in range(SERVER["workers"] * 2)]
    for client in clients:
        client.headers["Authorization"] = f"Bearer {secret}"
    await asyncio.gather(*(client.request("GET", "/api/v1/events/door-online/registrations?q=wang")
                           for client in clients))
    for client in clients:
        await client.close()
