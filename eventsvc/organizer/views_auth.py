"""Logging in and out, and the organizer's API tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from flask_limiter.util import get_remote_address

from ..services import organizers, sign_ins, two_factor
from ..services.events import events_for_organizers, find_event
from . import login_guard, second_step
from .auth import end_session
from .routes import bp, scope_names, visible_event_ids
from .forms import ActionForm, LoginForm, TokenForm


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


def _login_page(form: LoginForm, challenge: bool = False, status: int = 200, wait: int = 0):
    response = render_template("organizer/login.html", form=form, challenge=challenge, wait=wait)
    headers = {"Retry-After": str(wait)} if wait else {}
    return response, status, headers


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form. Guessing is slowed by :mod:`.login_guard`: never the owner's own browser,
    and never more than a challenge for the owner's new one."""
    if _has_control_characters(request.args.get("next", "")):
        abort(400)
    if current_user.is_authenticated:
        return redirect(url_for("organizer.events"))
    if second_step.pending() is not None:
        if request.args.get("restart"):
            second_step.forget()
        elif request.method == "GET" or "code" in request.form:
            return second_step.ask_or_check()
    form = LoginForm()
    if not form.validate_on_submit():
        return _login_page(form)
    email = organizers.normalize_email(form.email.data)
    known = organizers.find_organizer(email)
    attempt = login_guard.attempt_for(email, known)
    wait = attempt.wait_seconds()
    if wait:
        form.password.errors.append(_too_many(wait))
        return _login_page(form, challenge=attempt.needs_challenge(), status=429, wait=wait)
    if attempt.needs_challenge() and not login_guard.challenge_solved(form.altcha.data):
        form.form_errors.append(_("After several failed logins we ask your browser to solve a small puzzle "
                                  "first. Please wait until it is done (a second or two), then log in again."))
        return _login_page(form, challenge=True, status=422)
    organizer = organizers.authenticate(email, form.password.data)
    if organizer is not None and organizer.disabled_at is not None:
        form.password.errors.append(_("This account is disabled. Please ask an administrator."))
        return _login_page(form, status=403)
    if organizer is None:
        attempt.failed()
        if known is not None:
            sign_ins.record_failure(known, get_remote_address(), "password")
        form.password.errors.append(_("The address or the password is wrong."))
        return _login_page(form, challenge=attempt.needs_challenge(), status=200)
    if two_factor.has_second_factor(organizer):
        return second_step.start(organizer, attempt.trusted, _safe_next(request.args.get("next")))
    return second_step.finish(organizer, _safe_next(request.args.get("next")))


@bp.post("/login/passkey/options")
def login_passkey_options():
    """The second step with a passkey: the options for the browser (JSON)."""
    return second_step.passkey_options()


@bp.post("/login/passkey")
def login_passkey():
    """The second step with a passkey: the browser's signed answer (JSON)."""
    return second_step.check_passkey()


# These read a JSON body (the browser's WebAuthn answer), with the CSRF token in X-CSRFToken.
login_passkey_options.accepts_json = True
login_passkey.accepts_json = True


def _too_many(seconds: int) -> str:
    return ngettext("Too many failed logins from your address. Please wait %(num)d second and try again.",
                    "Too many failed logins from your address. Please wait %(num)d seconds and try again.",
                    seconds)


@bp.post("/logout")
def logout():
    form = ActionForm()
    if form.validate_on_submit():
        end_session()
        flash(_("You are logged out."), "info")
        response = redirect(url_for("organizer.login"))
        # The door app's check-in list (IndexedDB), its queued scans and its cached pages leave the
        # device with the session (cookies stay: the language, and the new session's flash).
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        return response
    return redirect(url_for("organizer.events"))


def _token_form(form: TokenForm) -> TokenForm:
    """A token reaches all the organizer's events, or one of them, with one of the scopes."""
    events = events_for_organizers(visible_event_ids())
    form.event.choices = [SelectChoice("", _("all my events"))] + [SelectChoice(e.slug, e.slug) for e in events]
    form.scope.choices = [SelectChoice(scope, word) for scope, word in scope_names().items()]
    return form


def _scope_problem(error: organizers.OrganizerError) -> str:
    return {
        "checkin_account_scope": _("A check-in account can only make tokens with the scope “check-in”."),
    }.get(error.code, str(error))


@bp.route("/tokens", methods=["GET", "POST"])
def tokens():
    """The organizer's API tokens; a new one is shown once, right after it is made."""
    form = _token_form(TokenForm(scope=organizers.default_scope(current_user)))
    secret = None
    if form.validate_on_submit():
        event = find_event(form.event.data) if form.event.data else None
        try:
            _token, secret = organizers.create_api_token(current_user.email, form.name.data, event,
                                                         form.days.data or organizers.DEFAULT_TOKEN_DAYS,
                                                         scope=form.scope.data)
        except organizers.OrganizerError as error:
            form.scope.errors.append(_scope_problem(error))
        else:
            form = _token_form(TokenForm(formdata=None, scope=organizers.default_scope(current_user)))
    return render_template("organizer/tokens.html", form=form, secret=secret, scope_names=scope_names(),
                           tokens=organizers.tokens_of(current_user),
                           action_form=ActionForm()), 422 if form.errors else 200


@bp.post("/tokens/<int(max=2147483647):token_id>/revoke")
def revoke_token(token_id: int):
    if ActionForm().validate_on_submit() and organizers.revoke_api_token(current_user, token_id):
        flash(_("The token is revoked."), "info")
    return redirect(url_for("organizer.tokens"))
