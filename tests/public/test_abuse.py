"""Abuse limits on registering, shared by the form and the API; links in names; the honeypot; the
proof-of-work challenge; the report-download counter (issue 9, item 1)."""

from __future__ import annotations

import base64
import json
import logging

import altcha
import pytest
from sqlalchemy import func, select

from eventsvc import create_app
from eventsvc.extensions import db
from eventsvc.config import DEFAULT_REGISTRATION_LIMITS, parse_limits
from eventsvc.models import OutboundMail, Registration
from eventsvc.proof_of_work import FREE_ATTEMPTS
from tests.factories import make_event


_DEFAULTS = parse_limits("REGISTRATION_LIMITS", "", DEFAULT_REGISTRATION_LIMITS)
REGISTRATIONS_PER_CLIENT_AND_EVENT = _DEFAULTS["client_event"]
REGISTRATIONS_PER_CLIENT = _DEFAULTS["client"]
REGISTRATIONS_PER_ADDRESS_AND_EVENT = _DEFAULTS["address_event"]


def _ceiling(limit: str) -> int:
    from limits import parse

    return parse(limit).amount


def form(n: int, **fields) -> dict:
    values = {"email": f"colleague{n}@siemens.example", "family_name": "Wang", "given_name": f"Li {n}",
              "organization": "Siemens", "job_title": "Engineer", "language": "en", "privacy_consent": "y"}
    values.update(fields)
    return values


def body(n: int, **fields) -> dict:
    return {**form(n, **fields), "privacy_consent": True}


def solve(client, url: str = "/challenge") -> str:
    """What static/altcha.js does in the browser."""
    challenge = client.get(url).get_json()
    solution = altcha.solve_challenge_v1(challenge["challenge"], challenge["salt"], challenge["algorithm"],
                                         challenge["maxnumber"], 0)
    return base64.b64encode(json.dumps({
        "algorithm": challenge["algorithm"], "challenge": challenge["challenge"], "number": solution.number,
        "salt": challenge["salt"], "signature": challenge["signature"]}).encode()).decode()


def registrations() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Registration))


