"""Organizer accounts and API tokens."""

import pytest

from eventsvc.extensions import db
from eventsvc.models import ApiToken, Organizer
from eventsvc.services.organizers import (OrganizerError, authenticate, create_api_token, create_organizer,
                                          token_for_secret, revoke_api_token)
from eventsvc.services.sign_ins import start_session


def test_password_is_stored_as_a_scrypt_hash_and_checked(app):
    organizer = create_organizer("  Lena@OAV.example ", "long enough password", "Lena")
    stored = db.session.get(Organizer, organizer.id)
    assert stored.email == "lena@oav.example"
    assert stored.password_hash.startswith("scrypt:")
    assert "long enough password" not in stored.password_hash
    assert authenticate("LENA@oav.example", "long enough password").id == organizer.id
    start_session(stored, "198.51.100.7")  # a login (the password and any second factor) notes its time
    assert stored.last_login_at is not None
    assert authenticate("lena@oav.example", "wrong password!!") is None
    assert authenticate("nobody@oav.example", "long enough password") is None


def test_short_passwords_and_second_accounts_are_refused(app):
    with pytest.raises(OrganizerError, match="at least"):
        create_organizer("a@oav.example", "short")
    create_organizer("a@oav.example", "long enough password")
    with pytest.raises(OrganizerError, match="exists already"):
        create_organizer("A@oav.example", "another long password")


def test_api_token_is_stored_hashed_found_and_revoked(app):
    organizer = create_organizer("t@oav.example", "long enough password")
    token, secret = create_api_token("t@oav.example", "CRM sync")
    stored = db.session.get(ApiToken, token.id)
    assert secret not in (stored.token_hash, stored.prefix) and secret.startswith(stored.prefix)
    assert token_for_secret(secret).organizer.id == organizer.id
    assert token_for_secret(secret + "x") is None
    assert revoke_api_token(organizer, token.id)
    assert token_for_secret(secret) is None
    with pytest.raises(OrganizerError):
        create_api_token("nobody@oav.example", "x")


def test_cli_creates_an_organizer_and_prints_a_token(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["organizers", "create", "cli@oav.example", "--password-stdin", "--name", "Cli"],
                           input="a password from stdin\n")
    assert result.exit_code == 0, result.output
    assert authenticate("cli@oav.example", "a password from stdin") is not None
    result = runner.invoke(args=["organizers", "token", "cli@oav.example", "--name", "Sync"])
    assert result.exit_code == 0, result.output
    assert token_for_secret(result.output.strip()).organizer.email == "cli@oav.example"
    refused = runner.invoke(args=["organizers", "create", "cli@oav.example", "--password-stdin"],
                            input="another long password\n")
    assert refused.exit_code != 0 and "exists already" in refused.output
