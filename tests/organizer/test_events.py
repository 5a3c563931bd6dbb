"""Creating, editing, publishing and cancelling events on the organizer pages."""

from datetime import datetime, timezone

from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import Event, OutboundMail, Registration
from eventsvc.services.durations import parse_reminder_offsets
from tests.factories import make_event, make_registration


def _form(**overrides):
    values = {
        "slug": "shanghai-2019", "title_en": "Smart City China in Shanghai", "title_zh": "智慧城市中国·上海",
        "title_de": "Smart City China in Shanghai", "description_en": "Launch of the Chinese edition.",
        "venue_en": "Shanghai Tower", "venue_zh": "上海中心大厦", "city": "Shanghai", "country": "CN",
        "timezone": "Asia/Shanghai", "starts_at": "2030-05-20T14:00", "ends_at": "2030-05-20T17:30",
        "capacity": "120", "waitlist_enabled": "y", "reminder_offsets": "7 days, 1 day, 3 hours",
        "languages": "zh,en",
    }
    values.update(overrides)
    return values


def test_new_event_is_a_draft_with_times_entered_in_its_own_zone(app, organizer_client):
    response = organizer_client.post("/organizer/events/new", data=_form())
    assert response.status_code == 302
    event = db.session.scalar(select(Event).where(Event.slug == "shanghai-2019"))
    assert event.status == "draft"
    assert event.starts_at == datetime(2030, 5, 20, 6, 0, tzinfo=timezone.utc)  # 14:00 in Shanghai
    assert event.title["zh"] == "智慧城市中国·上海" and "de" not in event.venue
    assert event.reminder_offsets == ["P7D", "P1D", "PT3H"]
    assert event.languages == ["zh", "en"] and event.capacity == 120
    page = organizer_client.get("/organizer/events/shanghai-2019/edit").get_data(as_text=True)
    assert 'value="2030-05-20T14:00"' in page and "7 days, 1 day, 3 hours" in page
    assert "7 Tage, 1 Tag, 3 Stunden" in organizer_client.get("/organizer/events/shanghai-2019/edit?lang=de").get_data(as_text=True)
    assert 'value="7天、1天"' in organizer_client.get("/organizer/events/new?lang=zh").get_data(as_text=True)


def test_bad_input_is_answered_on_the_form_never_with_a_500(app, organizer_client):
    make_event(slug="taken")
    cases = {
        "timezone": ("Mars/Olympus", "Not a known time zone"),
        "ends_at": ("2030-05-20T13:00", "The end must not be before the start"),
        "reminder_offsets": ("soon", "Cannot read"),
        "slug": ("Not A Slug", "Use lower-case letters"),
        "capacity": ("-5", "Number must be"),
        "starts_at": ("tomorrow", "Not a valid datetime value"),
    }
    for field, (value, message) in cases.items():
        response = organizer_client.post("/organizer/events/new", data=_form(**{field: value}))
        assert response.status_code == 200, field
        assert message in response.get_data(as_text=True), field
    taken = organizer_client.post("/organizer/events/new", data=_form(slug="taken"))
    assert "Another event already has this address name" in taken.get_data(as_text=True)
    assert db.session.scalar(select(Event).where(Event.slug == "shanghai-2019")) is None


def test_raising_the_capacity_promotes_the_waiting_list_in_order(app, organizer_client):
    event = make_event(capacity=1, slug="berlin")
    make_registration(event)
    first = make_registration(event, email="first@example.com")
    second = make_registration(event, email="second@example.com")
    db.session.rollback()
    form = _form(slug="berlin", capacity="2", timezone="Europe/Berlin", country="DE")
    form["starts_at"] = event.local_start().strftime("%Y-%m-%dT%H:%M")
    form["ends_at"] = event.local_end().strftime("%Y-%m-%dT%H:%M")
    form["venue_en"], form["venue_zh"], form["venue_de"] = (event.venue["en"], event.venue["zh"], event.venue["de"])
    assert organizer_client.post("/organizer/events/berlin/edit", data=form).status_code == 302
    db.session.rollback()
    assert db.session.get(Registration, first.id).status == "confirmed"
    assert db.session.get(Registration, second.id).status == "waitlisted"
    promoted = db.session.scalars(select(OutboundMail).where(OutboundMail.kind == "promoted")).all()
    assert [m.registration_id for m in promoted] == [first.id]


