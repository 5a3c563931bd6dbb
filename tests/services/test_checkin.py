"""Check-in at the door: every outcome the organizer's page can show."""

from eventsvc.services.checkin import check_in, extract_code
from eventsvc.services.registration import cancel
from tests.factories import make_event, make_registration


def test_check_in_outcomes(app):
    event, other = make_event(capacity=1), make_event()
    seated = make_registration(event, family_name="王", given_name="芳")
    waiting = make_registration(event)
    elsewhere = make_registration(other)

    first = check_in(event, seated.checkin_code)
    assert first.outcome == "checked_in" and first.checked_in_at is not None
    again = check_in(event, f"  {seated.checkin_code}\n")
    assert again.outcome == "already_checked_in" and again.checked_in_at == first.checked_in_at
    assert check_in(event, waiting.checkin_code).outcome == "waitlisted"
    assert check_in(event, elsewhere.checkin_code).outcome == "not_for_this_event"
    assert check_in(event, "x" * 40).outcome == "unknown"
    assert check_in(event, "'; DROP TABLE registrations; --").outcome == "unknown"
    cancel(elsewhere.id)
    assert check_in(other, elsewhere.checkin_code).outcome == "cancelled"


def test_codes_are_read_from_scanned_urls():
    assert extract_code("https://events.example/checkin/abcDEF123") == "abcDEF123"
    assert extract_code("https://events.example/c?code=abc_DEF-1") == "abc_DEF-1"
    assert extract_code(" plain-code ") == "plain-code"
