"""Attendees of an event: the list, one attendee's page and mails, exports, check-in."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..models import Registration
from ..models.registration import REGISTRATION_STATUSES
from ..services import attendees, checkin, door_stats, exports, registration as registration_service
from ..services import badges as badge_service
from ..services.local_time import format_moment
from ..services.names import full_name
from .forms import ActionForm, CheckinForm
from .routes import bp
from .views_events import load_event


def _page_number() -> int:
    try:
        return max(int(request.args.get("page", 1)), 1)
    except ValueError:
        return 1


def load_registration(event, public_id: str) -> Registration:
    registration = attendees.find_registration(event, public_id)
    if registration is None:
        abort(404)
    return registration


@bp.get("/events/<slug>/attendees")
def attendees_list(slug: str):
    event = load_event(slug)
    status = request.args.get("status") if request.args.get("status") in REGISTRATION_STATUSES else None
    query = request.args.get("q", "")[:200]
    page = attendees.search_attendees(event, query, status, _page_number())
    return render_template("organizer/attendees.html", event=event, page=page, query=query,
                           status=status, statuses=REGISTRATION_STATUSES)


@bp.get("/events/<slug>/attendees/<public_id>")
def attendee(slug: str, public_id: str):
    event = load_event(slug)
    registration = load_registration(event, public_id)
    return render_template("organizer/attendee.html", event=event, registration=registration,
                           mails=attendees.mails_of(registration), action_form=ActionForm(),
                           answers=attendees.answers_of(registration, lang_of_page(),
                                                        {"yes": _("yes"), "no": _("no")}),
                           position=registration_service.waitlist_position(registration))


@bp.post("/events/<slug>/attendees/<public_id>/resend")
def resend_confirmation(slug: str, public_id: str):
    event = load_event(slug)
    registration = load_registration(event, public_id)
    if ActionForm().validate_on_submit():
        if attendees.resend_confirmation(registration.id):
            flash(_("The confirmation is queued again."), "info")
        else:
            flash(_("A cancelled registration has nothing to confirm."), "error")
    return redirect(url_for("organizer.attendee", slug=slug, public_id=public_id))


@bp.post("/events/<slug>/attendees/<public_id>/cancel")
def cancel_registration(slug: str, public_id: str):
    event = load_event(slug)
    registration = load_registration(event, public_id)
    if ActionForm().validate_on_submit():
        registration_service.cancel(registration.id)
        flash(_("The registration is cancelled; the registrant gets a mail."), "info")
    return redirect(url_for("organizer.attendee", slug=slug, public_id=public_id))


@bp.post("/events/<slug>/attendees/<public_id>/checkin")
def check_in_attendee(slug: str, public_id: str):
    event = load_event(slug)
    registration = load_registration(event, public_id)
    if ActionForm().validate_on_submit():
        outcome = checkin.check_in_registration(registration.id, organizer_id=current_user.id)
        flash(outcome_message(outcome), "info" if outcome.outcome == "checked_in" else "error")
    return redirect(url_for("organizer.attendee", slug=slug, public_id=public_id))


def _download(event, fmt: str, body) -> Response:
    response = Response(body, mimetype=exports.MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{exports.export_filename(event, fmt)}"'
    return response


@bp.get("/events/<slug>/attendees.csv")
def export_csv(slug: str):
    """Streamed: rows leave as they are read, 100,000 of them never sit in memory."""
    event = load_event(slug)
    return _download(event, "csv", stream_with_context(exports.iter_csv(event)))


@bp.get("/events/<slug>/checkins.csv")
def checkin_log_csv(slug: str):
    """The check-in log, one row per scan (organizers and admins: not in the check-in role's pages)."""
    event = load_event(slug)
    response = Response(stream_with_context(door_stats.iter_log_csv(event)), mimetype=exports.MIMETYPES["csv"])
    response.headers["Content-Disposition"] = f'attachment; filename="{exports.export_filename(event, "csv", "checkins")}"'
    return response


@bp.get("/events/<slug>/attendees.xlsx")
def export_xlsx(slug: str):
    """Written in openpyxl's write-only mode to a temporary file, then streamed from it."""
    event = load_event(slug)
    return _download(event, "xlsx", stream_with_context(exports.iter_xlsx(event)))


@bp.get("/events/<slug>/badges.pdf")
def badges(slug: str):
    """Name badges of the event's attendees: ``layout=sheet`` (A4 label sheets, default) or
    ``badge`` (one per page); ``status`` and ``q`` filter as on the attendee list."""
    event = load_event(slug)
    layout = request.args.get("layout") if request.args.get("layout") in badge_service.LAYOUTS else "sheet"
    status = request.args.get("status", "confirmed")
    status = status if status in REGISTRATION_STATUSES else None
    try:
        pdf = badge_service.badges_pdf(event, layout, status, request.args.get("q", "")[:200], lang_of_page())
    except badge_service.BadgeFontMissing as error:
        flash(str(error), "error")
        return redirect(url_for("organizer.attendees_list", slug=slug))
    return _pdf_download(pdf, exports.export_filename(event, "pdf", "badges"))


@bp.get("/events/<slug>/door-list.pdf")
def door_list(slug: str):
    """The confirmed attendees on paper, to tick off at the door."""
    event = load_event(slug)
    try:
        pdf = badge_service.door_list_pdf(event, lang_of_page())
    except badge_service.BadgeFontMissing as error:
        flash(str(error), "error")
        return redirect(url_for("organizer.attendees_list", slug=slug))
    return _pdf_download(pdf, exports.export_filename(event, "pdf", "door-list"))


def lang_of_page() -> str:
    locale = get_locale()
    return locale.language if locale else "en"


def _pdf_download(pdf: bytes, filename: str) -> Response:
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def outcome_message(outcome: checkin.CheckinOutcome) -> str:
    """One clear sentence for the person at the door."""
    registration = outcome.registration
    name = full_name(registration.family_name, registration.given_name) if registration else ""
    if outcome.outcome == "checked_in":
        return _("Checked in: %(name)s", name=name)
    if outcome.outcome == "already_checked_in":
        when = format_moment(outcome.checked_in_at, registration.event.timezone)
        return _("Already checked in at %(time)s: %(name)s", time=when, name=name)
    if outcome.outcome == "cancelled":
        return _("Cancelled: %(name)s has cancelled this registration.", name=name)
    if outcome.outcome == "waitlisted":
        return _("On the waiting list: %(name)s has no seat.", name=name)
    if outcome.outcome == "not_for_this_event":
        return _("Not for this event: this code belongs to another event.")
    return _("Unknown code: no registration has this code.")


@bp.route("/events/<slug>/checkin", methods=["GET", "POST"])
def checkin_page(slug: str):
    """The door: type or scan a code, get one clear answer, scan the next."""
    event = load_event(slug)
    form = CheckinForm()
    outcome = None
    if form.validate_on_submit():
        outcome = checkin.check_in(event, form.code.data, organizer_id=current_user.id)
        form = CheckinForm(formdata=None)
    return render_template("organizer/checkin.html", event=event, form=form, outcome=outcome,
                           message=outcome_message(outcome) if outcome else None)
