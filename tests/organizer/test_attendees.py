"""The attendee list, one attendee's page, and what organizers do there."""

from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import OutboundMail, Registration
from tests.factories import make_event, make_registration


def test_search_filter_and_chinese_names(app, organizer_client):
    event = make_event(slug="list", capacity=2)
    make_registration(event, family_name="王", given_name="小明", organization="上海电气")
    make_registration(event, family_name="Schmidt", given_name="Anna", organization="Siemens AG",
                      email="anna.schmidt@siemens.example")
    make_registration(event, family_name="Müller", given_name="Jan", organization="VW")  # waitlisted
    url = "/organizer/events/list/attendees"
    page = organizer_client.get(url).get_data(as_text=True)
    assert "王小明" in page and "Anna Schmidt" in page and "3 registrations found" in page
    assert "王小明" in organizer_client.get(url, query_string={"q": "小明"}).get_data(as_text=True)
    by_org = organizer_client.get(url, query_string={"q": "SIEMENS"}).get_data(as_text=True)
    assert "Anna Schmidt" in by_org and "王小明" not in by_org
    by_mail = organizer_client.get(url, query_string={"q": "anna.schmidt@"}).get_data(as_text=True)
    assert "1 registration found" in by_mail and "1 registrations" not in by_mail
    waiting = organizer_client.get(url, query_string={"status": "waitlisted"}).get_data(as_text=True)
    assert "Jan Müller" in waiting and "Anna Schmidt" not in waiting
    odd = organizer_client.get(url, query_string={"q": "%_\\", "status": "nonsense", "page": "x"})
    assert odd.status_code == 200 and "0 registrations found" in odd.get_data(as_text=True)


def test_pages_of_fifty(app, organizer_client):
    event = make_event(slug="many")
    for n in range(55):
        make_registration(event, family_name=f"Family{n:02d}", given_name="G")
    first = organizer_client.get("/organizer/events/many/attendees").get_data(as_text=True)
    assert "Page 1 of 2" in first and "G Family00" in first and "G Family54" not in first
    second = organizer_client.get("/organizer/events/many/attendees?page=2").get_data(as_text=True)
    assert "G Family54" in second and "G Family00" not in second


def test_markup_in_attendee_fields_is_shown_as_text(app, organizer_client):
    event = make_event(slug="xss")
    registration = make_registration(event, family_name="<script>alert(1)</script>",
                                     organization='<img src=x onerror="alert(2)">')
    for url in ("/organizer/events/xss/attendees", f"/organizer/events/xss/attendees/{registration.public_id}",
                "/organizer/mail"):
        page = organizer_client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page and "<img src=x" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


def test_attendee_page_shows_every_mail_and_resends_the_confirmation(app, organizer_client):
    event = make_event(slug="detail")
    registration = make_registration(event, family_name="李", given_name="雷")
    db.session.execute(db.update(OutboundMail).values(status="failed", attempts=3, last_error="550 mailbox unavailable"))
    db.session.commit()
    url = f"/organizer/events/detail/attendees/{registration.public_id}"
    page = organizer_client.get(url).get_data(as_text=True)
    assert "李雷" in page and "550 mailbox unavailable" in page
    assert '<td class="status-failed">failed</td>' in page  # the page's style sheet names "failed" anyway
    assert organizer_client.post(url + "/resend").status_code == 302
    db.session.rollback()
    mails = db.session.scalars(select(OutboundMail).where(OutboundMail.registration_id == registration.id)
                               .order_by(OutboundMail.id)).all()
    assert [(m.kind, m.status) for m in mails] == [("confirmation", "failed"), ("confirmation", "queued")]
    assert mails[1].dedupe_key.startswith("confirmation:resend:")


def test_cancel_and_check_in_from_the_attendee_page(app, organizer_client):
    event = make_event(slug="act", capacity=1)
    seated = make_registration(event)
    waiting = make_registration(event, family_name="Schmidt", given_name="Anna")
    base = "/organizer/events/act/attendees/"
    organizer_client.post(base + seated.public_id + "/cancel")
    db.session.rollback()
    assert db.session.get(Registration, seated.id).status == "cancelled"
    assert db.session.get(Registration, waiting.id).status == "confirmed"  # promoted into the seat
    response = organizer_client.post(base + waiting.public_id + "/checkin", follow_redirects=True)
    page = response.get_data(as_text=True)
    # "Checked in" is also the label of a row on every attendee page: the message names the person,
    # and the button to check in is gone.
    assert '<p class="flash info" role="status">Checked in: Anna Schmidt</p>' in page
    assert f"/attendees/{waiting.public_id}/checkin" not in page
    db.session.rollback()
    assert db.session.get(Registration, waiting.id).checked_in_at is not None
    assert organizer_client.get(base + "unknown").status_code == 404


def test_event_titles_are_text_in_headings(app, organizer_client):
    make_event(slug="bold", title={"en": "<b>Bold</b> launch"})
    for url in ("/organizer/events/bold/attendees", "/organizer/events/bold/checkin", "/organizer/events/bold/edit"):
        page = organizer_client.get(url).get_data(as_text=True)
        assert "<b>Bold</b>" not in page and "&lt;b&gt;Bold&lt;/b&gt; launch" in page, url