class TestLimits:
    @pytest.fixture
    def app_overrides(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}

    def test_an_office_registers_30_colleagues_from_one_address_through_form_and_api(self, app, client):
        event = make_event()
        for n in range(15):  # the form: the challenge after a few, solved by the browser
            data = form(n)
            if n >= FREE_ATTEMPTS:
                data["altcha"] = solve(client)
            assert client.post(f"/events/{event.slug}/register", data=data).status_code == 302, n
        for n in range(15, 30):
            response = client.post(f"/api/v1/events/{event.slug}/registrations",
                                   json={**body(n), "altcha": solve(client, "/api/v1/challenge")})
            assert response.status_code == 201, response.get_json()
        assert registrations() == 30

    def test_the_form_and_the_api_share_one_count_per_client_and_event(self, app, client):
        event, other = make_event(), make_event()
        ceiling = _ceiling(REGISTRATIONS_PER_CLIENT_AND_EVENT)
        for n in range(ceiling):
            api = n % 2 == 0
            if api:
                response = client.post(f"/api/v1/events/{event.slug}/registrations",
                                       json={**body(n), "altcha": solve(client, "/api/v1/challenge")})
            else:
                response = client.post(f"/events/{event.slug}/register", data={**form(n), "altcha": solve(client)})
            assert response.status_code in (201, 302)
        refused = client.post(f"/events/{event.slug}/register?lang=de", data={**form(99), "altcha": solve(client)})
        assert refused.status_code == 429
        assert "Bitte warten Sie eine Stunde" in refused.get_data(as_text=True)
        api_refused = client.post(f"/api/v1/events/{event.slug}/registrations?lang=zh", json=body(98))
        assert api_refused.status_code == 429 and "一小时" in api_refused.get_json()["message"]
        assert registrations() == ceiling
        # Another event still takes this client's registrations.
        assert client.post(f"/events/{other.slug}/register", data={**form(100), "altcha": solve(client)}).status_code == 302

    def test_one_client_has_a_ceiling_over_all_events(self, app, client):
        per_event = _ceiling(REGISTRATIONS_PER_CLIENT_AND_EVENT)
        ceiling = _ceiling(REGISTRATIONS_PER_CLIENT)
        events = [make_event() for _ in range(ceiling // per_event + 1)]
        answers = []
        for n in range(ceiling + 1):
            event = events[n // per_event]
            answers.append(client.post(f"/api/v1/events/{event.slug}/registrations",
                                       json={**body(n), "altcha": solve(client, "/api/v1/challenge")}).status_code)
        assert answers[:ceiling] == [201] * ceiling and answers[ceiling] == 429

    def test_one_address_is_registered_for_one_event_only_a_few_times_from_anywhere(self, app):
        event = make_event()
        ceiling = _ceiling(REGISTRATIONS_PER_ADDRESS_AND_EVENT)
        answers = []
        for n in range(ceiling + 1):  # a different client each time: the address is what counts
            client = app.test_client()
            answers.append(client.post(f"/api/v1/events/{event.slug}/registrations", json=body(0),
                                       environ_base={"REMOTE_ADDR": f"203.0.113.{n + 1}"}).status_code)
        assert answers[:ceiling] == [201] * ceiling and answers[ceiling] == 429
        db.session.rollback()
        # The person got their confirmation and at most one "already registered" mail an hour.
        assert db.session.scalar(select(func.count()).select_from(OutboundMail)) <= 2

    def test_a_bot_without_the_challenge_takes_only_the_first_few_seats(self, app, client):
        event = make_event(capacity=5, waitlist_enabled=False)
        answers = [client.post(f"/events/{event.slug}/register", data=form(n)).status_code for n in range(5)]
        assert answers == [302] * FREE_ATTEMPTS + [422] * (5 - FREE_ATTEMPTS)
        assert registrations() == FREE_ATTEMPTS
        page = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
        assert "altcha.js" in page and 'name="altcha"' in page
        api = client.post(f"/api/v1/events/{event.slug}/registrations", json=body(9))
        assert api.status_code == 429 and api.get_json()["error"] == "challenge_required"

    def test_a_solution_counts_once(self, app, client):
        event = make_event()
        for n in range(FREE_ATTEMPTS):
            client.post(f"/events/{event.slug}/register", data=form(n))
        solution = solve(client)
        assert client.post(f"/events/{event.slug}/register", data={**form(10), "altcha": solution}).status_code == 302
        assert client.post(f"/events/{event.slug}/register", data={**form(11), "altcha": solution}).status_code == 422
        forged = json.loads(base64.b64decode(solve(client)))
        forged["number"] += 1
        assert client.post(f"/events/{event.slug}/register", data={
            **form(12), "altcha": base64.b64encode(json.dumps(forged).encode()).decode()}).status_code == 422
        assert registrations() == FREE_ATTEMPTS + 1

    def test_the_report_download_counter_has_a_limit_per_client(self, app, client):
        from eventsvc.public.routes import REPORT_DOWNLOADS_PER_CLIENT
        from eventsvc.services.reports import seed_edition

        seed_edition()
        ceiling = _ceiling(REPORT_DOWNLOADS_PER_CLIENT)
        answers = [client.get("/reports/en").status_code for _ in range(ceiling + 1)]
        assert answers[:ceiling] == [302] * ceiling and answers[ceiling] == 429


@pytest.mark.parametrize("field", ["family_name", "given_name", "organization", "job_title"])
@pytest.mark.parametrize("text", ["WIN A PRIZE: visit http://prize.example", "see www.prize.example",
                                  "HTTPS://x.example", "ftp://files"])
def test_names_and_organization_refuse_links_on_the_form_and_the_api(app, client, field, text):
    event = make_event()
    response = client.post(f"/events/{event.slug}/register?lang=de", data=form(1, **{field: text}))
    assert response.status_code == 422
    assert "keine Webadressen" in response.get_data(as_text=True)
    response = client.post(f"/api/v1/events/{event.slug}/registrations", json=body(1, **{field: text}))
    assert response.status_code == 400 and field in response.get_json()["errors"]
    assert registrations() == 0


def test_a_name_with_a_dot_or_at_sign_is_still_a_name(app, client):
    event = make_event()
    response = client.post(f"/events/{event.slug}/register", data=form(1, given_name="J.R.R.", organization="Müller & Söhne GmbH"))
    assert response.status_code == 302


def test_a_filled_honeypot_is_answered_like_a_success_and_stores_nothing(app, client):
    event = make_event()
    page = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert 'name="website"' in page and 'class="hp"' in page
    response = client.post(f"/events/{event.slug}/register", data=form(1, website="http://spam.example"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/events/{event.slug}/registered")
    assert registrations() == 0


def test_memory_storage_in_production_warns_that_each_process_counts_alone(database_url, caplog, monkeypatch):
    # Alembic's logging set-up (the migrations of another database fixture) disables existing loggers.
    monkeypatch.setattr(logging.getLogger("eventsvc"), "disabled", False)
    monkeypatch.setattr("sys.argv", ["/srv/eventsvc/.venv/bin/gunicorn", "eventsvc:create_app()", "-w", "4"])
    with caplog.at_level(logging.WARNING, logger="eventsvc"):
        create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": "memory://"})
    assert any("RATELIMIT_STORAGE_URI" in record.getMessage() for record in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="eventsvc"):
        app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
                          "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"})
    assert not any("RATELIMIT_STORAGE_URI" in record.getMessage() for record in caplog.records)
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("redis://")
    caplog.clear()
    monkeypatch.setattr("sys.argv", ["flask", "db", "upgrade"])  # a command serves no pages
    with caplog.at_level(logging.WARNING, logger="eventsvc"):
        create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": "memory://"})
    assert not any("RATELIMIT_STORAGE_URI" in record.getMessage() for record in caplog.records)


class TestLimitsAsSettings:
    """REGISTRATION_LIMITS: `scope=limit` entries in Flask-Limiter's notation, today's as defaults."""

    def test_the_defaults_are_the_limits_of_before(self, app):
        from eventsvc.config import load_settings

        assert load_settings(app.instance_path)["REGISTRATION_LIMITS"] == \
            "client_event=40/hour;client=100/hour;address_event=5/hour"

    @pytest.fixture
    def app_overrides(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                "REGISTRATION_LIMITS": "address_event=2/hour"}

    def test_a_deployment_sets_its_own_limits(self, app):
        event = make_event()
        answers = [app.test_client().post(f"/api/v1/events/{event.slug}/registrations", json=body(0),
                                          environ_base={"REMOTE_ADDR": f"203.0.113.{n + 1}"}).status_code
                   for n in range(3)]
        assert answers == [201, 201, 429]
        # The scopes it does not name keep their defaults: 40 per client and event.
        client = app.test_client()
        assert all(client.post(f"/api/v1/events/{event.slug}/registrations",
                               json={**body(n), "altcha": solve(client, "/api/v1/challenge")}).status_code == 201
                   for n in range(1, 10))

    @pytest.mark.parametrize("value, words", [
        ("client_event=lots", "client_event"),
        ("client_event=40/hour;everyone=5/hour", "everyone"),
        ("client_event 40/hour", "scope=limit"),
        ("address_event=0/hour", "address_event"),
    ])
    def test_a_malformed_value_stops_the_app_naming_the_setting(self, value, words):
        with pytest.raises(ValueError) as raised:
            create_app({"TESTING": True, "REGISTRATION_LIMITS": value})
        assert "REGISTRATION_LIMITS" in str(raised.value) and words in str(raised.value)
