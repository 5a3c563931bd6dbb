"""The registrant's own page /r/<token>: status, waiting list, cancel, language, unsubscribe."""

from __future__ import annotations

import re

import pytest

from eventsvc.extensions import db
from eventsvc.models import Registration
from tests.factories import make_event, make_registration


def text(response) -> str:
    return response.get_data(as_text=True)


def test_page_is_in_the_registrants_language_unless_they_pick_another(client):
    event = make_event()
    registration = make_registration(event, language="zh", family_name="王", given_name="力")
    page = text(client.get(f"/r/{registration.manage_token}", headers={"Accept-Language": "de"}))
    assert 'lang="zh-Hans"' in page and "王力" in page and "已确认" in page
    assert "Bestätigt: Sie haben einen Platz." in text(client.get(f"/r/{registration.manage_token}?lang=de"))


def test_a_latin_name_reads_given_name_first_on_a_chinese_page(client):
    registration = make_registration(make_event(), language="zh", family_name="Schmidt", given_name="Anna")
    page = text(client.get(f"/r/{registration.manage_token}"))
    assert "Anna Schmidt" in page and "Schmidt Anna" not in page and "SchmidtAnna" not in page


def test_waitlisted_registrant_sees_their_place_and_can_leave(client):
    event = make_event(capacity=1)
    make_registration(event)
    first_waiting = make_registration(event)
    second_waiting = make_registration(event, language="en")
    page = text(client.get(f"/r/{second_waiting.manage_token}"))
    assert "You are number 2 on the waiting list." in page and "Leave the waiting list" in page
    confirm = client.get(f"/r/{first_waiting.manage_token}/cancel")
    assert "Leave the waiting list?" in text(confirm)
    assert client.post(f"/r/{first_waiting.manage_token}/cancel").status_code == 302
    page = text(client.get(f"/r/{second_waiting.manage_token}"))
    assert "You are number 1 on the waiting list." in page


def test_cancel_needs_the_confirmation_step_and_frees_the_seat(client):
    event = make_event(capacity=1)
    holder = make_registration(event)
    waiting = make_registration(event)
    confirmation = client.get(f"/r/{holder.manage_token}/cancel?lang=en")
    assert "Cancel your registration?" in text(confirmation)
    assert db.session.get(Registration, holder.id).status == "confirmed"  # a GET changes nothing
    response = client.post(f"/r/{holder.manage_token}/cancel?lang=en", follow_redirects=True)
    assert "Your registration is cancelled." in text(response)
    db.session.expire_all()
    assert db.session.get(Registration, holder.id).status == "cancelled"
    assert db.session.get(Registration, waiting.id).status == "confirmed"
    assert [m.kind for m in db.session.get(Registration, holder.id).mails] == ["confirmation", "cancelled"]
    # Cancelling again is harmless.
    assert client.post(f"/r/{holder.manage_token}/cancel").status_code == 302


def test_change_language_for_future_mail(client):
    registration = make_registration(make_event(), language="en")
    response = client.post(f"/r/{registration.manage_token}/language", data={"language": "de"},
                           follow_redirects=True)
    assert "Ab jetzt schreiben wir Ihnen in dieser Sprache." in text(response)
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).language == "de"
    client.post(f"/r/{registration.manage_token}/language", data={"language": "xx"})
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).language == "de"


