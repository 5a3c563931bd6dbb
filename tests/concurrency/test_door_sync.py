"""Door devices syncing at the same moment (PostgreSQL): every scan stored once, one check-in per
guest, and that check-in is the earliest scan of all devices, whatever order the batches ran in."""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.models import CheckinScan, Registration
from eventsvc.services.organizers import create_api_token, create_organizer
from tests.factories import make_event, make_registration

DEVICES = 4


def test_four_devices_sync_overlapping_scans_at_once(pg_app):
    event = make_event(slug="rush")
    guests = [make_registration(event, email=f"g{n}@example.com") for n in range(120)]
    create_organizer("door@oav.example", "long enough password")
    _row, secret = create_api_token("door@oav.example", "doors", scope="checkin")
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    rng = random.Random(7)
    batches = []
    for device in range(DEVICES):
        # Each device saw every guest of the first 40 (everybody let them in while offline) and 20 of its own.
        seen = guests[:40] + guests[40 + device * 20: 60 + device * 20]
        batches.append([{"id": f"d{device}-{n}", "code": guest.checkin_code, "door": f"Door {device}",
                         "device": f"phone-{device}", "offline": True,
                         "scanned_at": (start + timedelta(seconds=rng.randrange(3600))).isoformat()}
                        for n, guest in enumerate(seen)])
    barrier = threading.Barrier(DEVICES)

    def sync(batch):
        client = pg_app.test_client()
        barrier.wait()
        response = client.post("/api/v1/events/rush/checkins", json={"scans": batch},
                               headers={"Authorization": f"Bearer {secret}"})
        return response.status_code, response.get_json()

    for _round in range(2):  # the second round is every device retrying: nothing changes
        with ThreadPoolExecutor(DEVICES) as pool:
            answers = list(pool.map(sync, batches))
        assert [status for status, _body in answers] == [200] * DEVICES
        assert db.session.scalar(select(func.count()).select_from(CheckinScan)) == DEVICES * 60

    earliest: dict[str, tuple[str, str]] = {}
    for batch in batches:
        for scan in batch:
            moment = datetime.fromisoformat(scan["scanned_at"])
            if scan["code"] not in earliest or moment < datetime.fromisoformat(earliest[scan["code"]][0]):
                earliest[scan["code"]] = (scan["scanned_at"], scan["door"])
    db.session.expire_all()
    winners = defaultdict(list)
    for code, outcome in db.session.execute(select(CheckinScan.code, CheckinScan.outcome)):
        winners[code].append(outcome)
    for registration in db.session.scalars(select(Registration).where(Registration.event_id == event.id)):
        if registration.checkin_code not in earliest:
            assert registration.checked_in_at is None
            continue
        when, door = earliest[registration.checkin_code]
        assert registration.checked_in_at == datetime.fromisoformat(when) and registration.checkin_door == door
        assert sorted(winners[registration.checkin_code]).count("checked_in") == 1
    # Every device's last answer agrees with the database: each guest in once, at the earliest door.
    for (_status, body), batch in zip(answers, batches):
        for result, scan in zip(body["results"], batch):
            assert result["door"] == earliest[scan["code"]][1]


def test_the_same_batch_sent_twice_at_once_is_stored_once(pg_app):
    """A device retrying while its first try is still running: both answered alike, one row each."""
    event = make_event(slug="retry")
    guests = [make_registration(event, email=f"r{n}@example.com") for n in range(30)]
    create_organizer("door@oav.example", "long enough password")
    _row, secret = create_api_token("door@oav.example", "doors", scope="checkin")
    moment = datetime.now(timezone.utc) - timedelta(minutes=5)
    batch = [{"id": f"s-{n}", "code": guest.checkin_code, "scanned_at": moment.isoformat()}
             for n, guest in enumerate(guests)]
    # Scans of unknown codes lock no guest: only the database's unique scan ids keep them single.
    unknown = [{"id": f"u-{n}", "code": f"no-such-code-{n:020d}", "scanned_at": moment.isoformat()} for n in range(30)]
    for batch, stored in ((batch, 30), (unknown, 60), (batch + unknown, 60)):
        barrier = threading.Barrier(2)

        def sync(_n):
            client = pg_app.test_client()
            barrier.wait()
            return client.post("/api/v1/events/retry/checkins", json={"scans": batch},
                               headers={"Authorization": f"Bearer {secret}"})

        with ThreadPoolExecutor(2) as pool:
            first, second = pool.map(sync, range(2))
        assert first.status_code == second.status_code == 200
        assert first.get_json() == second.get_json()
        assert db.session.scalar(select(func.count()).select_from(CheckinScan)) == stored
        db.session.rollback()
