"""Pages for attendees. Each view loads its objects, calls one service, and renders or redirects."""

from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, flash, g, jsonify, redirect, render_template,
                   request, session, url_for)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from .. import proof_of_work
from ..web_extensions import csrf, limiter
from ..forms import feedback_form_for, limit_registrations, registration_form_for
from ..i18n import LANGUAGE_NAMES, city_name
from ..models import Event, EventStatus, RegistrationStatus
from ..models.types import utcnow
from ..services import certificates, feedback, follow_up
from ..services.badges import BadgeFontMissing
from ..services import privacy as data_rights
from ..services import registrant
from ..services.calendar import build_feed, build_ics, feed_events
from ..services.local_time import format_day
from ..services.names import full_name
from ..services.checkin import checkin_qr_svg
from ..services.seats import live_counts
from ..services.events import EventStamp, event_stamp, find_event, listed_events, reload_event
from ..services.registration import (EventFull, RegistrationClosed, cancel, register, seats_left,
                                     set_language, waitlist_position)
from .forms import ConfirmForm, LanguageForm
from .shared_pages import SharedPages

bp = Blueprint("public", __name__)
#: Pages the same for every visitor but for the CSRF token (the registration form).
shared_pages = SharedPages()


def _visible_event(slug: str) -> Event:
    """A published or cancelled event; drafts and unknown slugs are a 404."""
    event = find_event(slug)
    if event is None or event.status == EventStatus.DRAFT:
        abort(404)
    return event


def _visible_stamp(slug: str) -> EventStamp:
    """:func:`_visible_event` for a route that may answer with a kept page: the event's
    :class:`EventStamp` (its version and whether it is open); for a GET, read outside any
    transaction (a kept page needs nothing more), for a POST in the one that follows."""
    stamp = event_stamp(slug, alone=request.method == "GET")
    if stamp is None or stamp.status == EventStatus.DRAFT:
        abort(404)
    return stamp


def _whole(event: EventStamp | Event) -> Event:
    """The event with every column, for a page that renders it."""
    return event if isinstance(event, Event) else reload_event(event.id)


def _registration(token: str):
    """The registration of a manage link; an erased one is a 410 page saying the data is gone."""
    registration = registrant.find_by_token(token)
    if registration is None:
        abort(404)
    if registration.erased_at is not None:
        abort(410)
    return registration


def _registrant_language(registration) -> str:
    """The registrant's own language, unless they just picked another one with ?lang=."""
    chosen = request.args.get("lang")
    return chosen if chosen in LANGUAGE_NAMES else registration.language


@bp.get("/")
def index():
    """Upcoming events first, soonest first; past events apart."""
    now = utcnow()
    upcoming, past = listed_events(now)
    return render_template("public/index.html", upcoming=upcoming, past=past, now=now,
                           subscribe_url=_webcal_url(str(get_locale() or "en")))


def _webcal_url(language: str) -> str:
    """The feed's address for calendar apps: ``webcal://`` opens the subscribe dialog."""
    base = current_app.config["BASE_URL"]
    return f"webcal://{base.split('://', 1)[1].rstrip('/')}/calendar.ics?lang={language}"


@bp.get("/events/<slug>")
def event(slug: str):
    event = _visible_event(slug)
    return render_template(
        "public/event.html", event=event, is_open=event.registration_open(),
        seats=seats_left(event), reports=registrant.published_reports(),
    )


@bp.get("/events/<slug>/card.png")
def event_card(slug: str):
    """The 1200×630 picture that shared links show (``og:image``), in ``?lang=``."""
    event = _visible_event(slug)
    language = str(get_locale() or "en")
    g.pop("chosen_language", None)  # a link preview's fetch chooses no visitor's language
    from ..services import poster  # Pillow and segno: only in a process that draws a picture

    try:
        image = poster.card_png(event, language)
    except BadgeFontMissing:
        abort(404)
    return Response(image, mimetype="image/png", headers={"Cache-Control": "public, max-age=3600"})


