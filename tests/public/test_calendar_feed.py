"""The calendar feed a member subscribes to: read by icalendar and by vobject, as two calendar
apps would."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import vobject
from icalendar import Calendar

from eventsvc.services.event_admin import save_event
from eventsvc.services.event_changes import cancel_event
from eventsvc.services.event_values import validate_event
from tests.factories import make_event, make_registration


def feed(client, language="en"):
    response = client.get(f"/calendar.ics?lang={language}")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    return response.get_data()


def entries(ics: bytes) -> dict[str, object]:
    """The feed's VEVENTs by SUMMARY, as icalendar reads them."""
    return {str(entry["SUMMARY"]): entry for entry in Calendar.from_ical(ics).walk("VEVENT")}


def test_the_feed_holds_upcoming_and_last_years_events_but_no_drafts(client):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    make_event(title={"en": "Coming"}, starts_at=now + timedelta(days=20))
    make_event(title={"en": "Last spring"}, starts_at=now - timedelta(days=200))
    make_event(title={"en": "Long ago"}, starts_at=now - timedelta(days=500))
    make_event(title={"en": "Secret draft"}, status="draft")

    assert set(entries(feed(client))) == {"Coming", "Last spring"}


def test_times_keep_the_events_zone_with_a_vtimezone_and_both_parsers_agree(client):
    starts = datetime(2030, 3, 14, 17, 0, tzinfo=timezone.utc)   # 18:00 in Hamburg
    event = make_event(slug="hamburg", title={"en": "Launch", "zh": "发布会", "de": "Auftakt"},
                       starts_at=starts, ends_at=starts + timedelta(hours=3))
    make_event(slug="shanghai", title={"en": "Shanghai", "zh": "上海"}, timezone="Asia/Shanghai",
               city="Shanghai", country="CN", starts_at=starts + timedelta(days=30))

    ics = feed(client, "zh")

    calendar = Calendar.from_ical(ics)
    assert {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")} == {"Europe/Berlin", "Asia/Shanghai"}
    entry = entries(ics)["发布会"]
    assert entry["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert entry.decoded("DTSTART") == starts
    assert entry.decoded("DTSTART").astimezone(ZoneInfo("Europe/Berlin")).hour == 18
    assert str(entry["URL"]) == "http://events.test/events/hamburg?lang=zh"
    assert str(entry["STATUS"]) == "CONFIRMED"

    # A second parser reads the same entries, times and zones.
    parsed = vobject.readOne(ics.decode())
    by_uid = {vevent.uid.value: vevent for vevent in parsed.vevent_list}
    other = by_uid[f"event-{event.id}@events.test"]
    assert other.summary.value == "发布会"
    assert other.dtstart.value == starts
    assert other.dtstart.value.utcoffset() == timedelta(hours=1)


def test_the_uid_is_the_one_of_the_mails_and_the_sequence_rises_with_each_change(client):
    event = make_event(slug="berlin", title={"en": "Berlin"})
    make_registration(event)
    record = {"slug": "berlin", "status": "published", "title": {"en": "Berlin"}, "city": "Berlin",
              "country": "DE", "timezone": "Europe/Berlin", "languages": ["en", "zh"],
              "venue": event.venue,
              "starts_at": event.local_start().strftime("%Y-%m-%dT%H:%M:%S"),
              "ends_at": event.local_end().strftime("%Y-%m-%dT%H:%M:%S")}
    first = entries(feed(client))["Berlin"]
    assert str(first["UID"]) == f"event-{event.id}@events.test"
    assert int(first["SEQUENCE"]) == 0

    day = timedelta(days=1)
    moved = dict(record, starts_at=(event.local_start() + day).strftime("%Y-%m-%dT%H:%M:%S"),
                 ends_at=(event.local_end() + day).strftime("%Y-%m-%dT%H:%M:%S"))
    save_event(validate_event(moved), event.id)
    second = entries(feed(client))["Berlin"]
    renamed = dict(moved, title={"en": "Berlin, renamed"})
    save_event(validate_event(renamed), event.id)
    third = entries(feed(client))["Berlin, renamed"]

    assert str(second["UID"]) == str(third["UID"]) == str(first["UID"])
    assert int(first["SEQUENCE"]) < int(second["SEQUENCE"]) < int(third["SEQUENCE"])


def test_a_cancelled_event_stays_in_the_feed_as_cancelled(client):
    event = make_event(title={"en": "Called off"})
    before = int(entries(feed(client))["Called off"]["SEQUENCE"])
    cancel_event(event.id)

    entry = entries(feed(client))["Called off"]
    assert str(entry["STATUS"]) == "CANCELLED"
    assert int(entry["SEQUENCE"]) > before
    [vevent] = vobject.readOne(feed(client).decode()).vevent_list
    assert vevent.status.value == "CANCELLED"


def test_the_feed_is_in_the_language_asked_for(client):
    make_event(title={"en": "Launch", "zh": "发布会", "de": "Auftakt"},
               venue={"en": "Chamber of Commerce", "zh": "商会", "de": "Handelskammer"})
    for language, title, venue in (("en", "Launch", "Chamber of Commerce"), ("zh", "发布会", "商会"),
                                   ("de", "Auftakt", "Handelskammer")):
        [entry] = Calendar.from_ical(feed(client, language)).walk("VEVENT")
        assert (str(entry["SUMMARY"]), str(entry["LOCATION"])) == (title, venue)


def test_the_event_list_links_the_feed_for_calendar_apps(client):
    make_event()
    for language in ("en", "zh", "de"):
        page = client.get(f"/?lang={language}").get_data(as_text=True)
        assert f'href="webcal://events.test/calendar.ics?lang={language}"' in page
    assert "Subscribe to the calendar" in client.get("/?lang=en").get_data(as_text=True)
