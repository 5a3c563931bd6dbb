"""Setting up the second factor on the account page: a TOTP app with recovery codes, passkeys."""

from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..services import organizers, passkeys, two_factor
from .forms import ActionForm, PasswordConfirmForm, TotpConfirmForm
from .routes import bp

#: Where the session keeps the challenge of a passkey being added.
PASSKEY_CHALLENGE = "passkey_registration_challenge"


def _me():
    return current_user._get_current_object()


@bp.get("/account/two-factor")
def two_factor_page():
    """What protects the account besides its password, and how to change it."""
    return render_template("organizer/two_factor.html", has_totp=two_factor.has_totp(_me()),
                           codes_left=two_factor.recovery_codes_left(_me()), action_form=ActionForm(),
                           password_form=PasswordConfirmForm(formdata=None), passkeys=passkeys.passkeys_of(_me()))


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


def _passkey_problem(reason: str):
    messages = {
        "invalid": _("Your browser's answer could not be checked; nothing was changed. Please try again."),
        "unknown": _("This passkey is not known here. Please use a passkey you set up for this account."),
        "foreign": _("This passkey belongs to another account. Please use the passkey of this account."),
    }
    return jsonify(error=reason, message=messages[reason]), 400


@bp.post("/account/two-factor/passkey/options")
def passkey_options():
    """The options for ``navigator.credentials.create``; the challenge stays in the session."""
    options, challenge = passkeys.registration_options(_me())
    session[PASSKEY_CHALLENGE] = challenge
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/account/two-factor/passkey")
def passkey_add():
    """Keep the passkey the browser just made (its answer to the options above)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _passkey_problem("invalid")
    name = body.pop("name", "")
    try:
        passkeys.register(_me(), body, session.pop(PASSKEY_CHALLENGE, None), name if isinstance(name, str) else "")
    except passkeys.PasskeyError as error:
        return _passkey_problem(error.reason)
    flash(_("The passkey is added: the login asks for it after your password."), "info")
    return jsonify(redirect=url_for("organizer.two_factor_page"))


@bp.post("/account/two-factor/passkey/<int(max=2147483647):passkey_id>/delete")
def passkey_delete(passkey_id: int):
    """Remove a passkey, given the password."""
    form = PasswordConfirmForm()
    if (form.validate_on_submit() and organizers.password_matches(_me(), form.password.data)
            and passkeys.remove(_me(), passkey_id)):
        flash(_("The passkey is removed."), "info")
    else:
        flash(_("The password is wrong; nothing was changed."), "error")
    return redirect(url_for("organizer.two_factor_page"))


# These read a JSON body (the browser's WebAuthn answer), with the CSRF token in X-CSRFToken.
passkey_options.accepts_json = True
passkey_add.accepts_json = True
