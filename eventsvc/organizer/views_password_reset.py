"""A forgotten password: a link by mail, then a new password (no login needed for either)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from ..web_extensions import limiter
from ..services import password_resets
from .forms import PasswordResetForm, PasswordResetRequestForm
from .routes import bp


def _invalid_link_page(reason: str):
    """Why the link cannot be used, in the reader's language, with the way to a new one."""
    messages = {
        "expired": _("This link has expired. Please ask for a new one."),
        "used": _("This link has been used already; each link works once. Please ask for a new one if you "
                  "need it."),
        "unknown": _("This link is not valid. Please check that you copied all of it, or ask for a new one."),
    }
    return render_template("organizer/password_reset_invalid.html", message=messages[reason]), (
        404 if reason == "unknown" else 410)


@bp.route("/password-reset", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def password_reset():
    """Ask for a link; the answer is the same whether or not an account has the address."""
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        password_resets.request_reset(form.email.data, str(get_locale() or "en"))
        return render_template("organizer/password_reset_sent.html", email=form.email.data.strip())
    return render_template("organizer/password_reset.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/password-reset/<string(maxlength=100):token>", methods=["GET", "POST"])
def password_reset_link(token: str):
    """The link from the mail: choose a new password, once, before the link expires."""
    try:
        password_resets.check_link(token)
    except password_resets.ResetLinkInvalid as invalid:
        return _invalid_link_page(invalid.reason)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            password_resets.use_link(token, form.new_password.data)
        except password_resets.ResetLinkInvalid as invalid:
            return _invalid_link_page(invalid.reason)
        flash(_("Your new password is set, and every session of your account has ended. Please log in."), "info")
        return redirect(url_for("organizer.login"))
    return render_template("organizer/password_reset_link.html", form=form), 422 if form.is_submitted() else 200
