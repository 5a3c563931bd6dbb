"""The event list and event pages, in three languages, and friendly pages for bad input."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from eventsvc.extensions import db
from eventsvc.models import Report, ReportDownload
from eventsvc.services.events import SEED_FILE, import_events, load_events_file
from tests.factories import make_event, make_registration


def text(response) -> str:
    return response.get_data(as_text=True)


def listed(page: str) -> tuple[list[str], list[str]]:
    """The events the list page links to, as ``(upcoming, past)`` slugs in the order shown."""
    upcoming, _, past = page.partition('class="past-heading"')
    card_link = re.compile(r'<h3><a href="/events/([^"?]+)">')
    return card_link.findall(upcoming), card_link.findall(past)


def test_upcoming_events_come_first_soonest_first_and_past_ones_apart(client):
    now = datetime.now(timezone.utc)
    make_event(slug="later", title={"en": "Later event"}, starts_at=now + timedelta(days=60))
    make_event(slug="sooner", title={"en": "Sooner event"}, starts_at=now + timedelta(days=10))
    make_event(slug="called-off", title={"en": "Called-off event"}, starts_at=now + timedelta(days=30),
               status="cancelled")
    make_event(slug="long-ago", title={"en": "Past event one"}, starts_at=now - timedelta(days=400))
    make_event(slug="recently", title={"en": "Past event two"}, starts_at=now - timedelta(days=30))
    make_event(slug="secret", title={"en": "Secret draft"}, status="draft")

    page = text(client.get("/?lang=en"))

    upcoming, past = listed(page)
    assert upcoming == ["sooner", "called-off", "later"]   # soonest first; a cancelled one stays listed
    assert past == ["recently", "long-ago"]                # under their own heading, latest first
    assert page.index("Sooner event") < page.index("Later event") < page.index("Past events") < page.index("Past event two")
    called_off = page.split('href="/events/called-off"', 1)[0].rsplit('<li class="card event-card">', 1)[1]
    assert "Event cancelled" in called_off                 # marked as such on its card
    assert "Secret draft" not in page and "/events/secret" not in page


def test_event_page_shows_local_time_venue_seats_in_each_language(client):
    event = make_event(capacity=10, timezone="Asia/Shanghai", city="Shanghai", country="CN",
                       starts_at=datetime(2030, 5, 20, 6, 0, tzinfo=timezone.utc))
    make_registration(event)
    english = text(client.get(f"/events/{event.slug}?lang=en"))
    assert "Monday, May 20, 2030, 2:00" in english  # 06:00 UTC is 14:00 in Shanghai
    assert "9 seats left." in english and "Register now" in english
    chinese = text(client.get(f"/events/{event.slug}?lang=zh"))
    assert "2030年5月20日星期一" in chinese and "14:00" in chinese and "尚余 9 个座位" in chinese
    assert "柏林经济之家" in chinese  # the venue in Chinese
    german = text(client.get(f"/events/{event.slug}?lang=de"))
    assert "Montag, 20. Mai 2030" in german and "Noch 9 Plätze frei." in german


def test_full_event_offers_the_waiting_list_or_says_full(client):
    waiting = make_event(capacity=1)
    make_registration(waiting)
    assert "Join the waiting list" in text(client.get(f"/events/{waiting.slug}?lang=en"))
    full = make_event(capacity=1, waitlist_enabled=False)
    make_registration(full)
    page = text(client.get(f"/events/{full.slug}?lang=en"))
    assert "this event is full" in page and "Register now" not in page


@pytest.mark.parametrize("fields, words", [
    ({"starts_at": datetime(2019, 3, 14, 17, 0, tzinfo=timezone.utc)}, "Registration for this event is closed."),
    ({"status": "cancelled"}, "This event has been cancelled."),
    ({"registration_closes_at": datetime(2020, 1, 1, tzinfo=timezone.utc)}, "Registration for this event is closed."),
])
def test_past_cancelled_and_closed_events_take_no_registrations(client, fields, words):
    event = make_event(**fields)
    assert words in text(client.get(f"/events/{event.slug}?lang=en"))
    form = client.get(f"/events/{event.slug}/register?lang=en")
    assert form.status_code == 200 and words in text(form) and 'name="email"' not in text(form)
    posted = client.post(f"/events/{event.slug}/register", data={
        "email": "late@example.com", "family_name": "Li", "given_name": "Na", "privacy_consent": "y"})
    assert posted.status_code == 409 and words in text(posted)
    assert event.registrations.count() == 0


def test_unknown_and_draft_events_are_a_friendly_404_in_the_visitors_language(client):
    draft = make_event(status="draft")
    for url in ("/events/no-such-event", f"/events/{draft.slug}", f"/events/{draft.slug}/register",
                "/events/" + "x" * 5000, "/r/not-a-token", "/unsubscribe/nope", "/reports/zh"):
        response = client.get(url, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        assert response.status_code == 404, url
        assert "页面不存在" in text(response)


def test_bad_language_parameter_falls_back(client):
    response = client.get("/?lang=klingon", headers={"Accept-Language": "de-DE"})
    assert response.status_code == 200 and "Kommende Veranstaltungen" in text(response)


def test_language_choice_is_remembered_and_the_switcher_is_everywhere(client):
    event = make_event()
    client.get("/?lang=zh")
    page = text(client.get(f"/events/{event.slug}"))
    assert 'lang="zh-Hans"' in page and "立即报名" in page
    for code in ("en", "zh", "de"):
        assert f'hreflang="{code}"' in page or f'lang="{code}" aria-current' in page


def test_seeded_events_render_in_every_language(client):
    import_events(load_events_file(SEED_FILE))
    for language, words in (("en", "Upcoming events"), ("zh", "即将举行的活动"), ("de", "Kommende Veranstaltungen")):
        page = text(client.get(f"/?lang={language}"))
        assert words in page and "hamburg-launch-2019" in page
        for slug in ("hamburg-launch-2019", "berlin-2027", "shanghai-2027"):
            assert client.get(f"/events/{slug}?lang={language}").status_code == 200


@pytest.mark.parametrize("language, heading, version", [
    ("en", "Privacy notice", "Version"), ("zh", "隐私声明", "版本"), ("de", "Datenschutzhinweis", "Version"),
])
def test_privacy_notice_in_three_languages(client, language, heading, version):
    response = client.get(f"/privacy?lang={language}")
    page = text(response)
    # Every page's footer links the notice by its name: the heading shows this is the notice itself,
    # with the version that registrants consent to.
    assert response.status_code == 200 and f"<h1>{heading}</h1>" in page
    assert f"{version} {client.application.config['PRIVACY_NOTICE_VERSION']}" in page


def test_report_link_counts_the_download_and_redirects(client):
    event = make_event()
    db.session.add(Report(language="en", title="Smart City China (English)", url="https://example.org/scc.pdf"))
    db.session.commit()
    assert "Smart City China (English)" in text(client.get(f"/events/{event.slug}?lang=en"))
    response = client.get(f"/reports/en?event={event.slug}")
    assert response.status_code == 302 and response.headers["Location"] == "https://example.org/scc.pdf"
    download = db.session.query(ReportDownload).one()
    assert download.event_id == event.id
    assert client.get("/reports/de").status_code == 404


def test_nul_bytes_in_urls_are_a_404_not_a_500(client):
    event = make_event()
    db.session.add(Report(language="en", title="Report", url="https://example.org/r.pdf"))
    db.session.commit()
    for url in ("/events/a%00b", "/events/a%00b/register", "/events/a%00b/registered", "/r/a%00b",
                "/r/a%00b/cancel", "/r/a%00b/calendar.ics", "/unsubscribe/a%00b", "/reports/e%00n"):
        assert client.get(url).status_code == 404, url
    assert client.post("/api/v1/events/a%00b/registrations", json={}).status_code == 404
    assert client.get(f"/reports/en?event={event.slug}%00").status_code == 302


@pytest.mark.parametrize("language, label", [("zh", "英文版"), ("de", "englische Fassung"), ("en", "English edition")])
def test_report_links_name_the_editions_language_in_the_readers_language(client, language, label):
    event = make_event()
    db.session.add(Report(language="en", title="Smart City China", url="https://example.org/scc.pdf"))
    db.session.commit()
    page = text(client.get(f"/events/{event.slug}?lang={language}"))
    assert label in page and "(English)" not in page


def test_the_mails_report_link_names_the_editions_language(app):
    from eventsvc.services.mailing.render import render_mail

    db.session.add(Report(language="en", title="Smart City China", url="https://example.org/scc.pdf"))
    db.session.commit()
    registration = make_registration(make_event(languages=["de", "en"]), language="de")
    rendered = render_mail(registration.mails.one())
    assert "englische Fassung" in rendered.text and "English edition" in rendered.text
    assert "englische Fassung" in rendered.html


@pytest.mark.parametrize("path", ["/%5Cevil.example/x", "//evil.example/x", "/%5C%5Cevil.example", "/%09/evil.example"])
def test_language_links_of_any_page_stay_on_this_site(app, client, path):
    """A browser reads a backslash (%5C) as a slash and drops tabs (%09): either could lead to another site."""
    import re

    page = client.get(path).get_data(as_text=True)
    links = re.findall(r'href="([^"]*)\?lang=', page)
    assert links
    for link in links:
        seen = link.replace("\t", "").replace("\\", "/")
        assert seen.startswith("/") and not seen.startswith("//"), link
