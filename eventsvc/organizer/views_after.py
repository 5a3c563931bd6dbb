"""After the event: the thank-you and missed-you mails (write, preview, send)."""

from __future__ import annotations

from types import SimpleNamespace

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _

from ..i18n import city_name
from ..models import MailKind
from ..services import aftercare, certificates, feedback, partner_report
from ..services.badges import BadgeFontMissing
from ..services.exports import export_filename
from ..services.aftercare import FollowUpError
from ..services.mailing.render import render_mail
from ..services.messages import message_languages
from .forms import ActionForm, FollowUpForm
from .routes import bp
from .views_events import _language, load_event

#: Placeholder people for the preview, by language: nobody's real name or link is shown.
_SAMPLE_NAMES = {"en": ("Doe", "Jane"), "zh": ("王", "丽"), "de": ("Muster", "Erika")}
#: Stands for each registrant's own secret in the preview's links.
PLACEHOLDER_TOKEN = "your-personal-link"


def follow_up_error(error: FollowUpError) -> str:
    """What went wrong, in the organizer's language."""
    if error.code == "not_ended":
        return _("The event has not ended yet: the mails can be sent once it is over. Nothing was sent.")
    if error.code == "not_published":
        return _("Only a published event that took place has attendees to thank. Nothing was sent.")
    if error.code == "too_long":
        return _("Please use at most %(max)d characters.", max=error.params.get("max", 0))
    if error.code == "control":
        return _("Please use only ordinary text, without control characters.")
    return _("Please check this field.")


def preview_mails(event, language: str) -> list:
    """Both mails as a reader of ``language`` would get them, with placeholder name and links."""
    family, given = _SAMPLE_NAMES.get(language, _SAMPLE_NAMES["en"])
    reader = SimpleNamespace(family_name=family, given_name=given, language=language, event=event, status="confirmed",
                             manage_token=PLACEHOLDER_TOKEN, unsubscribe_token=PLACEHOLDER_TOKEN,
                             checkin_code=PLACEHOLDER_TOKEN, email="name@example.com")
    return [render_mail(SimpleNamespace(id=0, kind=kind, registration=reader, dedupe_key=str(kind), payload=None))
            for kind in (MailKind.THANK_YOU, MailKind.MISSED_YOU)]


@bp.route("/events/<slug>/follow-up", methods=["GET", "POST"])
def follow_up(slug: str):
    """Write the paragraph, preview both mails, send them once the event is over."""
    event = load_event(slug)
    languages = message_languages(event)
    form = FollowUpForm()
    if request.method == "GET":
        for language in languages:
            form[f"text_{language}"].data = (event.follow_up_texts or {}).get(language, "")
    elif form.validate_on_submit():
        try:
            aftercare.save_follow_up_texts(event.id, {lang: form[f"text_{lang}"].data for lang in languages})
            if form.action.data == "send":
                result = aftercare.send_follow_up(event.id)
                flash(_("%(thanked)d thank-you and %(missed)d missed-you mails are on their way.",
                        thanked=result.thanked, missed=result.missed), "info")
                return redirect(url_for("organizer.dashboard", slug=slug))
        except FollowUpError as error:
            target = form[f"text_{error.params['field']}"] if "field" in error.params else None
            if target is not None:
                target.errors = list(target.errors) + [follow_up_error(error)]
            else:
                flash(follow_up_error(error), "error")
    reader_language = _language() if _language() in languages else languages[0]
    previews = preview_mails(event, reader_language)
    return render_template("organizer/follow_up.html", event=event, form=form, languages=languages,
                           previews=previews, ended=event.is_past(),
                           audiences=aftercare.audience_sizes(event))


@bp.post("/events/<slug>/follow-up/send")
def send_follow_up(slug: str):
    """The dashboard's button: send both mails now (once per person; a repeat sends nothing new)."""
    event = load_event(slug)
    if ActionForm().validate_on_submit():
        try:
            result = aftercare.send_follow_up(event.id)
        except FollowUpError as error:
            flash(follow_up_error(error), "error")
        else:
            flash(_("%(thanked)d thank-you and %(missed)d missed-you mails are on their way.",
                    thanked=result.thanked, missed=result.missed), "info")
    return redirect(url_for("organizer.dashboard", slug=slug))


@bp.get("/events/<slug>/certificates.pdf")
def event_certificates(slug: str):
    """Every certificate of attendance of the event in one PDF, a page per guest checked in."""
    event = load_event(slug)
    try:
        pdf, _count = certificates.event_certificates_pdf(event, city_name)
    except certificates.CertificateUnavailable:
        flash(_("Certificates of attendance can be made once the event has ended."), "error")
        return redirect(url_for("organizer.dashboard", slug=slug))
    except BadgeFontMissing as error:
        flash(str(error), "error")
        return redirect(url_for("organizer.dashboard", slug=slug))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{export_filename(event, "pdf", "certificates")}"'})


@bp.get("/events/<slug>/feedback.csv")
def feedback_csv(slug: str):
    """The feedback answers, a row per registration that answered (never for check-in accounts:
    ``routes.CHECKIN_ENDPOINTS`` does not list it)."""
    event = load_event(slug)
    return Response(stream_with_context(feedback.iter_feedback_csv(event)), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="{export_filename(event, "csv", "feedback")}"'})


@bp.get("/events/<slug>/report.pdf")
def partner_report_pdf(slug: str):
    """One page of figures for the report's partners, without a single name (``?lang=de|en``;
    by default the page's language when it is one of them)."""
    event = load_event(slug)
    language = request.args.get("lang")
    if language not in partner_report.REPORT_LANGUAGES:
        language = _language() if _language() in partner_report.REPORT_LANGUAGES else "en"
    try:
        pdf = partner_report.partner_report_pdf(event, language)
    except BadgeFontMissing as error:
        flash(str(error), "error")
        return redirect(url_for("organizer.dashboard", slug=slug))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{export_filename(event, "pdf", f"summary-{language}")}"'})