@bp.route("/events/<slug>/register", methods=["GET", "POST"], endpoint="register")
@limit_registrations
def register_view(slug: str):
    """The form; on success Post/Redirect/Get to the "what happens next" page.

    A form with the honeypot filled in gets the same answer as a real one and stores nothing. A
    client that registered several times in a short while must also solve a proof-of-work
    challenge (its browser does, in about a second).
    """
    event = _visible_stamp(slug)
    if not event.registration_open():
        return (render_template("public/closed.html", event=_whole(event)),
                409 if request.method == "POST" else 200)
    language = str(get_locale() or "en")
    challenge = proof_of_work.required()
    if request.method == "GET":
        # The same page for every visitor of this event in this language: rendered once.
        key = (request.path, event.id, event.updated_at, language, challenge)

        def render() -> str:
            whole = _whole(event)
            return _register_page(whole, registration_form_for(whole)(language=language), challenge)

        return shared_pages.page(key, render)
    # The form's class is kept per version of the event: its questions are not read again.
    form = registration_form_for(event, lambda: _whole(event))(language=language)
    if form.is_submitted() and form.is_bot():
        return redirect(url_for("public.registered", slug=slug))
    if form.validate_on_submit():
        if challenge and not proof_of_work.accept(form.altcha.data):
            form.form_errors.append(_("Please wait until your browser has finished the check below "
                                      "(a second or two), then send the form again."))
            return _register_page(event, form, challenge), 422
        proof_of_work.count_attempt()
        try:
            register(event.id, form.registration_data())
        except RegistrationClosed:
            return render_template("public/closed.html", event=_whole(event)), 409
        except EventFull:
            form.form_errors.append(_("Sorry, this event is full."))
            return _register_page(event, form, challenge, full=True), 409
        # The next page names the address the mail goes to; it is the one just typed, so
        # naming it reveals nothing about whether it was known.
        session["registered_email"] = form.email.data.strip()
        return redirect(url_for("public.registered", slug=slug))
    status = 422 if form.is_submitted() else 200
    return _register_page(event, form, challenge), status


def _register_page(event: EventStamp | Event, form, challenge: bool, full: bool = False) -> str:
    return render_template("public/register.html", event=_whole(event), form=form, full=full,
                           challenge=challenge)


@bp.get("/challenge")
def challenge():
    """A fresh proof-of-work challenge for ``static/altcha.js``."""
    response = jsonify(proof_of_work.new_challenge())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/events/<slug>/registered")
def registered(slug: str):
    """The same words whether the address was new or known: nothing is revealed.

    The page is the same for everyone who registered for this event in this language but for
    the address, so it is rendered once and the address put in.
    """
    event = _visible_stamp(slug)
    email = session.pop("registered_email", None)
    key = (request.path, event.id, event.updated_at, str(get_locale() or "en"), email is not None)
    return shared_pages.filled(key, lambda marks: render_template(
        "public/registered.html", event=_whole(event), email=marks.get("email")),
        {"email": email} if email is not None else {})


@bp.get("/privacy")
def privacy():
    return render_template("public/privacy.html")


@bp.get("/imprint")
def imprint():
    """The provider's identification (§ 5 DDG), from the ORGANIZATION_* settings."""
    return render_template("public/imprint.html")


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for it whatever the page links; the SVG icon answers."""
    return current_app.send_static_file("favicon.svg")


@bp.get("/r/<token>")
def manage(token: str):
    """The registrant's own page, in their language."""
    registration = _registration(token)
    with force_locale(_registrant_language(registration)):
        return render_template(
            "public/manage.html", registration=registration, event=registration.event,
            position=waitlist_position(registration), reports=registrant.published_reports(),
            language_form=LanguageForm(language=registration.language), confirm_form=ConfirmForm(),
            qr_svg=checkin_qr_svg(registration.checkin_code, _("QR check-in code")),
            now=utcnow(), feedback_window=feedback.FEEDBACK_WINDOW,
        )


@bp.route("/r/<token>/cancel", methods=["GET", "POST"], endpoint="cancel")
def cancel_view(token: str):
    """GET asks for confirmation; POST (with its CSRF token) cancels."""
    registration = _registration(token)
    form = ConfirmForm()
    with force_locale(_registrant_language(registration)):
        if registration.status == RegistrationStatus.CANCELLED:
            return redirect(url_for("public.manage", token=token))
        if form.validate_on_submit():
            was_waiting = registration.status == RegistrationStatus.WAITLISTED
            cancel(registration.id)
            flash(_("You have left the waiting list.") if was_waiting
                  else _("Your registration is cancelled. We have sent you a confirmation."))
            return redirect(url_for("public.manage", token=token))
        waiting = live_counts(registration.event)[1]
        return render_template("public/cancel.html", registration=registration,
                               event=registration.event, form=form, someone_waits=waiting > 0)


