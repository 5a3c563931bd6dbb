"""The organizer's own account: password, sessions, sign-ins and failed attempts."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from ..models.types import utcnow
from ..services import organizers, sign_ins
from .auth import begin_session, end_session
from .forms import ActionForm, PasswordChangeForm
from .routes import bp


def _account_page(password_form: PasswordChangeForm, status: int = 200):
    return render_template("organizer/account.html", password_form=password_form, action_form=ActionForm(),
                           sign_ins=sign_ins.recent(current_user, succeeded=True),
                           failures=sign_ins.recent(current_user, succeeded=False),
                           failures_today=sign_ins.failures_since(current_user, utcnow() - timedelta(days=1))), status


@bp.get("/account")
def account():
    """What the organizer can do for the safety of their own account, and what happened to it."""
    return _account_page(PasswordChangeForm(formdata=None))


@bp.post("/account/password")
def change_password():
    """A new password, given the current one; every other session of the account ends."""
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _account_page(form, 422)
    if not organizers.password_matches(current_user, form.current_password.data):
        form.current_password.errors.append(_("The current password is wrong."))
        return _account_page(form, 422)
    organizer = current_user._get_current_object()
    organizers.set_password(organizer, form.new_password.data)
    begin_session(organizer, get_remote_address())
    flash(_("Your password is changed; every other session of your account has ended."), "info")
    return redirect(url_for("organizer.account"))


@bp.post("/account/logout-everywhere")
def logout_everywhere():
    """End every session of the account, this one included (a stolen cookie with them)."""
    if ActionForm().validate_on_submit():
        organizer = current_user._get_current_object()
        sign_ins.end_all_sessions(organizer)
        end_session()
        flash(_("You are logged out everywhere."), "info")
        return redirect(url_for("organizer.login"))
    return redirect(url_for("organizer.account"))
