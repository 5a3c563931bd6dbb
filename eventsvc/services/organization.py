"""Who runs the service, in the reader's language: the one place that the imprint, the
privacy notice, the page footers and every mail's footer take the organization's details from.

The settings are ``ORGANIZATION_NAME`` (one name, or one per language), ``ORGANIZATION_ADDRESS``
and ``PRIVACY_CONTACT`` (config.py); OAV's details are the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import get_locale


@dataclass(frozen=True)
class Organization:
    name: str
    address_lines: list[str]
    privacy_contact: str

    @property
    def contact_is_mail(self) -> bool:
        return "@" in self.privacy_contact and " " not in self.privacy_contact.strip()


def _in_language(value, language: str) -> str:
    if isinstance(value, dict):
        return value.get(language) or value.get("en") or next(iter(value.values()), "")
    return str(value or "")


def organization(language: str | None = None) -> Organization:
    """The organization's details as a reader of ``language`` (default: the current locale) reads them."""
    if language is None:
        locale = get_locale()
        language = locale.language if locale else "en"
    config = current_app.config
    address = _in_language(config["ORGANIZATION_ADDRESS"], language).replace("\\n", "\n")
    return Organization(
        name=_in_language(config["ORGANIZATION_NAME"], language).strip(),
        address_lines=[line.strip() for line in address.splitlines() if line.strip()],
        privacy_contact=str(config["PRIVACY_CONTACT"] or "").strip(),
    )