@bp.post("/r/<token>/language")
def change_language(token: str):
    registration = _registration(token)
    form = LanguageForm()
    if form.validate_on_submit():
        set_language(registration.id, form.language.data)
        with force_locale(form.language.data):
            flash(_("From now on we write to you in this language."))
        g.chosen_language = form.language.data  # the pages follow too (i18n remembers it)
    return redirect(url_for("public.manage", token=token))


@bp.get("/r/<token>/data")
def data_download(token: str):
    """Everything stored about the registration, as a JSON file (the right of access)."""
    registration = _registration(token)
    response = jsonify(data_rights.registrant_data(registration))
    response.headers["Content-Disposition"] = f'attachment; filename="registration-{registration.public_id}.json"'
    return response


@bp.route("/r/<token>/erase", methods=["GET", "POST"], endpoint="erase")
def erase_view(token: str):
    """GET asks; POST (with its CSRF token) erases the personal data and says it is done."""
    registration = _registration(token)
    form = ConfirmForm()
    with force_locale(_registrant_language(registration)):
        if form.validate_on_submit():
            data_rights.erase(registration.id)
            return render_template("public/erased.html")
        return render_template("public/erase.html", registration=registration, event=registration.event,
                               form=form)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click POST from a mail client carries no token; the link's secret is the key
def unsubscribe(token: str):
    """Unsubscribe by the link's own token, which shows nothing personal and can do nothing else:
    a registration's (reminders, report mail, invitations) or an invitation's (invitations)."""
    registration = registrant.find_by_unsubscribe_token(token)
    consent = None if registration is not None else follow_up.find_by_withdraw_token(token)
    if registration is None and consent is None:
        abort(404)
    if registration is not None:
        language = _registrant_language(registration)
    else:
        language = _registrant_language(consent.registration) if consent.registration else str(get_locale() or "en")
    with force_locale(language):
        if request.method == "POST":
            if registration is not None:
                registrant.unsubscribe(registration.id)
            else:
                follow_up.withdraw(consent.id)
            return render_template("public/unsubscribed.html")
        return render_template("public/unsubscribe.html", token=token)


@bp.route("/consent/<token>", methods=["GET", "POST"])
@csrf.exempt  # the link's secret is the key; RFC 8058 one-click withdrawal posts without a token
def consent(token: str):
    """Confirm the wish to hear about follow-up events (double opt-in), or withdraw it.

    POST ``action=confirm`` confirms; ``action=withdraw`` or a mail client's one-click
    ``List-Unsubscribe=One-Click`` withdraws.
    """
    record = follow_up.find_consent(token)
    if record is None:
        abort(404)
    language = request.args.get("lang") if request.args.get("lang") in LANGUAGE_NAMES else (
        record.registration.language if record.registration else str(get_locale() or "en"))
    with force_locale(language):
        if request.method == "POST":
            if request.form.get("action") == "confirm":
                follow_up.confirm(record.id)
            else:
                follow_up.withdraw(record.id)
        return render_template("public/consent.html", consent=record, token=token)


