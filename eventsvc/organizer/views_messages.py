"""Messages to the attendees of an event: write, preview as one of them, send, see how it went."""

from __future__ import annotations

import secrets
from types import SimpleNamespace

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..models import MailKind
from ..services import messages
from ..services.mailing.render import render_mail
from ..services.messages import MessageError
from .forms import MessageForm
from .routes import bp
from .views_events import load_event


def _audience_names() -> dict[str, str]:
    return {"all": _("Everyone registered (confirmed and waiting list)"), "confirmed": _("Confirmed"),
            "waitlisted": _("Waiting list"), "checked_in": _("Checked in"),
            "not_checked_in": _("Confirmed, not checked in yet")}


def _error_text(error: MessageError) -> str:
    return {
        "required": _("Please write this for every language of the event's mail."),
        "too_long": _("Please use at most %(max)d characters.", max=error.params.get("max", 0)),
        "control": _("Please use only ordinary text, without control characters."),
        "nobody": _("Nobody is in this audience yet: nothing was sent."),
        "audience": _("Please choose who gets the message."),
    }.get(error.code, _("Please check this field."))


def _preview(event, form: MessageForm, draft):
    """The mail as the chosen attendee would get it, with placeholder links (nothing is stored)."""
    recipients = messages.preview_recipients(event, draft.audience)
    # Only someone the message would reach (after a change of audience: its first recipient).
    chosen = (messages.find_recipient(event, draft.audience, form.preview_as.data or "")
              or (recipients[0] if recipients else None))
    if chosen is None:
        return None, recipients, None
    mail = SimpleNamespace(id=0, kind=MailKind.MESSAGE, registration=chosen, dedupe_key="message:preview",
                           payload={"subjects": draft.subjects, "bodies": draft.bodies})
    return render_mail(mail, preview=True), recipients, chosen


@bp.route("/events/<slug>/messages", methods=["GET", "POST"])
def event_messages(slug: str):
    event = load_event(slug)
    languages = messages.message_languages(event)
    form = MessageForm(languages=languages)
    preview = recipients = chosen = None
    if request.method == "GET":
        form.draft_token.data = secrets.token_urlsafe(24)
    elif form.validate_on_submit():
        try:
            draft = messages.validate_draft(
                event, {lang: getattr(form, f"subject_{lang}").data for lang in languages},
                {lang: getattr(form, f"body_{lang}").data for lang in languages}, form.audience.data)
            if form.send.data:
                message = messages.send_message(event.id, draft, form.draft_token.data, current_user.id)
                flash(_("The message is on its way to %(count)d people.", count=message.recipients), "info")
                return redirect(url_for("organizer.event_messages", slug=slug))
            preview, recipients, chosen = _preview(event, form, draft)
            if preview is None:
                raise MessageError("audience", "nobody")
        except MessageError as error:
            target = getattr(form, error.field, form.audience)
            target.errors = list(target.errors) + [_error_text(error)]
    return render_template(
        "organizer/messages.html", event=event, form=form, languages=languages,
        audience_names=_audience_names(), sizes=messages.audience_sizes(event),
        preview=preview, recipients=recipients or [], chosen=chosen, sent=messages.messages_of(event),
    )


@bp.get("/events/<slug>/messages/<int(max=2147483647):message_id>")
def message_detail(slug: str, message_id: int):
    """One message as it was sent, with how its mails fared."""
    event = load_event(slug)
    report = next((r for r in messages.messages_of(event) if r.message.id == message_id), None)
    if report is None:
        abort(404)
    return render_template("organizer/message.html", event=event, report=report,
                           audience_names=_audience_names())
