"""Registering through the form: what is stored, what is mailed, what the visitor is told."""

from __future__ import annotations

import re
import threading
import time

import pytest
from flask import g
from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import OutboundMail, Registration
from tests.factories import make_event, make_registration


def form(**fields) -> dict:
    values = {"email": "Li.Wang@Example.com ", "family_name": "王", "given_name": "力",
              "organization": "Siemens", "job_title": "Engineer", "language": "zh",
              "privacy_consent": "y"}
    values.update(fields)
    return {k: v for k, v in values.items() if v is not None}


def errors(response) -> list[str]:
    return re.findall(r'<p class="error"[^>]*>([^<]*)</p>', response.get_data(as_text=True))


def test_register_stores_the_registration_and_its_confirmation_and_redirects(client):
    event = make_event()
    response = client.post(f"/events/{event.slug}/register", data=form(marketing_consent="y"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/events/{event.slug}/registered")
    registration = db.session.scalar(select(Registration))
    assert (registration.email, registration.family_name, registration.given_name) == ("li.wang@example.com", "王", "力")
    assert registration.language == "zh" and registration.status == "confirmed"
    assert registration.privacy_consent_at is not None
    assert registration.privacy_consent_version == client.application.config["PRIVACY_NOTICE_VERSION"]
    assert registration.marketing_consent
    # The ticked box asks for confirmation by mail (double opt-in) besides the confirmation.
    assert [m.kind for m in registration.mails] == ["confirmation", "consent"]
    page = client.get(response.headers["Location"] + "?lang=zh").get_data(as_text=True)
    assert "请查收邮件" in page


def test_marketing_consent_is_optional_and_unticked(client):
    event = make_event()
    page = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="marketing_consent"', page)
    assert not re.search(r'<input[^>]*checked[^>]*name="marketing_consent"|<input[^>]*name="marketing_consent"[^>]*checked', page)
    client.post(f"/events/{event.slug}/register", data=form())
    assert not db.session.scalar(select(Registration)).marketing_consent


def test_language_defaults_to_the_page_language(client):
    event = make_event()
    page = client.get(f"/events/{event.slug}/register?lang=de").get_data(as_text=True)
    assert re.search(r'<option selected value="de">|<option value="de" selected>', page)
    client.post(f"/events/{event.slug}/register?lang=de", data=form(language=None))
    assert db.session.scalar(select(Registration)).language == "de"


def test_the_same_address_again_creates_nothing_and_says_the_same(client):
    event = make_event()
    first = client.post(f"/events/{event.slug}/register", data=form())
    second = client.post(f"/events/{event.slug}/register", data=form(email="LI.WANG@example.com", given_name="Other"))
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    registrations = db.session.scalars(select(Registration)).all()
    assert len(registrations) == 1 and registrations[0].given_name == "力"
    kinds = db.session.scalars(select(OutboundMail.kind).order_by(OutboundMail.id)).all()
    assert kinds == ["confirmation", "already_registered"]


def test_the_page_after_registering_says_plainly_a_mail_is_on_its_way_known_address_or_not(client):
    event = make_event()
    pages = []
    for _ in range(2):  # a new address, then the same one again
        response = client.post(f"/events/{event.slug}/register?lang=en", data=form(), follow_redirects=True)
        pages.append(response.get_data(as_text=True))
    assert "A mail to Li.Wang@Example.com is on its way" in pages[0]
    assert pages[0] == pages[1]
    assert "If this is your first registration" not in pages[0] and "already registered" not in pages[0]
    chinese = client.post(f"/events/{event.slug}/register?lang=zh", data=form(), follow_redirects=True)
    assert "一封邮件正在发往 Li.Wang@Example.com" in chinese.get_data(as_text=True)


@pytest.mark.parametrize("language, expected", [
    ("en", ["Please enter a valid email address, e.g. name@example.com.", "Please use at most 100 characters.",
            "Please enter your given name.", "Please accept the privacy notice to register."]),
    ("zh", ["请填写有效的电子邮箱，例如 name@example.com。", "最多可输入 100 个字符。", "请填写您的名。",
            "请同意隐私声明后再报名。"]),
    ("de", ["Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@example.com.",
            "Bitte verwenden Sie höchstens 100 Zeichen.", "Bitte geben Sie Ihren Vornamen ein.",
            "Bitte stimmen Sie dem Datenschutzhinweis zu, um sich anzumelden."]),
])
def test_validation_messages_in_each_language(client, language, expected):
    event = make_event()
    response = client.post(f"/events/{event.slug}/register?lang={language}", data=form(
        email="not-an-address", family_name="x" * 101, given_name="", privacy_consent=None))
    assert response.status_code == 422
    assert errors(response) == expected
    assert db.session.scalar(select(Registration)) is None


@pytest.mark.parametrize("field, limit", [("email", 254), ("family_name", 100), ("given_name", 100),
                                          ("organization", 200), ("job_title", 200)])
def test_every_field_has_a_length_limit(client, field, limit):
    event = make_event()
    value = ("a" * (limit - 11) + "@example.com") if field == "email" else "a" * (limit + 1)
    response = client.post(f"/events/{event.slug}/register?lang=en", data=form(**{field: value}))
    assert response.status_code == 422
    assert f"Please use at most {limit} characters." in errors(response)


@pytest.mark.parametrize("data", [
    {}, {"email": "\x00\x01"}, {"language": "klingon", "email": "a@example.com"},
    {"privacy_consent": ["y", "y"], "email": ["a@b.c", "d@e.f"]},
    {"email": "nul@example.com", "family_name": "a\x00b", "given_name": "c", "privacy_consent": "y"},
    {"email": "nul@example.com", "family_name": "a", "given_name": "c", "organization": "\x00", "privacy_consent": "y"}, {"email": "a@example.com" + "x" * 100_000},
])
def test_garbage_posts_never_give_a_500_nor_store_anything(client, data):
    event = make_event()
    make_registration(event, email="kept@example.com")
    response = client.post(f"/events/{event.slug}/register", data=data)
    assert response.status_code in (400, 413, 422)
    assert [r.email for r in db.session.scalars(select(Registration))] == ["kept@example.com"]


def test_a_full_event_without_waiting_list_says_so_on_the_form(client):
    event = make_event(capacity=1, waitlist_enabled=False)
    make_registration(event)
    response = client.post(f"/events/{event.slug}/register?lang=en", data=form())
    assert response.status_code == 409 and "Sorry, this event is full." in response.get_data(as_text=True)
    assert event.registrations.count() == 1


def test_a_full_event_puts_newcomers_on_the_waiting_list(client):
    event = make_event(capacity=1)
    make_registration(event)
    assert client.post(f"/events/{event.slug}/register", data=form()).status_code == 302
    assert db.session.scalar(select(Registration).where(Registration.email == "li.wang@example.com")).status == "waitlisted"


class TestWithCsrf:
    """The real form with its CSRF token, as a browser sends it."""

    @pytest.fixture
    def app_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_the_token_from_the_page_is_needed_and_enough(self, client):
        event = make_event()
        page = client.get(f"/events/{event.slug}/register?lang=en").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        refused = client.post(f"/events/{event.slug}/register", data=form())
        assert refused.status_code == 400 and "Something in that request was not right" in refused.get_data(as_text=True)
        accepted = client.post(f"/events/{event.slug}/register", data=form(csrf_token=token))
        assert accepted.status_code == 302
        assert db.session.scalar(select(Registration)).email == "li.wang@example.com"


    def test_every_visitor_gets_the_kept_page_with_a_token_of_their_own(self, client):
        event = make_event()
        first = client.get(f"/events/{event.slug}/register?lang=en").get_data(as_text=True)
        other = client.application.test_client()
        g.pop("csrf_token", None)  # the test's app context outlives a request; a browser's would not
        second = other.get(f"/events/{event.slug}/register?lang=en").get_data(as_text=True)
        mine, theirs = (re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
                        for page in (first, second))
        assert mine != theirs and "\x00" not in second
        assert second.replace(theirs, mine) == first  # the same page, but for the token
        # The first visitor's token is of no use in the second visitor's session.
        assert other.post(f"/events/{event.slug}/register", data=form(csrf_token=mine)).status_code == 400
        assert other.post(f"/events/{event.slug}/register", data=form(csrf_token=theirs)).status_code == 302

    def test_an_edited_event_is_shown_at_once_and_each_language_has_its_page(self, client):
        event = make_event()
        path = f"/events/{event.slug}/register"
        assert event.title["en"] in client.get(f"{path}?lang=en").get_data(as_text=True)
        event.title = {**event.title, "en": "Hamburg launch, new venue"}
        db.session.commit()
        assert "Hamburg launch, new venue" in client.get(f"{path}?lang=en").get_data(as_text=True)
        assert "Fields marked * are required." not in client.get(f"{path}?lang=de").get_data(as_text=True)


def test_required_fields_are_marked(client):
    event = make_event()
    page = client.get(f"/events/{event.slug}/register?lang=de").get_data(as_text=True)
    assert "Pflichtfelder sind mit * gekennzeichnet." in page
    for name in ("email", "family_name", "given_name", "privacy_consent"):
        label = re.search(rf'<label[^>]*for="{name}"[^>]*>.*?</label>|<label>[^<]*<input[^>]*name="{name}".*?</label>', page, re.S)
        assert label and 'class="required-mark"' in label.group(0), name
    organization = re.search(r'<label[^>]*for="organization"[^>]*>.*?</label>', page, re.S).group(0)
    assert "required-mark" not in organization


def test_the_answer_does_not_wait_for_the_broker_and_the_hint_still_goes(client, monkeypatch):
    event = make_event()
    answered, hints = threading.Event(), []

    def slow_broker(name, args=None, countdown=None):
        # True when the visitor had the answer before the broker was asked.
        hints.append((name, args, answered.wait(10)))

    monkeypatch.setattr(client.application.extensions["celery"], "send_task", slow_broker)
    response = client.post(f"/events/{event.slug}/register", data=form())
    answered.set()
    assert response.status_code == 302
    for _ in range(100):
        if hints:
            break
        time.sleep(0.1)
    mail_id = db.session.scalar(select(OutboundMail.id))
    assert hints == [("eventsvc.send_mail", [mail_id], True)]


def test_the_page_after_registering_is_kept_and_names_each_visitors_own_address(client):
    event = make_event()
    path = f"/events/{event.slug}/register?lang=en"
    first = client.post(path, data=form(email="li.wang@example.com"), follow_redirects=True).get_data(as_text=True)
    other = client.application.test_client()
    second = other.post(path, data=form(email="o'brien&co@example.com"), follow_redirects=True).get_data(as_text=True)
    assert "A mail to li.wang@example.com is on its way" in first
    # The address is put into the kept page as text: escaped like anything else on it.
    assert "A mail to o&#39;brien&amp;co@example.com is on its way" in second and "\x00" not in second
    assert second.replace("o&#39;brien&amp;co@example.com", "li.wang@example.com") == first
    # The page is per version of the event: an edited title shows at once.
    event.title = {**event.title, "en": "Hamburg launch, new venue"}
    db.session.commit()
    third = other.post(path, data=form(email="third@example.com"), follow_redirects=True).get_data(as_text=True)
    assert "Hamburg launch, new venue" in third and "A mail to third@example.com is on its way" in third


def test_a_burst_of_registrations_wakes_the_worker_a_few_times_for_all_their_mail(client, monkeypatch):
    from eventsvc.services.mailing import outbox

    event = make_event()
    hinted = []
    monkeypatch.setattr(outbox, "enqueue_send", lambda ids: hinted.append(list(ids)))
    for n in range(10):
        assert client.post(f"/events/{event.slug}/register", data=form(email=f"burst{n}@example.com")).status_code == 302
    mail_ids = sorted(db.session.scalars(select(OutboundMail.id)))
    for _ in range(100):
        if sum(map(len, hinted)) == len(mail_ids):
            break
        time.sleep(0.05)
    assert sorted(mail_id for ids in hinted for mail_id in ids) == mail_ids  # every mail, once
    assert len(hinted) < len(mail_ids)  # fewer hints than mails: those of a burst go together