def test_moving_a_published_event_raises_its_calendar_sequence(app, organizer_client):
    event = make_event(slug="munich")
    form = _form(slug="munich", timezone="Europe/Berlin", country="DE", starts_at="2031-01-10T18:00",
                 ends_at="2031-01-10T21:00")
    assert organizer_client.post("/organizer/events/munich/edit", data=form).status_code == 302
    db.session.rollback()
    edited = db.session.get(Event, event.id)
    assert edited.ics_sequence == 1 and edited.status == "published"
    assert edited.local_start().strftime("%H:%M") == "18:00"


def test_publish_and_unpublish(app, organizer_client):
    event = make_event(slug="draft-one", status="draft")
    assert organizer_client.post("/organizer/events/draft-one/publish").status_code == 302
    db.session.rollback()
    assert db.session.get(Event, event.id).status == "published"
    organizer_client.post("/organizer/events/draft-one/unpublish")
    db.session.rollback()
    assert db.session.get(Event, event.id).status == "draft"


def test_cancelling_asks_first_then_mails_every_live_registrant(app, organizer_client):
    event = make_event(slug="to-cancel")
    people = [make_registration(event) for _ in range(2)]
    page = organizer_client.get("/organizer/events/to-cancel/cancel")
    assert "cannot be undone" in page.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Event, event.id).status == "published"  # asking changed nothing
    assert organizer_client.post("/organizer/events/to-cancel/cancel").status_code == 302
    db.session.rollback()
    assert db.session.get(Event, event.id).status == "cancelled"
    mails = db.session.scalars(select(OutboundMail).where(OutboundMail.kind == "event_cancelled")).all()
    assert sorted(m.registration_id for m in mails) == sorted(p.id for p in people)


def test_events_list_and_dashboard(app, organizer_client):
    event = make_event(slug="dash", capacity=1)
    make_registration(event)
    make_registration(event, family_name="李", given_name="雷")
    page = organizer_client.get("/organizer/events").get_data(as_text=True)
    assert f'<a href="/organizer/events/dash">{event.title["en"]}</a>' in page  # the list leads to it
    dashboard = organizer_client.get("/organizer/events/dash").get_data(as_text=True)
    assert "<svg" in dashboard and "<script src" not in dashboard
    assert "Registrations per day" in dashboard


def test_reminder_offsets_read_words_and_iso():
    assert parse_reminder_offsets("1 day, 7 days") == ["P7D", "P1D"]
    assert parse_reminder_offsets("2 weeks; 90 minutes; PT12H") == ["P14D", "PT12H", "PT1H30M"]
    assert parse_reminder_offsets("") == []


def test_saving_an_untouched_form_announces_nothing(app, organizer_client):
    """The browser sends CRLF line breaks and the form has no seconds: neither is a change."""
    event = make_event(slug="untouched", venue={"en": "Haus der Wirtschaft\nAm Weidendamm 1A, Berlin"},
                       starts_at=datetime(2031, 3, 1, 17, 0, 42, tzinfo=timezone.utc))
    form = _form(slug="untouched", timezone="Europe/Berlin", country="DE", title_en="A new title",
                 venue_en="Haus der Wirtschaft\r\nAm Weidendamm 1A, Berlin", venue_zh="", venue_de="",
                 starts_at=event.local_start().strftime("%Y-%m-%dT%H:%M"),
                 ends_at=event.local_end().strftime("%Y-%m-%dT%H:%M"))
    assert organizer_client.post("/organizer/events/untouched/edit", data=form).status_code == 302
    db.session.rollback()
    edited = db.session.get(Event, event.id)
    assert edited.title["en"] == "A new title"
    assert edited.change_notice_due_at is None
    assert edited.ics_sequence == 1  # no mail, but subscribed calendars take the new title


def test_copying_an_event_makes_a_draft_with_its_texts_and_settings_and_nobody_registered(app, organizer_client):
    event = make_event(slug="berlin-2027", capacity=80, languages=["de", "en"], reminder_offsets=["P14D", "P1D"])
    make_registration(event)
    response = organizer_client.post("/organizer/events/berlin-2027/copy")
    assert response.status_code == 302 and response.headers["Location"].endswith("/organizer/events/berlin-2027-copy/edit")
    copy = db.session.scalar(select(Event).where(Event.slug == "berlin-2027-copy"))
    assert copy.status == "draft" and copy.registrations.count() == 0
    for name in ("title", "description", "venue", "city", "timezone", "starts_at", "capacity", "languages",
                 "reminder_offsets"):
        assert getattr(copy, name) == getattr(event, name), name
    organizer_client.post("/organizer/events/berlin-2027/copy")
    assert db.session.scalar(select(Event.id).where(Event.slug == "berlin-2027-copy-2")) is not None
