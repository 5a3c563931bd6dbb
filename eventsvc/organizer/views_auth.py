"""Logging in and out, and the organizer's API tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from flask_limiter.util import get_remote_address

from ..extensions import limiter
from ..services import organizers, sign_ins
from ..services.events import events_for_organizers, find_event
from .auth import begin_session, end_session
from .routes import bp, visible_event_ids
from .forms import ActionForm, LoginForm, TokenForm

#: Failed logins allowed per address (generous: an office may sit behind one address); per
#: account from one address (tight: that is where password guessing aims, and a stranger's
#: guesses lock out only the stranger's address); per account from anywhere (slower and higher:
#: a guesser with many addresses, without letting one stranger lock the organizer out).
FAILED_LOGINS_PER_ADDRESS = "30 per 15 minutes"
FAILED_LOGINS_PER_ACCOUNT = "5 per 15 minutes"
FAILED_LOGINS_PER_ACCOUNT_ANYWHERE = "50 per day"


def _submitted_email() -> str:
    return organizers.normalize_email(request.form.get("email", ""))


def _account_and_address() -> str:
    return f"login-email-address:{_submitted_email()}|{get_remote_address()}"


def _account_anywhere() -> str:
    return "login-email:" + _submitted_email()


def _login_failed(_response) -> bool:
    return bool(g.get("login_failed"))


def _too_many() -> str:
    return _("Too many failed logins. Please wait a quarter of an hour and try again.")


def _has_control_characters(text: str) -> bool:
    return any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never send someone on to another site after login.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so
    ``/%09/evil.example`` would become ``//evil.example``: control characters were refused
    before (400), and anything that is not a plain absolute path falls back to the events.
    """
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("organizer.events")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(FAILED_LOGINS_PER_ADDRESS, methods=["POST"], deduct_when=_login_failed,
               error_message=_too_many)
@limiter.limit(FAILED_LOGINS_PER_ACCOUNT, methods=["POST"], key_func=_account_and_address,
               deduct_when=_login_failed, error_message=_too_many)
@limiter.limit(FAILED_LOGINS_PER_ACCOUNT_ANYWHERE, methods=["POST"], key_func=_account_anywhere,
               deduct_when=_login_failed, error_message=_too_many)
def login():
    """The login form; a failed attempt counts against the address, the account from that
    address, and (with a higher ceiling) the account from anywhere."""
    if _has_control_characters(request.args.get("next", "")):
        abort(400)
    if current_user.is_authenticated:
        return redirect(url_for("organizer.events"))
    form = LoginForm()
    if form.validate_on_submit():
        organizer = organizers.authenticate(form.email.data, form.password.data)
        if organizer is not None and organizer.disabled_at is not None:
            form.password.errors.append(_("This account is disabled. Please ask an administrator."))
        elif organizer is not None:
            begin_session(organizer, get_remote_address())
            return redirect(_safe_next(request.args.get("next")))
        else:
            g.login_failed = True
            known = organizers.find_organizer(form.email.data)
            if known is not None:
                sign_ins.record_failure(known, get_remote_address(), "password")
            form.password.errors.append(_("The address or the password is wrong."))
    return render_template("organizer/login.html", form=form)


@bp.errorhandler(429)
def too_many_logins(_error):
    """The login form again, saying why it refuses for now (only login routes are limited)."""
    form = LoginForm()
    form.password.errors = [_too_many()]
    return render_template("organizer/login.html", form=form), 429


@bp.post("/logout")
def logout():
    form = ActionForm()
    if form.validate_on_submit():
        end_session()
        flash(_("You are logged out."), "info")
        return redirect(url_for("organizer.login"))
    return redirect(url_for("organizer.events"))


def _token_form(form: TokenForm) -> TokenForm:
    """A token reaches all the organizer's events, or one of them."""
    events = events_for_organizers(visible_event_ids())
    form.event.choices = [SelectChoice("", _("all my events"))] + [SelectChoice(e.slug, e.slug) for e in events]
    return form


@bp.route("/tokens", methods=["GET", "POST"])
def tokens():
    """The organizer's API tokens; a new one is shown once, right after it is made."""
    form = _token_form(TokenForm())
    secret = None
    if form.validate_on_submit():
        event = find_event(form.event.data) if form.event.data else None
        _token, secret = organizers.create_api_token(current_user.email, form.name.data, event,
                                                     form.days.data or organizers.DEFAULT_TOKEN_DAYS)
        form = _token_form(TokenForm(formdata=None))
    return render_template("organizer/tokens.html", form=form, secret=secret,
                           tokens=organizers.tokens_of(current_user), action_form=ActionForm())


@bp.post("/tokens/<int(max=2147483647):token_id>/revoke")
def revoke_token(token_id: int):
    if ActionForm().validate_on_submit() and organizers.revoke_api_token(current_user, token_id):
        flash(_("The token is revoked."), "info")
    return redirect(url_for("organizer.tokens"))
