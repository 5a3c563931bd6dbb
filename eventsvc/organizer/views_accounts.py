"""Admins only: the organizer accounts, their roles and the events granted to them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from ..models import Organizer
from ..services import access, organizers
from ..services.events import events_for_organizers, find_event
from .forms import ActionForm, GrantForm, RoleForm
from .routes import bp, role_names


def _account(organizer_id: int) -> Organizer:
    organizer = organizers.organizer_by_id(str(organizer_id))
    if organizer is None:
        abort(404)
    return organizer


def _grant_form() -> GrantForm:
    form = GrantForm()
    form.slug.choices = [SelectChoice(event.slug, event.slug) for event in events_for_organizers()]
    return form


@bp.get("/accounts")
def accounts():
    """Every account with its role and its events; the admin changes them here."""
    rows = [(account, access.granted_events(account)) for account in access.all_organizers()]
    role_form = RoleForm()
    role_form.role.choices = [SelectChoice(role, label) for role, label in role_names().items()]
    return render_template("organizer/accounts.html", rows=rows, role_form=role_form,
                           grant_form=_grant_form(), action_form=ActionForm())


@bp.post("/accounts/<int(max=2147483647):organizer_id>/role")
def set_role(organizer_id: int):
    account = _account(organizer_id)
    form = RoleForm()
    if form.validate_on_submit():
        access.set_role(account, form.role.data)
        flash(_("%(email)s is now %(role)s.", email=account.email, role=role_names()[account.role]), "info")
    return redirect(url_for("organizer.accounts"))


@bp.post("/accounts/<int(max=2147483647):organizer_id>/grants")
def grant_event(organizer_id: int):
    account = _account(organizer_id)
    form = _grant_form()
    if form.validate_on_submit():
        event = find_event(form.slug.data)
        if event is not None and access.grant(account, event):
            flash(_("%(email)s may now work on %(slug)s.", email=account.email, slug=event.slug), "info")
    return redirect(url_for("organizer.accounts"))


@bp.post("/accounts/<int(max=2147483647):organizer_id>/grants/<int(max=2147483647):event_id>/revoke")
def revoke_grant(organizer_id: int, event_id: int):
    account = _account(organizer_id)
    event = next((e for e in access.granted_events(account) if e.id == event_id), None)
    if ActionForm().validate_on_submit() and event is not None and access.revoke(account, event):
        flash(_("%(email)s no longer works on %(slug)s.", email=account.email, slug=event.slug), "info")
    return redirect(url_for("organizer.accounts"))
