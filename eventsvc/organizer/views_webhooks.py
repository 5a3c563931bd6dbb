"""Admins only: webhook endpoints (other systems that hear of registrations and changes) and the
delivery log of each, with what the endpoint answered."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..services import webhooks
from ..services.events import events_for_organizers, find_event
from .forms import ActionForm, WebhookForm
from .routes import bp


def _url_problem(error: webhooks.WebhookUrlError) -> str:
    return {
        "scheme": _("Please enter an address that starts with http:// or https://."),
        "private": _("This address is in a private network or on this machine; webhooks go only to "
                     "addresses on the internet."),
        "unresolvable": _("This host name cannot be found. Please check the address."),
        "too_long": _("Please use at most %(max)d characters.", max=2000),
    }.get(error.code, str(error))


def _type_names() -> dict[str, str]:
    """What each event type means, in the reader's words (the endpoint receives the type itself)."""
    return {
        "registration.created": _("Someone registered"),
        "registration.cancelled": _("A registration was cancelled"),
        "registration.promoted": _("Someone moved up from the waiting list"),
        "registration.checked_in": _("A guest was checked in at the door"),
        "mail.bounced": _("A mail could not be delivered"),
        "event.changed": _("An event was changed"),
    }


def _form() -> WebhookForm:
    form = WebhookForm()
    form.event.choices = [SelectChoice("", _("every event"))] + [
        SelectChoice(event.slug, event.slug) for event in events_for_organizers()]
    names = _type_names()
    form.types.choices = [SelectChoice(t, names[t]) for t in webhooks.EVENT_TYPES]
    return form


def _endpoint(endpoint_id: int):
    endpoint = webhooks.find_endpoint(endpoint_id)
    if endpoint is None:
        abort(404)
    return endpoint


@bp.route("/webhooks", methods=["GET", "POST"])
def webhook_endpoints():
    """The endpoints; a new one is added here and its secret shown this once."""
    form = _form()
    secret = None
    if form.validate_on_submit():
        event = find_event(form.event.data) if form.event.data else None
        try:
            endpoint = webhooks.add_endpoint(form.url.data, event, form.types.data, current_user.id)
        except webhooks.WebhookUrlError as error:
            form.url.errors.append(_url_problem(error))
        else:
            secret = endpoint.secret
            flash(_("Endpoint added. Copy its signing secret now: it is not shown again."), "info")
            form = _form()
            form.url.data = ""
    return render_template("organizer/webhooks.html", form=form, secret=secret, type_names=_type_names(),
                           endpoints=webhooks.all_endpoints(), action_form=ActionForm())


@bp.get("/webhooks/<int(max=2147483647):endpoint_id>")
def webhook_log(endpoint_id: int):
    """The endpoint's latest deliveries, each attempt with the endpoint's answer."""
    endpoint = _endpoint(endpoint_id)
    return render_template("organizer/webhook_log.html", endpoint=endpoint,
                           deliveries=webhooks.deliveries_of(endpoint), action_form=ActionForm())


@bp.post("/webhooks/<int(max=2147483647):endpoint_id>/switch")
def switch_webhook(endpoint_id: int):
    endpoint = _endpoint(endpoint_id)
    if ActionForm().validate_on_submit():
        webhooks.set_active(endpoint.id, not endpoint.active)
        flash(_("Endpoint switched on: waiting deliveries go out within a minute.") if endpoint.active
              else _("Endpoint switched off."), "info")
    return redirect(url_for("organizer.webhook_log", endpoint_id=endpoint_id))


@bp.post("/webhooks/<int(max=2147483647):endpoint_id>/delete")
def delete_webhook(endpoint_id: int):
    endpoint = _endpoint(endpoint_id)
    if ActionForm().validate_on_submit():
        webhooks.remove_endpoint(endpoint.id)
        flash(_("Endpoint removed."), "info")
    return redirect(url_for("organizer.webhook_endpoints"))
