"""One way to write an event: what the events file accepts, the organizer form saves unchanged,
and both refuse the same impossible local times with a message naming the time and the zone."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import Event
from eventsvc.services.events import SEED_FILE, EventImportError, import_events, load_events_file

#: Every column an organizer can change with the form, plus what a change would set off.
COLUMNS = ("slug", "title", "description", "venue", "city", "country", "timezone", "status",
           "starts_at", "ends_at", "capacity", "waitlist_enabled", "registration_opens_at",
           "registration_closes_at", "languages", "reminder_offsets", "questions", "notes",
           "ics_sequence", "change_notice_due_at")


class _FormFields(HTMLParser):
    """The values a browser would submit from the page's event form, as it shows them."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name:
            if attrs.get("type") == "checkbox":
                if "checked" in attrs:
                    self.values[name] = attrs.get("value", "y")
            elif attrs.get("type") != "submit":
                self.values[name] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def _submitted_form(client, slug: str) -> dict[str, str]:
    parser = _FormFields()
    parser.feed(client.get(f"/organizer/events/{slug}/edit").get_data(as_text=True))
    # A browser sends textarea text with CRLF line breaks; the leading newline is not content.
    return {name: value.replace("\n", "\r\n") for name, value in parser.values.items()}


def _stored(slug: str) -> dict:
    db.session.expire_all()
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    return {column: getattr(event, column) for column in COLUMNS}


def test_every_bundled_event_saves_unchanged_from_the_form(app, organizer_client):
    import_events(load_events_file(SEED_FILE))
    slugs = list(db.session.scalars(select(Event.slug)))
    assert len(slugs) == 5
    for slug in slugs:
        before = _stored(slug)
        response = organizer_client.post(f"/organizer/events/{slug}/edit", data=_submitted_form(organizer_client, slug))
        assert response.status_code == 302, (slug, response.get_data(as_text=True)[:2000])
        assert _stored(slug) == before, slug


def test_an_imported_event_with_weeks_and_seconds_saves_unchanged_from_the_form(app, organizer_client):
    import_events([{
        "slug": "munich-imported", "status": "published", "title": {"en": "Munich", "zh": "慕尼黑"},
        "venue": {"en": "Line one\nLine two " + "x" * 700}, "city": "Munich", "country": "DE",
        "timezone": "Europe/Berlin", "starts_at": "2030-06-10T18:00:30", "ends_at": "2030-06-10T21:00:00",
        "capacity": 60, "languages": ["de", "en"], "reminder_offsets": ["P2W", "P1DT12H", "PT90M"],
        "registration_closes": "2030-06-09T12:00:00",
        "questions": [{"key": "dinner", "type": "choice", "required": True,
                       "label": {"en": "Dinner", "zh": "晚宴", "de": "Abendessen"},
                       "choices": [{"key": "yes", "label": {"en": "Yes", "zh": "参加"}},
                                   {"key": "no", "label": {"en": "No", "zh": "不参加"}}]},
                      {"key": "needs", "type": "text", "label": {"en": "Anything we should know?"}}],
    }])
    before = _stored("munich-imported")
    assert before["reminder_offsets"] == ["P14D", "P1DT12H", "PT1H30M"]
    response = organizer_client.post("/organizer/events/munich-imported/edit",
                                     data=_submitted_form(organizer_client, "munich-imported"))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert _stored("munich-imported") == before


def _new_event_form(**overrides) -> dict[str, str]:
    values = {"slug": "berlin-clock", "title_en": "Clock change", "city": "Berlin", "country": "DE",
              "timezone": "Europe/Berlin", "starts_at": "2030-05-20T14:00", "ends_at": "2030-05-20T17:30",
              "languages": "en,de", "reminder_offsets": "7 days"}
    values.update(overrides)
    return values


@pytest.mark.parametrize("local_time, words", [
    ("2030-03-31T02:30", "does not exist in Europe/Berlin"),  # the hour skipped in spring
    ("2030-10-27T02:30", "happens twice in Europe/Berlin"),  # the hour repeated in autumn
])
def test_a_local_time_the_clock_change_skips_or_repeats_is_refused_by_form_and_file(
        app, organizer_client, local_time, words):
    end = local_time[:11] + "05:00"
    response = organizer_client.post("/organizer/events/new",
                                     data=_new_event_form(starts_at=local_time, ends_at=end))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"{local_time.replace('T', ' ')} {words}" in page
    assert db.session.scalar(select(Event).where(Event.slug == "berlin-clock")) is None

    with pytest.raises(EventImportError) as error:
        import_events([{"slug": "berlin-clock", "title": {"en": "Clock change"}, "city": "Berlin",
                        "country": "DE", "timezone": "Europe/Berlin", "starts_at": local_time + ":00",
                        "ends_at": end + ":00"}])
    assert f"starts_at: {local_time.replace('T', ' ')} {words}" in str(error.value)


def test_the_clock_change_message_is_in_the_organizers_language(app, organizer_client):
    response = organizer_client.post("/organizer/events/new?lang=de",
                                     data=_new_event_form(starts_at="2030-03-31T02:30", ends_at="2030-03-31T05:00"))
    assert "2030-03-31 02:30 gibt es in Europe/Berlin nicht" in response.get_data(as_text=True)


def test_form_and_file_take_the_same_longest_venue(app, organizer_client):
    long_venue = "v" * 1000
    response = organizer_client.post("/organizer/events/new", data=_new_event_form(venue_en=long_venue))
    assert response.status_code == 302
    import_events([{"slug": "file-venue", "title": {"en": "File"}, "venue": {"en": long_venue},
                    "city": "Berlin", "country": "DE", "timezone": "Europe/Berlin",
                    "starts_at": "2030-05-20T14:00:00", "ends_at": "2030-05-20T15:00:00"}])
    with pytest.raises(EventImportError, match="venue.en: longer than 1000 characters"):
        import_events([{"slug": "file-venue", "title": {"en": "File"}, "venue": {"en": long_venue + "v"},
                        "city": "Berlin", "country": "DE", "timezone": "Europe/Berlin",
                        "starts_at": "2030-05-20T14:00:00", "ends_at": "2030-05-20T15:00:00"}])
    response = organizer_client.post("/organizer/events/new",
                                     data=_new_event_form(slug="form-venue", venue_en=long_venue + "v"))
    assert response.status_code == 200
    assert "longer than 1000 characters" in response.get_data(as_text=True)
