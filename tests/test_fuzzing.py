"""Property-based tests (hypothesis) against the form, the JSON API, the registrant's page and
the login: random Unicode, huge values, missing and extra fields, wrong types, broken encodings.
The form and API fuzzers start from a valid registration (the real field names) and mutate two
requests in five, so most are stored and the rest are checked against what was stored before.
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


#: A registration as a person fills it in: the real field names with valid values.
VALID = {"email": "", "family_name": "Wang", "given_name": "Li", "organization": "Siemens AG",
         "job_title": "Engineer", "language": "zh", "privacy_consent": "y"}

#: What a mutation does to one field: drop it, give it random text, or (JSON) a value of the
#: wrong type; or a field nobody knows is added.
mutations = st.one_of(
    st.tuples(st.just("drop"), st.sampled_from(sorted(VALID)), st.none()),
    st.tuples(st.just("text"), st.sampled_from(sorted(VALID) + ["marketing_consent", "website"]), texts),
    st.tuples(st.just("type"), st.sampled_from(sorted(VALID)), json_values),
    st.tuples(st.just("extra"), texts, texts),
)
#: One to three mutations; three requests in five go without them, as filled in (hypothesis
#: would otherwise pick mutations nearly every time, and refusals are all it would test).
mutated = st.lists(mutations, min_size=1, max_size=3)


def _request(n: int, changes: list, json: bool) -> dict:
    values = {**VALID, "email": f"fuzz.person{n}@example.com"}
    if json:
        values["privacy_consent"] = True
    for action, name, value in (changes if n % 5 >= 3 else []):
        if action == "drop":
            values.pop(name, None)
        elif action == "type" and json:
            values[name] = value
        elif action in ("text", "extra", "type"):
            values[name] = value if isinstance(value, str) else str(value)
    return values


def _fuzz_registrations(client, changes_strategy, post, accepted_status: int, json: bool) -> list[bool]:
    """Send mutated registrations; check each one's effect; return which of them were stored."""
    outcomes: list[bool] = []
    counter = iter(range(10**6))

    @FUZZ
    @given(changes=changes_strategy)
    def run(changes):
        request = _request(next(counter), changes, json)
        before = _snapshot()
        response = post(request)
        assert response.status_code < 500
        after = _snapshot()
        assert after[0][: len(before[0])] == before[0]  # nothing stored earlier changed
        if response.status_code != accepted_status:
            assert after == before  # refused: nothing stored at all
        stored = len(after[0]) > len(before[0])
        if stored:
            new = after[0][-1]
            assert new[1] == request["email"].strip().lower() and new[2] == request["family_name"].strip()
        outcomes.append(stored)

    run()
    return outcomes


def test_the_form_never_fails_and_stores_only_what_it_accepts(client, stored):
    outcomes = _fuzz_registrations(client, mutated, lambda data: client.post("/events/fuzz/register", data=data),
                                   302, json=False)
    assert outcomes.count(True) * 2 >= len(outcomes), f"{outcomes.count(True)} of {len(outcomes)} stored"
    assert outcomes.count(False) > 0  # the refusals were exercised too


def test_the_json_api_never_fails_and_stores_only_what_it_accepts(client, stored):
    def post(body):
        response = client.post("/api/v1/events/fuzz/registrations", json=body)
        assert response.is_json
        return response

    outcomes = _fuzz_registrations(client, mutated, post, 201, json=True)
    assert outcomes.count(True) * 2 >= len(outcomes), f"{outcomes.count(True)} of {len(outcomes)} stored"
    assert outcomes.count(False) > 0


@FUZZ
@given(body=json_values)
def test_the_json_api_never_fails_on_any_json_at_all(client, stored, body):
    before = _snapshot()
    response = client.post("/api/v1/events/fuzz/registrations", json=body)
    assert response.status_code < 500 and response.is_json
    if response.status_code != 201:
        assert _snapshot() == before


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
