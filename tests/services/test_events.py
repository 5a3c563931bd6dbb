"""Importing events: validation of every field, all-or-nothing files, upsert by slug, the seed."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.models import Event, Registration
from eventsvc.services.events import (SEED_FILE, EventImportError, import_events,
                                      load_events_file)
from tests.factories import make_registration


def record(**fields) -> dict:
    values = {
        "slug": "berlin-test",
        "status": "published",
        "title": {"en": "Smart City China", "zh": "智慧城市中国", "de": "Smart City China"},
        "venue": {"en": "Haus der Wirtschaft\nBreite Straße 29, Berlin"},
        "city": "Berlin",
        "country": "DE",
        "timezone": "Europe/Berlin",
        "starts_at": "2027-03-11T18:00:00",
        "ends_at": "2027-03-11T21:00:00",
        "capacity": 100,
        "languages": ["de", "en"],
    }
    values.update(fields)
    return {k: v for k, v in values.items() if v is not ...}


def event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Event))


def test_seed_file_loads_the_launch_and_future_events(app):
    result = import_events(load_events_file(SEED_FILE))
    assert "hamburg-launch-2019" in result.created and len(result.created) >= 5
    launch = db.session.scalar(select(Event).where(Event.slug == "hamburg-launch-2019"))
    # 18:00 in Hamburg in March (CET) is 17:00 UTC.
    assert launch.starts_at == datetime(2019, 3, 14, 17, 0, tzinfo=timezone.utc)
    assert not launch.registration_open()
    events = db.session.scalars(select(Event)).all()
    assert {e.city for e in events} >= {"Hamburg", "Berlin", "Munich", "Shanghai", "Beijing"}
    for event in events:
        assert set(event.title) == set(event.description) == set(event.venue) == {"en", "zh", "de"}
        if event.slug != "hamburg-launch-2019":
            # Open on the day the seed was written (late 2026): a new user can register at once.
            assert event.registration_open(datetime(2026, 11, 28, tzinfo=timezone.utc)), event.slug
    shanghai = db.session.scalar(select(Event).where(Event.city == "Shanghai"))
    assert shanghai.timezone == "Asia/Shanghai" and shanghai.local_start().hour == 14
    # Seeding twice changes nothing.
    again = import_events(load_events_file(SEED_FILE))
    assert again.created == [] and again.updated == [] and len(again.unchanged) == len(events)


@pytest.mark.parametrize("fields, field_name", [
    ({"slug": "Not A Slug"}, "slug"),
    ({"slug": ...}, "slug"),
    ({"status": "open"}, "status"),
    ({"title": {"zh": "只有中文"}}, "title.en"),
    ({"title": "plain text"}, "title"),
    ({"venue": {"en": "x", "fr": "y"}}, "venue.fr"),
    ({"city": ...}, "city"),
    ({"country": "FR"}, "country"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"starts_at": "2027-03-11T18:00:00+01:00"}, "starts_at"),
    ({"starts_at": "next Tuesday"}, "starts_at"),
    ({"ends_at": "2027-03-11T17:00:00"}, "ends_at"),
    ({"starts_at": "2027-03-28T02:30:00"}, "starts_at"),  # the hour Berlin skips in spring
    ({"capacity": -1}, "capacity"),
    ({"capacity": "many"}, "capacity"),
    ({"languages": ["en", "en"]}, "languages"),
    ({"languages": ["en", "fr"]}, "languages"),
    ({"waitlist": "yes"}, "waitlist"),
    ({"reminder_offsets": ["seven days"]}, "reminder_offsets"),
    ({"registration_opens": "2027-03-01T00:00:00", "registration_closes": "2027-02-01T00:00:00"},
     "registration_closes"),
    ({"colour": "red"}, "colour"),
    ({"description": {"en": "nul \x00 byte"}}, "description.en"),
])
def test_a_bad_field_refuses_the_whole_file_naming_event_and_field(app, fields, field_name):
    good = record(slug="good-one")
    bad = record(**fields)
    with pytest.raises(EventImportError) as error:
        import_events([good, bad])
    message = str(error.value)
    assert "event 2" in message and f"{field_name}:" in message
    assert event_count() == 0  # the good event of the same file was not stored either


def test_import_updates_by_slug_and_keeps_registrations(app):
    assert import_events([record()]).created == ["berlin-test"]
    event = db.session.scalar(select(Event).where(Event.slug == "berlin-test"))
    make_registration(event)
    result = import_events([record(title={"en": "New title"}, capacity=150)])
    assert result.updated == ["berlin-test"]
    db.session.expire_all()
    event = db.session.scalar(select(Event).where(Event.slug == "berlin-test"))
    assert event.title == {"en": "New title"} and event.capacity == 150
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1
    assert import_events([record(title={"en": "New title"}, capacity=150)]).unchanged == ["berlin-test"]


def test_moving_a_published_event_raises_its_calendar_sequence(app):
    import_events([record()])
    import_events([record(starts_at="2027-03-12T18:00:00", ends_at="2027-03-12T21:00:00")])
    event = db.session.scalar(select(Event).where(Event.slug == "berlin-test"))
    assert event.ics_sequence == 1
    assert event.starts_at == datetime(2027, 3, 12, 17, 0, tzinfo=timezone.utc)


def test_raising_capacity_in_an_import_gives_seats_to_the_waiting_list(app):
    import_events([record(capacity=1)])
    event = db.session.scalar(select(Event).where(Event.slug == "berlin-test"))
    first = make_registration(event)
    waiting = make_registration(event)
    assert (first.status, waiting.status) == ("confirmed", "waitlisted")
    import_events([record(capacity=2)])
    db.session.expire_all()
    assert db.session.get(Registration, waiting.id).status == "confirmed"


def test_json_files_and_bad_files(app, tmp_path):
    path = tmp_path / "events.json"
    path.write_text(json.dumps([record()]), encoding="utf-8")
    assert import_events(load_events_file(path)).created == ["berlin-test"]
    broken = tmp_path / "broken.yaml"
    broken.write_text("- slug: [unclosed", encoding="utf-8")
    with pytest.raises(EventImportError, match="YAML"):
        load_events_file(broken)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("slug: x\n", encoding="utf-8")
    with pytest.raises(EventImportError, match="list of events"):
        load_events_file(mapping)


def test_the_same_slug_twice_in_a_file_is_refused(app):
    with pytest.raises(EventImportError, match="appears twice"):
        import_events([record(), record()])
    assert event_count() == 0


def test_events_seed_command(app):
    result = app.test_cli_runner().invoke(args=["events", "seed"])
    assert result.exit_code == 0, result.output
    # The summary always has the word "created"; what counts is that it says how many.
    assert event_count() >= 5
    assert f"{event_count()} created, 0 updated, 0 unchanged." in result.output


def test_seed_adds_the_english_report_once_and_keeps_an_organizers_address(app, client):
    """A new user sees the report link at once; seeding again never undoes a real address."""
    from eventsvc.models import Report
    from eventsvc.services.reports import publish_report

    runner = app.test_cli_runner()
    assert runner.invoke(args=["events", "seed"]).exit_code == 0
    assert db.session.scalars(select(Report.language)).all() == ["en"]
    slug = db.session.scalar(select(Event.slug).where(Event.city == "Berlin"))
    db.session.rollback()
    assert "/reports/en" in client.get(f"/events/{slug}?lang=en").get_data(as_text=True)

    publish_report("en", "https://files.example.org/smart-city-china-en.pdf")
    assert runner.invoke(args=["events", "seed"]).exit_code == 0
    assert db.session.scalar(select(Report.url)) == "https://files.example.org/smart-city-china-en.pdf"


def test_moving_a_published_event_schedules_one_change_notice(app):
    import_events([record()])
    event = db.session.scalar(select(Event).where(Event.slug == "berlin-test"))
    make_registration(event)
    import_events([record(venue={"en": "Another venue"})])
    db.session.expire_all()
    event = db.session.scalar(select(Event).where(Event.slug == "berlin-test"))
    assert event.change_notice_due_at is not None  # the registrants hear of it after a quiet period


def test_cancelling_a_published_event_by_import_tells_every_registrant(app):
    from eventsvc.models import OutboundMail

    import_events([record()])
    event = db.session.scalar(select(Event).where(Event.slug == "berlin-test"))
    registration = make_registration(event)
    result = import_events([record(status="cancelled")])
    assert result.updated == ["berlin-test"]
    db.session.expire_all()
    assert db.session.scalar(select(Event.status).where(Event.slug == "berlin-test")) == "cancelled"
    kinds = db.session.scalars(select(OutboundMail.kind).where(OutboundMail.registration_id == registration.id)).all()
    assert kinds.count("event_cancelled") == 1
    assert import_events([record(status="cancelled")]).unchanged == ["berlin-test"]


def test_every_problem_of_a_record_is_listed_by_field():
    from eventsvc.services.event_values import event_problems

    problems = event_problems({"slug": "Bad Slug", "title": {"zh": "只有中文"}, "city": "Berlin", "country": "FR",
                               "timezone": "Europe/Berlin", "starts_at": "2030-03-14T18:00:00",
                               "ends_at": "2030-03-14T17:00:00", "capacity": -1, "colour": "red"})
    assert set(problems) == {"slug", "country", "ends_at", "capacity", "title.en", "colour"}
    assert problems["ends_at"] == ["is before starts_at"]
    assert event_problems({"slug": "ok", "title": {"en": "T"}, "city": "Berlin", "country": "DE",
                           "timezone": "Europe/Berlin", "starts_at": "2030-03-14T18:00:00",
                           "ends_at": "2030-03-14T20:00:00"}) == {}
    assert event_problems([]) == {"event": ["must be a mapping of fields"]}
