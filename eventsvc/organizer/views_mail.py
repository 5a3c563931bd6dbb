"""The mail log: every mail of the service, filters, failure reasons and retry."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..services import mail_log
from .routes import bp, visible_event_ids
from .forms import ActionForm


@bp.get("/mail")
def mail():
    status = request.args.get("status") if request.args.get("status") in mail_log.MAIL_FILTERS else None
    try:
        page_number = max(int(request.args.get("page", 1)), 1)
    except ValueError:
        page_number = 1
    return render_template("organizer/mail.html", page=mail_log.mail_log(status, page_number, event_ids=visible_event_ids()),
                           status=status, counts=mail_log.status_counts(visible_event_ids()), action_form=ActionForm())


@bp.post("/mail/<int(max=2147483647):mail_id>/retry")
def retry_mail(mail_id: int):
    if ActionForm().validate_on_submit():
        if mail_log.retry_mail(mail_id, event_ids=visible_event_ids()):
            flash(_("The mail is queued again."), "info")
        else:
            flash(_("Only a failed mail can be retried."), "error")
    return redirect(request.referrer if (request.referrer or "").startswith(request.host_url)
                    else url_for("organizer.mail", status="failed"))
