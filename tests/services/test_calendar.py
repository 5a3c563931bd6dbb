"""The calendar file in the mails (icalendar parses what we write)."""

from __future__ import annotations

from datetime import datetime, timezone

import time_machine
from icalendar import Calendar

from eventsvc.services.calendar import CalendarTemplate, build_ics, event_uid
from eventsvc.services.names import full_name
from tests.factories import make_event, make_registration


def test_the_entry_has_a_stable_uid_the_events_times_and_the_readers_language(app):
    event = make_event(slug="hamburg", title={"en": "Launch", "zh": "发布会"},
                       venue={"en": "Chamber of Commerce\nAdolphsplatz 1, Hamburg"})
    registration = make_registration(event, language="zh")
    calendar = Calendar.from_ical(build_ics(event, registration, "zh"))
    [entry] = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(entry["UID"]) == event_uid(event) == f"event-{event.id}@events.test"
    assert int(entry["SEQUENCE"]) == 0
    assert entry.decoded("DTSTART") == event.starts_at and entry.decoded("DTEND") == event.ends_at
    assert str(entry["SUMMARY"]) == "发布会"
    assert str(entry["LOCATION"]) == "Chamber of Commerce Adolphsplatz 1, Hamburg"
    # The file travels (calendar sync, forwarded invitations): no token that can cancel is in it.
    ics = build_ics(event, registration, "zh").decode() if isinstance(build_ics(event, registration, "zh"), bytes) else build_ics(event, registration, "zh")
    assert registration.manage_token not in ics and registration.unsubscribe_token not in ics
    assert str(entry["DESCRIPTION"]) == "http://events.test/events/hamburg"
    assert str(entry["ATTENDEE"]) == f"mailto:{registration.email}"


def test_a_cancellation_keeps_the_uid_and_says_cancelled(app):
    event = make_event()
    registration = make_registration(event)
    event.ics_sequence = 3
    calendar = Calendar.from_ical(build_ics(event, registration, "en", method="CANCEL"))
    [entry] = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(entry["STATUS"]) == "CANCELLED" and int(entry["SEQUENCE"]) == 3
    assert str(entry["UID"]) == event_uid(event)


def test_the_attendee_is_named_as_the_mail_names_them(app):
    event = make_event()
    chinese = make_registration(event, language="zh", family_name="王", given_name="丽")
    german = make_registration(event, language="zh", family_name="Schmidt", given_name="Anna")
    [entry] = Calendar.from_ical(build_ics(event, chinese, "zh")).walk("VEVENT")
    assert str(entry["ATTENDEE"].params["CN"]) == "王丽"
    [entry] = Calendar.from_ical(build_ics(event, german, "zh")).walk("VEVENT")
    assert str(entry["ATTENDEE"].params["CN"]) == "Anna Schmidt"


def test_a_template_stamps_each_file_in_the_second_it_is_made_for_its_own_reader(app):
    event = make_event()
    first, second = make_registration(event, given_name="Li"), make_registration(event, given_name="Anna")
    with time_machine.travel(datetime(2030, 1, 2, 3, 4, 5, 100, tzinfo=timezone.utc), tick=False):
        template = CalendarTemplate(event, "en", "REQUEST")
        assert template.fill(first.email, full_name(first.family_name, first.given_name)) == build_ics(event, first, "en")
    # The stamp of the second before is not kept for a file made in the next one.
    with time_machine.travel(datetime(2030, 1, 2, 3, 4, 6, tzinfo=timezone.utc), tick=False):
        made = template.fill(second.email, full_name(second.family_name, second.given_name))
        assert made == build_ics(event, second, "en")
    [entry] = Calendar.from_ical(made).walk("VEVENT")
    assert entry.decoded("DTSTAMP") == datetime(2030, 1, 2, 3, 4, 6, tzinfo=timezone.utc)
    assert str(entry["ATTENDEE"]) == f"mailto:{second.email}"