class TestOneClickUnsubscribe:
    @pytest.fixture
    def app_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_a_post_without_csrf_token_unsubscribes(self, client):
        registration = make_registration(make_event(), marketing_consent=True)
        assert db.session.get(Registration, registration.id).marketing_consent
        page = text(client.get(f"/unsubscribe/{registration.unsubscribe_token}"))
        assert re.search(r"<button[^>]*>Unsubscribe", page)
        response = client.post(f"/unsubscribe/{registration.unsubscribe_token}",
                               data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        db.session.expire_all()
        unsubscribed = db.session.get(Registration, registration.id)
        assert unsubscribed.unsubscribed_at is not None and not unsubscribed.marketing_consent
        assert unsubscribed.status == "confirmed"  # the seat is kept

    def test_the_unsubscribe_token_can_do_nothing_else_and_shows_nothing_personal(self, client):
        registration = make_registration(make_event(), email="private.person@example.com", family_name="Privatus")
        token = registration.unsubscribe_token
        assert token != registration.manage_token
        page = text(client.get(f"/unsubscribe/{token}"))
        assert "private.person@example.com" not in page and "Privatus" not in page
        assert registration.manage_token not in page
        for url in (f"/r/{token}", f"/r/{token}/cancel", f"/r/{token}/calendar.ics", f"/r/{token}/data"):
            assert client.get(url).status_code == 404, url
        assert client.post(f"/unsubscribe/{registration.manage_token}").status_code == 404
        done = text(client.post(f"/unsubscribe/{token}"))
        assert registration.manage_token not in done and "private.person@example.com" not in done

    def test_other_posts_still_need_the_token(self, client):
        registration = make_registration(make_event())
        assert client.post(f"/r/{registration.manage_token}/cancel").status_code == 400
        assert db.session.get(Registration, registration.id).status == "confirmed"


def test_calendar_file_and_private_headers(client):
    from icalendar import Calendar

    registration = make_registration(make_event(), language="en")
    page = client.get(f"/r/{registration.manage_token}")
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "same-origin"  # never to other sites; own forms keep CSRF on HTTPS
    assert "Add to calendar" in text(page)
    response = client.get(f"/r/{registration.manage_token}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    entry = Calendar.from_ical(response.data).walk("VEVENT")[0]
    assert entry.decoded("dtstart") == registration.event.starts_at
    assert str(entry["summary"]) == registration.event.title["en"]


HAMBURG = dict(city="Hamburg", country="DE", timezone="Europe/Berlin",
               venue={"en": "Chamber of Commerce\nAdolphsplatz 1\n20457 Hamburg", "zh": "汉堡商会\n阿道夫广场1号"})


def test_a_confirmed_registration_reads_as_a_ticket(client):
    registration = make_registration(make_event(**HAMBURG), language="zh", family_name="王", given_name="丽")
    page = text(client.get(f"/r/{registration.manage_token}"))
    ticket = page.split('class="ticket', 1)[1].split("</section>", 1)[0]
    assert "<svg" in ticket and "签到二维码" in ticket                    # the QR check-in code
    assert registration.checkin_code in ticket                          # and the code in text
    assert "（德国时间）" in ticket and "北京时间" in ticket               # both zones
    assert "<address" in ticket and "阿道夫广场1号" in ticket
    actions = page.split('class="ticket-actions', 1)[1].split("</div>", 1)[0]
    calendar, cancel = actions.index("calendar.ics"), actions.index("/cancel")
    assert calendar < cancel
    assert 'class="button button-large" href="/r/' in actions           # calendar: the main action
    assert 'class="quiet-action"' in actions                            # cancel: a quiet one


def test_a_waiting_registrant_has_no_check_in_code(client):
    event = make_event(capacity=1)
    make_registration(event)
    waiting = make_registration(event)
    page = text(client.get(f"/r/{waiting.manage_token}?lang=en"))
    assert waiting.checkin_code not in page and "<svg" not in page


def test_the_cancel_question_says_what_happens_to_the_seat(client):
    event = make_event(capacity=1)
    holder = make_registration(event)
    nobody_waits = text(client.get(f"/r/{holder.manage_token}/cancel?lang=en"))
    assert "waiting list" not in nobody_waits and "free for someone else" in nobody_waits
    make_registration(event)
    someone_waits = text(client.get(f"/r/{holder.manage_token}/cancel?lang=en"))
    assert "goes to the next person on the waiting list" in someone_waits
