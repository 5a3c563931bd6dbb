"""Passkeys (WebAuthn, the ``webauthn`` library) as an organizer's second factor.

The relying party is this service as ``BASE_URL`` names it: its host name is the RP ID and its
origin the only one a browser's answer may come from, so a look-alike site that relays the
login gets nothing it can use. The challenge of each ceremony lives in the caller's session; the
browser's answer is checked against it, the stored public key and a rising signature counter.

Each function imports ``webauthn`` itself: with cryptography, pyOpenSSL and the ASN.1 modules
it loads, it weighs 14 MB, which only a process that runs a passkey ceremony should carry.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Organizer, Passkey
from ..models.types import utcnow
from .transaction import transaction

if TYPE_CHECKING:
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

RP_NAME = "OAV events"
#: The longest answer a browser sends for one ceremony (attestation objects are a few KB).
MAX_ANSWER = 20_000


class PasskeyError(Exception):
    """A passkey answer is refused; ``reason``: ``invalid``, ``unknown`` or ``foreign`` (another
    account's passkey)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def relying_party() -> tuple[str, str]:
    """``(rp_id, origin)`` from ``BASE_URL``."""
    parts = urlsplit(current_app.config["BASE_URL"])
    return parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}"


def passkeys_of(organizer: Organizer) -> list[Passkey]:
    return list(db.session.scalars(select(Passkey).where(Passkey.organizer_id == organizer.id)
                                   .order_by(Passkey.created_at)))


def _descriptors(organizer: Organizer) -> list[PublicKeyCredentialDescriptor]:
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

    return [PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id)) for p in passkeys_of(organizer)]


def registration_options(organizer: Organizer) -> tuple[str, str]:
    """The options for ``navigator.credentials.create`` (JSON) and the challenge to keep."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers import bytes_to_base64url
    from webauthn.helpers.structs import (AuthenticatorSelectionCriteria, ResidentKeyRequirement,
                                          UserVerificationRequirement)

    rp_id, _origin = relying_party()
    options = generate_registration_options(
        rp_id=rp_id, rp_name=RP_NAME, user_name=organizer.email, user_display_name=organizer.name or organizer.email,
        user_id=f"organizer-{organizer.id}".encode(), exclude_credentials=_descriptors(organizer),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.PREFERRED),
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def _answer(answer) -> str:
    text = answer if isinstance(answer, str) else json.dumps(answer)
    if len(text) > MAX_ANSWER:
        raise PasskeyError("invalid")
    return text


def register(organizer: Organizer, answer, challenge: str | None, name: str) -> Passkey:
    """Check the browser's answer to :func:`registration_options` and keep the new passkey."""
    from webauthn import verify_registration_response
    from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
    from webauthn.helpers.exceptions import WebAuthnException

    if not challenge:
        raise PasskeyError("invalid")
    rp_id, origin = relying_party()
    try:
        verified = verify_registration_response(credential=_answer(answer), expected_challenge=base64url_to_bytes(
            challenge), expected_rp_id=rp_id, expected_origin=origin)
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise PasskeyError("invalid") from error
    credential_id = bytes_to_base64url(verified.credential_id)
    if db.session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)) is not None:
        raise PasskeyError("invalid")
    passkey = Passkey(organizer_id=organizer.id, credential_id=credential_id,
                      public_key=verified.credential_public_key, sign_count=verified.sign_count,
                      name=(name or "").strip()[:100] or "passkey")
    with transaction():
        db.session.add(passkey)
    return passkey


def authentication_options(organizer: Organizer) -> tuple[str, str]:
    """The options for ``navigator.credentials.get`` (this account's passkeys) and the challenge."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers import bytes_to_base64url
    from webauthn.helpers.structs import UserVerificationRequirement

    rp_id, _origin = relying_party()
    options = generate_authentication_options(rp_id=rp_id, allow_credentials=_descriptors(organizer),
                                              user_verification=UserVerificationRequirement.PREFERRED)
    return options_to_json(options), bytes_to_base64url(options.challenge)


def authenticate(organizer: Organizer, answer, challenge: str | None) -> Passkey:
    """Check a login answer: the passkey must be one of ``organizer``'s and sign the challenge."""
    from webauthn import verify_authentication_response
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.exceptions import WebAuthnException

    text = _answer(answer)
    try:
        credential_id = json.loads(text).get("id")
    except (ValueError, AttributeError):
        raise PasskeyError("invalid") from None
    if not isinstance(credential_id, str) or not challenge:
        raise PasskeyError("invalid")
    passkey = db.session.scalar(select(Passkey).where(Passkey.credential_id == credential_id))
    if passkey is None:
        raise PasskeyError("unknown")
    if passkey.organizer_id != organizer.id:
        raise PasskeyError("foreign")
    rp_id, origin = relying_party()
    try:
        verified = verify_authentication_response(
            credential=text, expected_challenge=base64url_to_bytes(challenge), expected_rp_id=rp_id,
            expected_origin=origin, credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count)
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise PasskeyError("invalid") from error
    with transaction():
        passkey.sign_count = verified.new_sign_count
        passkey.last_used_at = utcnow()
    return passkey


def remove(organizer: Organizer, passkey_id: int) -> bool:
    """Remove one of the organizer's own passkeys; returns whether there was one."""
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is None or passkey.organizer_id != organizer.id:
        return False
    with transaction():
        db.session.delete(passkey)
    return True
