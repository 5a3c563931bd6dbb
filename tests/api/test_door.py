"""The door's API: scans in batches (the earliest wins, a scan counts once), the check-in list and
what changed since, the search, token scopes, and the organizer's session with its CSRF token."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.models import CheckinScan, Registration
from eventsvc.services.access import grant
from eventsvc.services.organizers import OrganizerError, create_api_token, create_organizer, find_organizer
from eventsvc.services.registration import cancel
from tests.factories import make_event, make_registration

T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)


def _auth(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def door(app):
    """An event with three guests (one waitlisted), and a `checkin` account's token for it."""
    event = make_event(slug="launch", capacity=2, starts_at=datetime.now(timezone.utc) + timedelta(hours=1))
    wang = make_registration(event, family_name="王", given_name="丽", organization="西门子", email="wl@example.com")
    mueller = make_registration(event, family_name="Müller", given_name="Hans", organization="Volkswagen AG")
    waiting = make_registration(event, family_name="Late", given_name="Comer")
    create_organizer("door@oav.example", "long enough password", role="checkin")
    grant(find_organizer("door@oav.example"), event)
    _row, secret = create_api_token("door@oav.example", "door phone", scope="checkin")
    return {"event": event, "wang": wang, "mueller": mueller, "waiting": waiting, "headers": _auth(secret)}


def scan(scan_id: str, code: str, minutes: float = 0, **extra) -> dict:
    return {"id": scan_id, "code": code, "scanned_at": (T0 + timedelta(minutes=minutes)).isoformat(),
            "door": extra.pop("door", "North"), "device": extra.pop("device", "phone-1"), **extra}


def post(client, door, scans, slug="launch"):
    return client.post(f"/api/v1/events/{slug}/checkins", json={"scans": scans}, headers=door["headers"])


def log_count() -> int:
    return db.session.scalar(select(func.count()).select_from(CheckinScan))


def test_each_outcome_and_the_log(app, client, door):
    other = make_registration(make_event(slug="elsewhere"))
    cancelled = make_registration(door["event"], family_name="Gone", given_name="Away")
    cancel(cancelled.id)
    scans = [scan("a", door["wang"].checkin_code), scan("b", door["wang"].checkin_code, 1, door="South"),
             scan("c", door["waiting"].checkin_code), scan("d", other.checkin_code),
             scan("e", cancelled.checkin_code), scan("f", "not a code at all"), scan("g", "x" * 40),
             scan("h", f"https://events.test/c?code={door['mueller'].checkin_code}", offline=True)]
    response = post(client, door, scans)
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["id"] for r in results] == list("abcdefgh")
    assert [r["outcome"] for r in results] == ["checked_in", "already_checked_in", "waitlisted", "not_for_this_event",
                                               "cancelled", "unknown", "unknown", "checked_in"]
    assert results[0]["name"] == "王丽" and results[0]["door"] == "North"
    assert results[1]["checked_in_at"] == results[0]["checked_in_at"] and results[1]["door"] == "North"
    assert results[3]["name"] is None and results[5]["name"] is None
    assert results[7]["name"] == "Hans Müller"
    rows = {row.scan_id: row for row in db.session.scalars(select(CheckinScan))}
    assert len(rows) == 8 and rows["h"].offline and not rows["a"].offline
    assert rows["b"].door == "South" and rows["a"].device == "phone-1"
    assert rows["h"].organizer_id == find_organizer("door@oav.example").id


def test_the_same_scan_again_returns_the_same_result_and_changes_nothing(app, client, door):
    code = door["wang"].checkin_code
    first = post(client, door, [scan("s1", code), scan("s2", code, 2)]).get_json()["results"]
    again = post(client, door, [scan("s2", code, 2), scan("s1", code)]).get_json()["results"]
    assert [r["outcome"] for r in again] == ["already_checked_in", "checked_in"]
    assert again[1] == first[0] and log_count() == 2
    # The same id twice in one batch is one scan.
    twice = post(client, door, [scan("m1", door["mueller"].checkin_code)] * 2).get_json()["results"]
    assert twice[0] == twice[1] and twice[0]["outcome"] == "checked_in" and log_count() == 3


def test_the_earliest_scan_wins_even_when_it_arrives_last(app, client, door):
    code = door["wang"].checkin_code
    # Device B was online and let her in at 10 past; device A had scanned her at 2 past, offline.
    online = post(client, door, [scan("b1", code, 10, door="South", device="B")]).get_json()["results"][0]
    assert online["outcome"] == "checked_in" and online["door"] == "South"
    late = post(client, door, [scan("a1", code, 2, door="North", device="A", offline=True)]).get_json()["results"][0]
    assert late["outcome"] == "checked_in" and late["door"] == "North"
    assert late["checked_in_at"].startswith((T0 + timedelta(minutes=2)).astimezone(door["event"].zone).isoformat()[:16])
    db.session.expire_all()
    registration = db.session.get(Registration, door["wang"].id)
    assert registration.checked_in_at == T0 + timedelta(minutes=2) and registration.checkin_door == "North"
    outcomes = dict(db.session.execute(select(CheckinScan.scan_id, CheckinScan.outcome)).all())
    assert outcomes == {"b1": "already_checked_in", "a1": "checked_in"}  # the log keeps both
    # B learns it at its next sync, and a scan sent again says so too.
    again = post(client, door, [scan("b1", code, 10, door="South", device="B")]).get_json()["results"][0]
    assert again["outcome"] == "already_checked_in" and again["door"] == "North"
    # Within one batch the earliest wins whatever the order.
    results = post(client, door, [scan("m2", door["mueller"].checkin_code, 5),
                                  scan("m1", door["mueller"].checkin_code, 1)]).get_json()["results"]
    assert [r["outcome"] for r in results] == ["already_checked_in", "checked_in"]


