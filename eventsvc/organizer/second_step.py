"""The login's second step: after the right password, a TOTP code, a recovery code or a passkey.

The password step leaves a *pending login* in the session (the account, its session version,
where to go next, when it began); only the second factor turns it into a session. A pending
login lasts :data:`PENDING_SECONDS` and takes :data:`MAX_WRONG_CODES` wrong codes, then the
password is asked again (and that step is slowed by :mod:`.login_guard`). Wrong codes are
recorded as failed attempts on the account page.
"""

from __future__ import annotations

import time

from flask import current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from ..models import Organizer
from ..services import passkeys, sign_ins, two_factor
from ..services.organizers import organizer_by_id
from . import login_guard
from .auth import begin_session
from .forms import SecondFactorForm

PENDING_KEY = "organizer_login_pending"
PASSKEY_CHALLENGE = "passkey_login_challenge"
PENDING_SECONDS = 300
MAX_WRONG_CODES = 5


def pending() -> dict | None:
    """The pending login of this browser, if it is fresh and its account unchanged since."""
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict) or time.time() - data.get("at", 0) > PENDING_SECONDS:
        return None
    return data


def forget() -> None:
    session.pop(PENDING_KEY, None)


def pending_organizer() -> Organizer | None:
    data = pending()
    if data is None:
        return None
    organizer = organizer_by_id(str(data.get("id", "")))
    if organizer is None or organizer.session_version != data.get("v") or organizer.disabled_at is not None:
        return None
    return organizer


def start(organizer: Organizer, trusted: bool, next_url: str):
    """The password was right: remember that, and ask for the second factor."""
    session[PENDING_KEY] = {"id": organizer.id, "v": organizer.session_version, "at": time.time(),
                            "next": next_url, "trusted": trusted, "wrong": 0}
    return redirect(url_for("organizer.login"))


def finish(organizer: Organizer, next_url: str):
    """Both factors (or the only one) are right: the session begins, the browser is remembered."""
    forget()
    begin_session(organizer, get_remote_address())
    if current_app.config["ORGANIZER_REQUIRE_2FA"] and not two_factor.has_second_factor(organizer):
        flash(_("Every organizer account needs a second factor now. Please set one up to go on."), "info")
        next_url = url_for("organizer.two_factor_page")
    return login_guard.remember_device(redirect(next_url), organizer)


def _page(form: SecondFactorForm, organizer: Organizer, status: int = 200):
    return render_template("organizer/login_second_step.html", form=form, has_totp=two_factor.has_totp(organizer),
                           has_passkey=two_factor.has_passkey(organizer)), status


def ask_or_check():
    """GET: the second step's form. POST with ``code``: check it, once."""
    organizer = pending_organizer()
    if organizer is None:
        forget()
        flash(_("Please log in again."), "info")
        return redirect(url_for("organizer.login"))
    form = SecondFactorForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _page(form, organizer, 200 if request.method == "GET" else 422)
    try:
        two_factor.check_code(organizer, form.code.data)
    except two_factor.TwoFactorError as error:
        return _wrong(form, organizer, error.reason)
    return finish(organizer, pending()["next"])


def _wrong(form: SecondFactorForm, organizer: Organizer, reason: str):
    """A wrong or reused code: say which, count it, and after a few start the login over."""
    data = pending()
    sign_ins.record_failure(organizer, get_remote_address(), "code")
    attempt = login_guard.attempt_for(organizer.email, organizer)
    if not data.get("trusted"):
        attempt.device = None
    attempt.failed()
    data["wrong"] = data.get("wrong", 0) + 1
    session[PENDING_KEY] = data
    if data["wrong"] >= MAX_WRONG_CODES:
        forget()
        flash(_("Too many wrong codes. Please log in again."), "error")
        return redirect(url_for("organizer.login"))
    if reason == "reused":
        form.code.errors.append(_("This code was used already: each code works once. Please wait for the next "
                                  "code of your app, or use another recovery code."))
    else:
        form.code.errors.append(_("The code is wrong. Please type the 6-digit code your app shows now, or one of "
                                  "your recovery codes."))
    return _page(form, organizer, 422)


def passkey_options():
    """Options for ``navigator.credentials.get`` with the pending account's passkeys."""
    organizer = pending_organizer()
    if organizer is None:
        return jsonify(error="no_login", message=_("Please log in again.")), 400
    options, challenge = passkeys.authentication_options(organizer)
    session[PASSKEY_CHALLENGE] = challenge
    return current_app.response_class(options, mimetype="application/json")


def check_passkey():
    """The browser's answer: one of this account's passkeys signing the challenge finishes the login."""
    organizer = pending_organizer()
    if organizer is None:
        return jsonify(error="no_login", message=_("Please log in again.")), 400
    body = request.get_json(silent=True)
    try:
        passkeys.authenticate(organizer, body if isinstance(body, dict) else "", session.pop(PASSKEY_CHALLENGE, None))
    except passkeys.PasskeyError as error:
        sign_ins.record_failure(organizer, get_remote_address(), "code")
        messages = {
            "invalid": _("Your browser's answer could not be checked. Please try again."),
            "unknown": _("This passkey is not known here. Please use a passkey you set up for this account."),
            "foreign": _("This passkey belongs to another account. Please use the passkey of this account."),
        }
        return jsonify(error=error.reason, message=messages[error.reason]), 400
    response = finish(organizer, pending()["next"])
    return login_guard.remember_device(jsonify(redirect=response.headers["Location"]), organizer)
