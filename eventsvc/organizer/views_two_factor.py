"""Setting up the second factor on the account page: a TOTP app with recovery codes."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..services import organizers, two_factor
from .forms import ActionForm, PasswordConfirmForm, TotpConfirmForm
from .routes import bp


def _me():
    return current_user._get_current_object()


@bp.get("/account/two-factor")
def two_factor_page():
    """What protects the account besides its password, and how to change it."""
    return render_template("organizer/two_factor.html", has_totp=two_factor.has_totp(_me()),
                           codes_left=two_factor.recovery_codes_left(_me()), action_form=ActionForm(),
                           password_form=PasswordConfirmForm(formdata=None))


@bp.post("/account/two-factor/totp")
def totp_begin():
    """A new secret for an authenticator app, shown until a right code confirms it."""
    if ActionForm().validate_on_submit() and not two_factor.has_totp(_me()):
        two_factor.begin_totp(_me())
        return redirect(url_for("organizer.totp_enrol"))
    return redirect(url_for("organizer.two_factor_page"))


def _enrol_page(form: TotpConfirmForm, status: int = 200):
    uri = two_factor.provisioning_uri(_me())
    return render_template("organizer/totp_enrol.html", form=form, uri=uri, qr=two_factor.qr_svg(uri),
                           secret=_me().totp_secret), status


@bp.get("/account/two-factor/totp")
def totp_enrol():
    if two_factor.has_totp(_me()) or not _me().totp_secret:
        return redirect(url_for("organizer.two_factor_page"))
    return _enrol_page(TotpConfirmForm(formdata=None))


@bp.post("/account/two-factor/totp/confirm")
def totp_confirm():
    """A right code from the app puts it in force; the recovery codes are shown this once."""
    if two_factor.has_totp(_me()) or not _me().totp_secret:
        return redirect(url_for("organizer.two_factor_page"))
    form = TotpConfirmForm()
    if not form.validate_on_submit():
        return _enrol_page(form, 422)
    try:
        codes = two_factor.confirm_totp(_me(), form.code.data)
    except two_factor.TwoFactorError:
        form.code.errors.append(_("The code is wrong. Please check that your app shows this account, and type "
                                  "the code it shows now."))
        return _enrol_page(form, 422)
    return render_template("organizer/recovery_codes.html", codes=codes)


@bp.post("/account/two-factor/totp/disable")
def totp_disable():
    """Turn the app off, given the password (a borrowed session alone cannot)."""
    form = PasswordConfirmForm()
    if form.validate_on_submit() and organizers.password_matches(_me(), form.password.data):
        two_factor.remove_totp(_me())
        flash(_("The authenticator app is turned off for your account."), "info")
    else:
        flash(_("The password is wrong; nothing was changed."), "error")
    return redirect(url_for("organizer.two_factor_page"))