def test_refused_scans_say_why_and_store_nothing(app, client, door):
    code = door["wang"].checkin_code
    post(client, door, [scan("r1", code)])
    future = (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()
    results = post(client, door, [scan("r1", door["mueller"].checkin_code),
                                  {**scan("r2", door["mueller"].checkin_code), "scanned_at": future},
                                  scan("r3", door["waiting"].checkin_code)]).get_json()["results"]
    assert results[0]["error"] == "scan_id_reused" and results[0]["outcome"] is None and results[0]["message"]
    assert results[1]["error"] == "scanned_in_future" and results[1]["outcome"] is None
    assert results[2]["outcome"] == "waitlisted"
    assert log_count() == 2
    db.session.expire_all()
    assert db.session.get(Registration, door["mueller"].id).checked_in_at is None


@pytest.mark.parametrize("body", [
    None, [], {"scans": "x"}, {"scans": [1]}, {"scans": [{"code": "c", "scanned_at": "2030-01-01T00:00:00Z"}]},
    {"scans": [{"id": "a b", "code": "c", "scanned_at": "2030-01-01T00:00:00Z"}]},
    {"scans": [{"id": "ok", "code": "c", "scanned_at": "2030-01-01T00:00:00"}]},
    {"scans": [{"id": "ok", "code": "c", "scanned_at": "yesterday"}]},
    {"scans": [{"id": "ok", "code": 5, "scanned_at": "2030-01-01T00:00:00Z"}]},
    {"scans": [{"id": "ok", "code": "c", "scanned_at": "2030-01-01T00:00:00Z", "door": ["N"]}]},
    {"scans": [{"id": "ok", "code": "c", "scanned_at": "2030-01-01T00:00:00Z", "offline": "yes"}]},
])
def test_a_batch_out_of_shape_is_a_400_and_stores_nothing(app, client, door, body):
    good = scan("good", door["wang"].checkin_code)
    if isinstance(body, dict) and isinstance(body.get("scans"), list):
        body = {"scans": [good, *body["scans"]]}
    response = client.post("/api/v1/events/launch/checkins", data=json.dumps(body),
                           content_type="application/json", headers=door["headers"])
    assert response.status_code == 400 and response.get_json()["error"] in ("bad_batch", "bad_request")
    assert log_count() == 0


def test_a_batch_over_the_limit_is_refused(app, client, door):
    scans = [scan(f"s{n}", door["wang"].checkin_code) for n in range(1001)]
    response = post(client, door, scans)
    assert response.status_code == 413 and response.get_json()["error"] == "too_many_scans"
    assert log_count() == 0
    assert post(client, door, scans[:1000]).status_code == 200 and log_count() == 1000


def test_the_list_and_what_changed_since(app, client, door):
    import time_machine

    # The device fetches the list a while after the last change ...
    traveller = time_machine.travel(datetime.now(timezone.utc) + timedelta(minutes=5))
    traveller.start()
    first = client.get("/api/v1/events/launch/checkin-list", headers=door["headers"]).get_json()
    items = {item["name"]: item for item in first["items"]}
    assert set(items) == {"王丽", "Hans Müller", "Comer Late"}
    wang = items["王丽"]
    assert wang == {"code": door["wang"].checkin_code, "name": "王丽", "organization": "西门子",
                    "status": "confirmed", "checked_in_at": None, "door": None, "search": wang["search"]}
    assert items["Comer Late"]["status"] == "waitlisted"
    assert {"wangli", "liwang", "ximenzi"} <= set(wang["search"].split())
    # ... and asks again: nothing changed, nothing comes.
    try:
        quiet = client.get(f"/api/v1/events/launch/checkin-list?since={first['cursor']}", headers=door["headers"])
        assert quiet.get_json()["items"] == []
        cursor = quiet.get_json()["cursor"]
        post(client, door, [scan("x1", door["mueller"].checkin_code)])
        cancel(door["wang"].id)
        changed = client.get(f"/api/v1/events/launch/checkin-list?since={cursor}", headers=door["headers"]).get_json()
    finally:
        traveller.stop()
    by_name = {item["name"]: item for item in changed["items"]}
    assert set(by_name) == {"王丽", "Hans Müller", "Comer Late"}  # the freed seat went to the waiting list
    assert by_name["王丽"]["status"] == "cancelled"
    assert by_name["Hans Müller"]["door"] == "North" and by_name["Hans Müller"]["checked_in_at"]
    assert by_name["Comer Late"]["status"] == "confirmed"
    bad = client.get("/api/v1/events/launch/checkin-list?since=nonsense", headers=door["headers"])
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_cursor"


def test_the_list_is_gzipped_when_the_client_takes_it(app, client, door):
    for n in range(30):
        make_registration(door["event"], email=f"guest{n}@example.com", family_name=f"Guest{n}")
    response = client.get("/api/v1/events/launch/checkin-list", headers={**door["headers"], "Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(response.data))["items"]) == 33


@pytest.mark.parametrize("query, found", [
    ("wang li", "王丽"), ("wangli", "王丽"), ("li wang", "王丽"), ("Wáng", "王丽"), ("王", "王丽"),
    ("mueller", "Hans Müller"), ("muller", "Hans Müller"), ("MÜLLER", "Hans Müller"), ("hans m", "Hans Müller"),
    ("volkswagen", "Hans Müller"), ("ximenzi", "王丽"), ("wl@example", "王丽"),
])
def test_search_finds_chinese_names_by_pinyin_and_german_ones_by_ascii(app, client, door, query, found):
    response = client.get("/api/v1/events/launch/registrations", query_string={"q": query}, headers=door["headers"])
    assert response.status_code == 200
    assert [item["name"] for item in response.get_json()["items"]] == [found]


def test_a_checkin_token_reaches_only_the_door_of_its_events(app, client, door):
    make_event(slug="not-mine")
    headers = door["headers"]
    assert client.get("/api/v1/events/launch/checkin-list", headers=headers).status_code == 200
    assert client.get("/api/v1/events/launch/checkin-stats", headers=headers).status_code == 200
    assert client.get("/api/v1/events/launch/registrations?q=wang", headers=headers).status_code == 200
    for url in ("/api/v1/events/launch/registrations", "/api/v1/events", "/api/v1/openapi.json",
                "/api/v1/events/not-mine/checkin-list", "/api/v1/events/not-mine/registrations?q=wang"):
        assert client.get(url, headers=headers).status_code == 404, url
    assert post(client, door, [scan("n1", door["wang"].checkin_code)], slug="not-mine").status_code == 404
    for url in ("/api/v1/events/launch/walk-ins", "/api/v1/events/launch/checkins/undo"):
        assert client.post(url, json={}, headers=headers).status_code == 404, url
    with pytest.raises(OrganizerError):
        create_api_token("door@oav.example", "broad", scope="read")


def test_read_tokens_read_and_write_tokens_write(app, client, door):
    create_organizer("boss@oav.example", "long enough password")
    _row, read = create_api_token("boss@oav.example", "reader")
    _row, write = create_api_token("boss@oav.example", "writer", scope="write")
    assert client.get("/api/v1/events/launch/registrations", headers=_auth(read)).status_code == 200
    assert client.get("/api/v1/events/launch/checkin-list", headers=_auth(read)).status_code == 200
    refused = client.post("/api/v1/events/launch/checkins", json={"scans": []}, headers=_auth(read))
    assert refused.status_code == 403 and 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    assert client.post("/api/v1/events/launch/checkins", json={"scans": []}, headers=_auth(write)).status_code == 200
    assert client.get("/api/v1/events/launch/registrations", headers=_auth(write)).status_code == 200
    assert client.get("/api/v1/events/launch/checkin-list").status_code == 401


def test_the_cli_makes_tokens_of_a_scope(app, door):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["organizers", "token", "door@oav.example", "--name", "gate"])
    assert result.exit_code == 0
    from eventsvc.models import ApiToken
    assert db.session.scalar(select(ApiToken.scope).where(ApiToken.name == "gate")) == "checkin"
    refused = runner.invoke(args=["organizers", "token", "door@oav.example", "--scope", "write"])
    assert refused.exit_code != 0 and "checkin" in refused.output
    create_organizer("w@oav.example", "long enough password")
    assert runner.invoke(args=["organizers", "token", "w@oav.example", "--name", "w", "--scope", "write"]).exit_code == 0
    assert db.session.scalar(select(ApiToken.scope).where(ApiToken.name == "w")) == "write"


def test_the_organizers_session_works_without_a_token(app, door):
    create_organizer("lead@oav.example", "long enough password", role="organizer")
    grant(find_organizer("lead@oav.example"), door["event"])
    client = app.test_client()
    assert client.post("/organizer/login", data={"email": "lead@oav.example",
                                                 "password": "long enough password"}).status_code == 302
    assert len(client.get("/api/v1/events/launch/checkin-list").get_json()["items"]) == 3
    result = client.post("/api/v1/events/launch/checkins",
                         json={"scans": [scan("w1", door["wang"].checkin_code)]}).get_json()["results"][0]
    assert result["outcome"] == "checked_in"
    assert db.session.scalar(select(CheckinScan.organizer_id)) == find_organizer("lead@oav.example").id
