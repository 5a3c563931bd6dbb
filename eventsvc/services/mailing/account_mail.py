"""Mail to an organizer about their own account (a password-reset link).

Such a mail has no registration and no event: it goes to the organizer's address, in the one
language the organizer uses the pages in, and carries the link that only the worker can write
(:mod:`eventsvc.services.password_resets`).
"""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from ...models import MailKind, OutboundMail
from ..organization import organization
from ..password_resets import reset_for_mail, reset_token
from .render import COLONS, RenderedMail, one_line


def render_account_mail(mail: OutboundMail) -> RenderedMail:
    """Render a mail for ``mail.organizer`` in the organizer's language."""
    organizer = mail.organizer
    language = organizer.language if organizer.language in current_app.config["LANGUAGES"] else "en"
    if mail.kind != MailKind.PASSWORD_RESET:
        raise ValueError(f"no account mail of kind {mail.kind!r}")
    reset = reset_for_mail(mail)
    if reset is None:
        raise ValueError("the password reset of this mail is gone")
    base_url = current_app.config["BASE_URL"]
    context = dict(
        lang=language, colon=COLONS.get(language, ": "), organization=organization(language),
        reset_url=f"{base_url}/organizer/password-reset/{reset_token(reset)}",
        minutes=current_app.config["PASSWORD_RESET_MINUTES"], email=organizer.email,
        login_url=f"{base_url}/organizer/login", imprint_url=f"{base_url}/imprint",
        privacy_url=f"{base_url}/privacy",
    )
    with force_locale(language):
        subject = gettext("Reset your organizer password")
        text = render_template("email/password_reset.txt", **context)
        html = render_template("email/password_reset.html", **context)
    return RenderedMail(
        subject=one_line(subject),
        text=render_template("email/layout.txt", sections=[text]),
        html=render_template("email/layout.html", sections=[(language, html)], subject=subject),
        to_name=organizer.name or "", to_address=organizer.email, languages=[language],
    )


def skip_reason(mail: OutboundMail) -> str | None:
    """Why an account mail should not go out any more (the account was disabled meanwhile)."""
    if mail.organizer is None or mail.organizer.disabled_at is not None:
        return "the account is disabled"
    return None
