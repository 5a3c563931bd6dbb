"""The door for organizers: walk-ins, undo with a reason, the live figures on the dashboard and
in JSON, the check-in log as CSV, and the session's CSRF token on the door's writes."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.models import CheckinScan, OutboundMail, Registration
from eventsvc.services.access import grant
from eventsvc.services.organizers import create_api_token, create_organizer, find_organizer
from tests.factories import make_event, make_registration

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def _login(app, email, role="organizer", event=None):
    create_organizer(email, "long enough password", role=role)
    if event is not None:
        grant(find_organizer(email), event)
    client = app.test_client()
    assert client.post("/organizer/login", data={"email": email, "password": "long enough password"}).status_code == 302
    return client


def _scan(scan_id, code, minutes_ago, door="North", **extra):
    return {"id": scan_id, "code": code,
            "scanned_at": (datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)).isoformat(),
            "door": door, "device": "d", **extra}


@pytest.fixture
def event(app):
    return make_event(slug="gala", capacity=3, starts_at=NOW + timedelta(minutes=30))


def test_a_walk_in_is_registered_mailed_and_checked_in(app, event):
    event.registration_closes_at = NOW - timedelta(hours=1)  # closed online: walk-ins come anyway
    db.session.commit()
    client = _login(app, "lead@oav.example", event=event)
    body = {"family_name": "Schmidt", "given_name": "Anna", "email": "Anna@Example.com", "organization": "OAV",
            "language": "de", "privacy_consent": True, "door": "North", "device": "ipad"}
    response = client.post("/api/v1/events/gala/walk-ins", json=body)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["outcome"] == "checked_in" and answer["item"]["name"] == "Anna Schmidt"
    assert answer["item"]["door"] == "North" and answer["item"]["checked_in_at"]
    registration = db.session.scalar(select(Registration).where(Registration.email == "anna@example.com"))
    assert registration.checked_in_at is not None and registration.checkin_door == "North"
    assert db.session.scalar(select(OutboundMail.kind).where(OutboundMail.registration_id == registration.id)) == \
        "confirmation"
    assert db.session.scalar(select(CheckinScan.outcome)) == "checked_in"
    # Field errors in the reader's language; nothing stored.
    bad = client.post("/api/v1/events/gala/walk-ins?lang=de", json={"family_name": "X", "email": "nope"})
    assert bad.status_code == 400 and {"email", "given_name", "privacy_consent"} <= set(bad.get_json()["errors"])
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1


def test_walk_ins_keep_to_the_capacity(app):
    full = make_event(slug="full", capacity=1, waitlist_enabled=False)
    make_registration(full)
    client = _login(app, "lead@oav.example", event=full)
    body = {"family_name": "Late", "given_name": "Guest", "email": "late@example.com", "privacy_consent": True}
    response = client.post("/api/v1/events/full/walk-ins", json=body)
    assert response.status_code == 409 and response.get_json()["error"] == "event_full"
    assert db.session.scalar(select(func.count()).select_from(CheckinScan)) == 0


def test_a_checkin_account_may_neither_walk_in_nor_undo(app, event):
    client = _login(app, "gate@oav.example", role="checkin", event=event)
    guest = make_registration(event)
    assert client.get("/api/v1/events/gala/checkin-list").status_code == 200
    assert client.post("/api/v1/events/gala/checkins", json={"scans": [_scan("g1", guest.checkin_code, 1)]}) \
        .get_json()["results"][0]["outcome"] == "checked_in"
    assert client.post("/api/v1/events/gala/walk-ins", json={}).status_code == 404
    assert client.post("/api/v1/events/gala/checkins/undo", json={"code": guest.checkin_code,
                                                                   "reason": "x"}).status_code == 404
    assert client.get("/api/v1/events/gala/registrations").status_code == 404
    assert client.get("/organizer/events/gala/checkins.csv").status_code == 404


def test_undo_takes_a_check_in_back_with_a_reason_kept_in_the_log(app, event):
    guest = make_registration(event, family_name="王", given_name="丽")
    client = _login(app, "lead@oav.example", event=event)
    client.post("/api/v1/events/gala/checkins", json={"scans": [_scan("w1", guest.checkin_code, 5)]})
    no_reason = client.post("/api/v1/events/gala/checkins/undo", json={"code": guest.checkin_code, "reason": " "})
    assert no_reason.status_code == 400 and "reason" in no_reason.get_json()["errors"]
    response = client.post("/api/v1/events/gala/checkins/undo",
                           json={"code": guest.checkin_code, "reason": "Scanned the wrong badge"})
    assert response.status_code == 200 and response.get_json()["item"]["checked_in_at"] is None
    again = client.post("/api/v1/events/gala/checkins/undo", json={"code": guest.checkin_code, "reason": "twice"})
    assert again.status_code == 409 and again.get_json()["error"] == "not_checked_in"
    unknown = client.post("/api/v1/events/gala/checkins/undo", json={"code": "y" * 30, "reason": "?"})
    assert unknown.status_code == 404
    # Scanned again later: in again, and the log has all three rows.
    rescan = {**_scan("w2", guest.checkin_code, 0), "scanned_at": (datetime.now(timezone.utc) + timedelta(seconds=1)).isoformat()}
    result = client.post("/api/v1/events/gala/checkins", json={"scans": [rescan]})
    assert result.get_json()["results"][0]["outcome"] == "checked_in"
    rows = list(db.session.execute(select(CheckinScan.kind, CheckinScan.outcome, CheckinScan.reason)
                                   .order_by(CheckinScan.scanned_at)))
    assert [tuple(row) for row in rows] == [("entry", "checked_in", ""), ("undo", "undone", "Scanned the wrong badge"),
                                            ("entry", "checked_in", "")]
    log = client.get("/organizer/events/gala/checkins.csv")
    assert log.status_code == 200 and log.data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(log.data.decode("utf-8-sig"))))
    assert table[0][:7] == ["scan_id", "code", "scanned_at", "door", "device", "offline", "outcome"]
    assert [row[0] for row in table[1:]][0] == "w1" and table[2][-1] == "Scanned the wrong badge"
    assert table[2][-2] == "lead@oav.example"


def test_the_log_csv_is_formula_safe(app, event):
    client = _login(app, "lead@oav.example", event=event)
    client.post("/api/v1/events/gala/checkins",
                json={"scans": [_scan("f1", "=HYPERLINK(1)", 1, door="+North", device="@pad")]})
    table = list(csv.reader(io.StringIO(client.get("/organizer/events/gala/checkins.csv").data.decode("utf-8-sig"))))
    assert table[1][1].startswith("'") and table[1][3] == "'+North" and table[1][4] == "'@pad"


def test_live_figures_per_door_with_exits(app, event):
    guests = [make_registration(event, email=f"g{n}@example.com") for n in range(3)]
    client = _login(app, "lead@oav.example", event=event)
    client.post("/api/v1/events/gala/checkins", json={"scans": [
        _scan("a", guests[0].checkin_code, 12, door="North"), _scan("b", guests[1].checkin_code, 2, door="South"),
        _scan("c", guests[1].checkin_code, 1, door="North"), _scan("x", guests[0].checkin_code, 0, door="North",
                                                                   exit=True)]})
    stats = client.get("/api/v1/events/gala/checkin-stats").get_json()
    assert (stats["expected"], stats["checked_in"], stats["inside"]) == (3, 2, 1)
    doors = {d["door"]: d for d in stats["doors"]}
    assert doors["North"]["checked_in"] == 1 and doors["South"]["checked_in"] == 1
    assert sum(doors["North"]["scans_per_minute"]) == 2 and sum(doors["South"]["scans_per_minute"]) == 1
    assert sum(slot["count"] for slot in stats["arrivals"]) == 2 and len(stats["arrivals"]) >= 2
    page = client.get("/organizer/events/gala?lang=de").get_data(as_text=True)
    assert "2 von 3" in page and "<svg" in page and "South" in page


def test_a_sessions_write_needs_the_pages_csrf_token(app, event, app_overrides):
    app.config["WTF_CSRF_ENABLED"] = True
    guest = make_registration(event)
    client = _login_with_csrf(app, event)
    scans = {"scans": [_scan("c1", guest.checkin_code, 1)]}
    refused = client.post("/api/v1/events/gala/checkins", json=scans)
    assert refused.status_code == 400 and refused.get_json()["error"] == "csrf"
    assert db.session.scalar(select(func.count()).select_from(CheckinScan)) == 0
    token = _csrf_of(client.get("/organizer/events/gala/checkin").get_data(as_text=True))
    accepted = client.post("/api/v1/events/gala/checkins", json=scans, headers={"X-CSRFToken": token})
    assert accepted.status_code == 200
    # A token needs no CSRF token: it is not a cookie a browser sends by itself.
    create_organizer("bot@oav.example", "long enough password")
    _row, secret = create_api_token("bot@oav.example", "bot", scope="write")
    assert app.test_client().post("/api/v1/events/gala/checkins", json={"scans": []},
                                  headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def _csrf_of(page: str) -> str:
    import re
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _login_with_csrf(app, event):
    create_organizer("lead@oav.example", "long enough password", role="organizer")
    grant(find_organizer("lead@oav.example"), event)
    client = app.test_client()
    token = _csrf_of(client.get("/organizer/login").get_data(as_text=True))
    assert client.post("/organizer/login", data={"email": "lead@oav.example", "password": "long enough password",
                                                 "csrf_token": token}).status_code == 302
    return client
