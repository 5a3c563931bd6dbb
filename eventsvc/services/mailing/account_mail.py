"""Mail to an organizer: a password-reset link, or a webhook endpoint switched off.

Such a mail has no registration and no event: it goes to the organizer's address, in the one
language the organizer uses the pages in. A password reset carries the link that only the worker
can write (:mod:`eventsvc.services.password_resets`); a switch-off says which endpoint, since
when it failed and its last answer, from the payload written with the switch-off
(:mod:`eventsvc.services.webhook_delivery`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from ...models import MailKind, OutboundMail
from ..local_time import format_moment
from ..organization import organization
from ..password_resets import reset_for_mail, reset_token
from .render import COLONS, RenderedMail, one_line


def _password_reset(mail: OutboundMail, base_url: str) -> tuple[str, dict]:
    reset = reset_for_mail(mail)
    if reset is None:
        raise ValueError("the password reset of this mail is gone")
    return gettext("Reset your organizer password"), dict(
        reset_url=f"{base_url}/organizer/password-reset/{reset_token(reset)}",
        minutes=current_app.config["PASSWORD_RESET_MINUTES"])


def _webhook_switched_off(mail: OutboundMail, base_url: str) -> tuple[str, dict]:
    payload = mail.payload or {}
    status, answer = payload.get("status"), payload.get("answer") or ""
    return gettext("Webhook endpoint switched off"), dict(
        endpoint_url=payload["url"],
        # In UTC, as the webhooks page shows the endpoint's times.
        failing_since=format_moment(datetime.fromisoformat(payload["failing_since"]), "UTC"),
        last_answer=f"HTTP {status}: {answer}" if status is not None else answer,
        webhook_url=f"{base_url}/organizer/webhooks/{payload['endpoint_id']}")


#: Per kind: its subject and what its templates need beyond the shared context, made in the
#: organizer's language.
_KINDS: dict[str, Callable[[OutboundMail, str], tuple[str, dict]]] = {
    MailKind.PASSWORD_RESET: _password_reset,
    MailKind.WEBHOOK_SWITCHED_OFF: _webhook_switched_off,
}


def render_account_mail(mail: OutboundMail) -> RenderedMail:
    """Render a mail for ``mail.organizer`` in the organizer's language."""
    organizer = mail.organizer
    language = organizer.language if organizer.language in current_app.config["LANGUAGES"] else "en"
    if mail.kind not in _KINDS:
        raise ValueError(f"no organizer mail of kind {mail.kind!r}")
    base_url = current_app.config["BASE_URL"]
    context = dict(
        lang=language, colon=COLONS.get(language, ": "), organization=organization(language),
        email=organizer.email, login_url=f"{base_url}/organizer/login", imprint_url=f"{base_url}/imprint",
        privacy_url=f"{base_url}/privacy",
    )
    with force_locale(language):
        subject, details = _KINDS[mail.kind](mail, base_url)
        text = render_template(f"email/{mail.kind}.txt", **context, **details)
        html = render_template(f"email/{mail.kind}.html", **context, **details)
    return RenderedMail(
        subject=one_line(subject),
        text=render_template("email/layout.txt", sections=[text]),
        html=render_template("email/layout.html", sections=[(language, html)], subject=subject),
        to_name=organizer.name or "", to_address=organizer.email, languages=[language],
    )


def skip_reason(mail: OutboundMail) -> str | None:
    """Why an organizer's mail should not go out any more (the account was disabled meanwhile)."""
    if mail.organizer is None or mail.organizer.disabled_at is not None:
        return "the account is disabled"
    return None