@bp.get("/r/<token>/calendar.ics")
def calendar(token: str):
    """The event as a calendar file, for a registrant who has a seat (same UID as in the mail)."""
    registration = _registration(token)
    if registration.status != RegistrationStatus.CONFIRMED or registration.event.status != EventStatus.PUBLISHED:
        abort(404)
    ics = build_ics(registration.event, registration, registration.language, method="PUBLISH")
    return Response(ics, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="{registration.event.slug}.ics"'})


@bp.get("/calendar.ics")
def calendar_feed():
    """Every event as a calendar to subscribe to (``webcal://``), in the language of ``?lang=``."""
    language = str(get_locale() or "en")
    response = Response(build_feed(feed_events(), language), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'inline; filename="smart-city-china-{language}.ics"'
    response.headers["Cache-Control"] = "public, max-age=900"
    return response


@bp.get("/r/<token>/certificate.pdf")
def certificate(token: str):
    """The registrant's certificate of attendance; before the end or without a check-in a 404
    page in their language says why."""
    registration = _registration(token)
    with force_locale(_registrant_language(registration)):
        try:
            pdf = certificates.certificate_pdf(registration, city_name)
        except certificates.CertificateUnavailable as refused:
            return render_template("public/no_certificate.html", reason=refused.code, token=token), 404
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="certificate-{registration.event.slug}.pdf"'})


def _feedback_refusal(code: str, event) -> str:
    """Why the feedback form is not open, in the reader's language."""
    if code == "not_started":
        return _("The feedback form opens when the event begins.")
    if code == "closed":
        return _("The feedback form closed on %(date)s.", date=format_day(feedback.closes_at(event), event.timezone))
    if code == "no_questions":
        return _("This event asks no feedback questions.")
    return _("Only confirmed registrations can give feedback.")


@bp.route("/r/<token>/feedback", methods=["GET", "POST"], endpoint="feedback")
def feedback_view(token: str):
    """The event's feedback questions, once it has started; one answer set, changeable for a while."""
    registration = _registration(token)
    event = registration.event
    with force_locale(_registrant_language(registration)):
        closes = format_day(feedback.closes_at(event), event.timezone)
        try:
            feedback.check_open(registration)
        except feedback.FeedbackRefused as refused:
            status = 404 if refused.code == "no_questions" else 403
            return render_template("public/feedback.html", event=event, token=token, form=None, closes=closes,
                                   refused=_feedback_refusal(refused.code, event)), status
        form_class = feedback_form_for(event)
        form = form_class() if request.method == "POST" else form_class(data={
            f"q_{key}": str(value) if isinstance(value, int) else value
            for key, value in feedback.answers_of(registration).items()})
        if form.validate_on_submit():
            try:
                feedback.save_feedback(registration.id, form.answers())
            except feedback.FeedbackRefused as refused:
                return render_template("public/feedback.html", event=event, token=token, form=None, closes=closes,
                                       refused=_feedback_refusal(refused.code, event)), 403
            except feedback.FeedbackInvalid as invalid:
                form[f"q_{invalid.key}"].errors = [_("Please choose one of the answers offered.")]
            else:
                return redirect(url_for("public.feedback", token=token, saved=1))
        status = 422 if form.is_submitted() else 200
        return render_template("public/feedback.html", event=event, token=token, form=form, closes=closes,
                               saved=request.args.get("saved") == "1" and request.method == "GET"), status


@bp.get("/certificates/<certificate_id>")
def verify_certificate(certificate_id: str):
    """Whether a certificate is genuine: the name, the event and the date, nothing else."""
    registration = certificates.find_certificate(certificate_id)
    if registration is None:
        abort(404)
    language = str(get_locale() or "en")
    event = registration.event
    return render_template("public/certificate.html",
                           name=full_name(registration.family_name, registration.given_name),
                           title=event.text("title", language), date=certificates.event_date(event, language))


#: Pages whose URL holds the registrant's secret token.
PRIVATE_ENDPOINTS = {"public.manage", "public.cancel", "public.change_language", "public.unsubscribe",
                     "public.calendar", "public.consent", "public.data_download", "public.erase",
                     "public.certificate", "public.verify_certificate", "public.feedback"}


@bp.after_request
def keep_token_pages_private(response):
    """A token in the URL must not reach caches, search engines or other sites' Referer logs.

    The Referrer-Policy of every page (``same-origin``, eventsvc/security.py) already keeps the
    token off other sites; ``no-referrer`` here would break the page's own forms over HTTPS,
    where Flask-WTF's CSRF check requires a same-origin Referer.
    """
    if request.endpoint in PRIVATE_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


#: Report-link clicks counted per client: the download figures organizers see stay honest.
REPORT_DOWNLOADS_PER_CLIENT = "30 per hour"


def _too_many_downloads() -> str:
    return _("You have opened the report many times in a short while. Please wait an hour and try again.")


@bp.get("/reports/<language>")
@limiter.limit(REPORT_DOWNLOADS_PER_CLIENT, error_message=_too_many_downloads)
def report_download(language: str):
    """Count the click, then send the visitor to the file."""
    report = registrant.record_report_download(language, request.args.get("event"))
    if report is None:
        abort(404)
    return redirect(report.url)
