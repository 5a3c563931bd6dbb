"""The organizer area speaks the organizer's language: times, cities, statuses, mail kinds."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import update

from eventsvc.extensions import db
from eventsvc.models import OutboundMail
from tests.factories import make_event, make_registration

SHANGHAI = dict(slug="shanghai", city="Shanghai", country="CN", timezone="Asia/Shanghai",
                title={"en": "Launch in Shanghai", "zh": "上海发布会", "de": "Vorstellung in Shanghai"},
                starts_at=datetime(2030, 5, 20, 6, 0, tzinfo=timezone.utc),
                ends_at=datetime(2030, 5, 20, 9, 0, tzinfo=timezone.utc))


def page(client, url):
    return client.get(url).get_data(as_text=True)


def test_event_list_in_chinese_names_city_status_and_beijing_time(app, organizer_client):
    make_event(**SHANGHAI)
    chinese = page(organizer_client, "/organizer/events?lang=zh")
    assert "上海发布会" in chinese and ">上海<" in chinese and "已发布" in chinese
    assert "2030年5月20日 14:00（北京时间）" in chinese
    assert "14:00:00" not in chinese and "Shanghai<" not in chinese


def test_german_times_have_no_seconds_and_no_us_dates(app, organizer_client):
    event = make_event(**SHANGHAI)
    registration = make_registration(event, language="de", family_name="Schmidt", given_name="Anna")
    db.session.execute(update(OutboundMail).values(status="sent", sent_at=datetime(2030, 5, 1, 8, 0, tzinfo=timezone.utc)))
    db.session.commit()
    german = page(organizer_client, "/organizer/events/shanghai?lang=de")
    assert "Montag, 20. Mai 2030, 14:00–17:00 Uhr (chinesische Zeit)" in german
    assert "veröffentlicht" in german
    attendee = page(organizer_client, f"/organizer/events/shanghai/attendees/{registration.public_id}?lang=de")
    assert "01.05.2030, 16:00 (chinesische Zeit)" in attendee
    assert "Anmeldebestätigung" in attendee and "Deutsch" in attendee and ">de<" not in attendee
    assert "16:00:00" not in attendee
    mail_log = page(organizer_client, "/organizer/mail?lang=de")
    assert "Vorstellung in Shanghai" in mail_log and ">shanghai<" not in mail_log
    assert "Anmeldebestätigung" in mail_log and ">confirmation<" not in mail_log
    assert "01.05.2030, 16:00 (chinesische Zeit)" in mail_log


def test_a_cancelled_registration_is_storniert_a_cancelled_event_abgesagt(app, organizer_client):
    from eventsvc.services.registration import cancel

    event = make_event(**SHANGHAI)
    registration = make_registration(event, language="de", family_name="Schmidt", given_name="Anna")
    cancel(registration.id)
    attendees = page(organizer_client, "/organizer/events/shanghai/attendees?lang=de")
    assert "<td>storniert</td>" in attendees and "abgesagt" not in attendees
