"""Input no organizer means (NUL characters, which PostgreSQL refuses) is a 400, never a 500."""

from tests.factories import make_event, make_registration


def test_nul_characters_are_refused_politely(app, organizer_client, client):
    make_registration(make_event(slug="nul"))
    for url in ("/organizer/events/nul/attendees?q=a%00b", "/organizer/events/n%00ul",
                "/organizer/events/nul/attendees/a%00b", "/organizer/events/n%00ul/attendees.csv"):
        assert organizer_client.get(url).status_code == 400, url
    assert client.post("/organizer/login", data={"email": "a\x00@oav.example", "password": "x"}).status_code == 400
    assert organizer_client.post("/organizer/events/nul/checkin", data={"code": "\x00" * 20}).status_code == 400
    assert organizer_client.post("/organizer/events/new", data={"slug": "x", "title_en": "a\x00b"}).status_code == 400
    token_header = {"Authorization": "Bearer evs_\x00"}
    assert client.get("/api/v1/events/nul/registrations", headers=token_header).status_code == 401


def test_ids_beyond_the_database_integers_are_not_found(app, organizer_client):
    assert organizer_client.post("/organizer/mail/99999999999999999999/retry").status_code == 404
    assert organizer_client.post("/organizer/tokens/99999999999999999999/revoke").status_code == 404
    assert organizer_client.get("/organizer/mail?page=99999999999999999999").status_code == 200
