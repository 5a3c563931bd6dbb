"""The check-in page at the door."""

from tests.factories import make_event, make_registration


def test_checkin_page_answers_clearly(app, organizer_client):
    event = make_event(slug="door")
    person = make_registration(event, family_name="Schmidt", given_name="Anna")
    url = "/organizer/events/door/checkin"
    assert 'autofocus' in organizer_client.get(url).get_data(as_text=True)
    first = organizer_client.post(url, data={"code": person.checkin_code}).get_data(as_text=True)
    assert 'data-outcome="checked_in"' in first and "Checked in: Anna Schmidt" in first
    second = organizer_client.post(url, data={"code": f"https://x.example/c/{person.checkin_code}"}).get_data(as_text=True)
    assert 'data-outcome="already_checked_in"' in second and "Already checked in at" in second
    unknown = organizer_client.post(url, data={"code": "nonsense"}).get_data(as_text=True)
    assert "Unknown code" in unknown
