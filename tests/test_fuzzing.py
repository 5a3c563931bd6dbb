"""Property-based tests (hypothesis) against the form, the JSON API, the registrant's page and
the login: random Unicode, huge values, missing and extra fields, wrong types, broken encodings.
Never a 5xx; nothing stored for refused input; nothing stored earlier changed (issue 9, item 9)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.models import OutboundMail, Registration
from tests.factories import make_event, make_registration

FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FIELDS = ("email", "family_name", "given_name", "organization", "job_title", "language",
          "privacy_consent", "marketing_consent", "website", "altcha", "csrf_token")

texts = st.one_of(
    st.text(max_size=50),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.just("x" * 5000),
    st.sampled_from(["", " ", "\x00", "'; DROP TABLE registrations; --", "<script>alert(1)</script>",
                     "=1+1", "王\u200b力", "a@b", "li.wang@example.cn", "\ud7ff", "%00", "../../etc/passwd"]),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=20,
)


def _snapshot():
    """Every stored registration and mail, to compare before and after a refused request."""
    db.session.rollback()
    registrations = [tuple(row) for row in db.session.execute(select(
        Registration.id, Registration.email, Registration.family_name, Registration.given_name,
        Registration.organization, Registration.status, Registration.language, Registration.manage_token,
        Registration.unsubscribed_at, Registration.erased_at).order_by(Registration.id))]
    mails = db.session.scalar(select(func.count()).select_from(OutboundMail))
    db.session.rollback()
    return registrations, mails


@pytest.fixture
def stored(app):
    """An event open for registration and one registration made earlier."""
    event = make_event(slug="fuzz")
    earlier = make_registration(event, email="earlier@example.com", family_name="Früher")
    return event, earlier


@FUZZ
@given(data=st.dictionaries(st.sampled_from(FIELDS) | texts, texts, max_size=12))
def test_the_form_never_fails_and_stores_only_what_it_accepts(client, stored, data):
    before = _snapshot()
    response = client.post("/events/fuzz/register", data=data)
    assert response.status_code < 500
    after = _snapshot()
    if response.status_code != 302:
        assert after == before
    else:
        assert after[0][: len(before[0])] == before[0]  # nothing stored earlier changed


@FUZZ
@given(body=json_values)
def test_the_json_api_never_fails_and_stores_only_what_it_accepts(client, stored, body):
    before = _snapshot()
    response = client.post("/api/v1/events/fuzz/registrations", json=body)
    assert response.status_code < 500 and response.is_json
    after = _snapshot()
    if response.status_code != 201:
        assert after == before
    else:
        assert after[0][: len(before[0])] == before[0]


@FUZZ
@given(raw=st.binary(max_size=2000), content_type=st.sampled_from([
    "application/json", "application/json; charset=latin-1", "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x", "text/plain", "application/json; charset=utf-16"]))
def test_broken_encodings_are_refused_without_a_5xx(client, stored, raw, content_type):
    before = _snapshot()
    for url in ("/events/fuzz/register", "/api/v1/events/fuzz/registrations"):
        response = client.post(url, data=raw, content_type=content_type)
        assert response.status_code < 500, url
    assert _snapshot() == before


@FUZZ
@given(token=texts, language=texts)
def test_the_registrants_pages_never_fail_and_a_wrong_token_changes_nothing(client, stored, token, language):
    _event, earlier = stored
    before = _snapshot()
    token = token.replace("/", "_") or "x"
    for method, url, data in (("GET", f"/r/{token}", None), ("POST", f"/r/{token}/cancel", {}),
                              ("POST", f"/r/{token}/language", {"language": language}),
                              ("GET", f"/r/{token}/data", None), ("POST", f"/r/{token}/erase", {}),
                              ("GET", f"/r/{token}/calendar.ics", None), ("POST", f"/unsubscribe/{token}", {})):
        response = client.open(url, method=method, data=data)
        assert response.status_code < 500, url
    assert _snapshot() == before
    # The real token with a random language: refused unless it is one of ours.
    response = client.post(f"/r/{earlier.manage_token}/language", data={"language": language})
    assert response.status_code < 500
    if language not in ("en", "zh", "de"):
        assert _snapshot() == before


@FUZZ
@given(email=texts, password=texts, target=texts)
def test_the_login_never_fails_never_lets_in_and_never_leads_off_site(app, stored, email, password, target):
    client = app.test_client()
    response = client.post("/organizer/login", query_string={"next": target},
                           data={"email": email, "password": password})
    assert response.status_code < 500
    if response.status_code in (301, 302, 303):
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith("//") and not urlsplit(location).netloc
    assert client.get("/organizer/events").status_code == 302  # still a stranger
