"""Events: list, create, edit, publish, unpublish, cancel, and each event's dashboard."""

from __future__ import annotations

import yaml
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _

from ..models import Event, EventStatus
from ..models.event import DEFAULT_REMINDER_OFFSETS
from ..services import dashboard, door_stats, event_admin, feedback, follow_up
from ..services.durations import describe_offsets
from ..services.event_values import EventValueError, validate_event
from ..services.events import events_for_organizers, find_event
from .routes import bp, visible_event_ids
from .forms import ActionForm, EventForm

LANGS = ("en", "zh", "de")


def _language() -> str:
    locale = get_locale()
    return locale.language if locale else "en"


def load_event(slug: str) -> Event:
    """The event of the URL; one outside the account's grants was refused in ``check_access``."""
    event = find_event(slug)
    if event is None:
        abort(404)
    return event


def _form_for(event: Event) -> EventForm:
    """The edit form filled with the event as it is, times in its own zone."""
    form = EventForm(formdata=None)
    form.slug.data = event.slug
    for lang in LANGS:
        getattr(form, f"title_{lang}").data = (event.title or {}).get(lang, "")
        getattr(form, f"description_{lang}").data = (event.description or {}).get(lang, "")
        getattr(form, f"venue_{lang}").data = (event.venue or {}).get(lang, "")
    form.city.data = event.city
    form.country.data = event.country
    form.timezone.data = event.timezone
    form.starts_at.data = event.local_start().replace(tzinfo=None)
    form.ends_at.data = event.local_end().replace(tzinfo=None)
    form.capacity.data = event.capacity
    form.waitlist_enabled.data = event.waitlist_enabled
    form.reminder_offsets.data = describe_offsets(event.reminder_offsets or [], _language())
    form.languages.data = ",".join(event.languages or [])
    zone = event.zone
    form.registration_opens_at.data = (event.registration_opens_at.astimezone(zone).replace(tzinfo=None)
                                       if event.registration_opens_at else None)
    form.registration_closes_at.data = (event.registration_closes_at.astimezone(zone).replace(tzinfo=None)
                                        if event.registration_closes_at else None)
    form.notes.data = event.notes or ""
    form.questions.data = (yaml.safe_dump(event.questions, allow_unicode=True, sort_keys=False)
                           if event.questions else "")
    form.feedback.data = (yaml.safe_dump(event.feedback, allow_unicode=True, sort_keys=False)
                          if event.feedback else "")
    return form


def _record_from(form: EventForm) -> dict:
    """The form as an event record, the shape :func:`validate_event` takes from a file too."""
    return {
        "slug": form.slug.data.strip(),
        "title": {lang: getattr(form, f"title_{lang}").data for lang in LANGS},
        "description": {lang: getattr(form, f"description_{lang}").data for lang in LANGS},
        "venue": {lang: getattr(form, f"venue_{lang}").data for lang in LANGS},
        "city": form.city.data,
        "country": form.country.data,
        "timezone": form.timezone.data.strip(),
        "starts_at": form.starts_at.data,
        "ends_at": form.ends_at.data,
        "capacity": form.capacity.data,
        "waitlist": form.waitlist_enabled.data,
        "reminder_offsets": form.reminder_offsets.data or "",
        "languages": form.languages.data.split(","),
        "registration_opens": form.registration_opens_at.data,
        "registration_closes": form.registration_closes_at.data,
        "notes": form.notes.data,
        "questions": _questions_from(form.questions),
        "feedback": _questions_from(form.feedback),
    }


def _questions_from(field):
    """A questions field (YAML) as data; text that is no YAML at all is refused by the validator."""
    text = (field.data or "").strip()
    if not text:
        return []
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return "not YAML"


#: Fields of an event record and the form fields that show their errors.
_FORM_FIELDS = {"waitlist": "waitlist_enabled", "registration_opens": "registration_opens_at",
                "registration_closes": "registration_closes_at"}


def _error_message(error: EventValueError) -> str:
    """What went wrong, in the organizer's language."""
    params = error.params
    messages = {
        "slug_taken": lambda: _("Another event already has this address name."),
        "slug": lambda: _("Use lower-case letters, digits and single hyphens only."),
        "timezone": lambda: _("Not a known time zone; use an IANA name such as Europe/Berlin."),
        "ends_before_start": lambda: _("The end must not be before the start."),
        "closes_before_opens": lambda: _("Registration must not close before it opens."),
        "time_missing": lambda: _("%(time)s does not exist in %(zone)s: the clocks go forward at "
                                  "that hour. Choose a time before or after the change.", **params),
        "time_twice": lambda: _("%(time)s happens twice in %(zone)s: the clocks go back at that "
                                "hour. Choose a time outside the hour of the change.", **params),
        "too_long": lambda: _("Please use at most %(max)d characters.", **params),
        "english_required": lambda: _("The English text is required."),
        "reminder_offsets": lambda: _("Cannot read “%(part)s”; write e.g. “7 days, 1 day, 3 hours”.", **params),
        "capacity": lambda: _("Please enter a whole number of seats (empty: unlimited)."),
        "question_key": lambda: _("“%(key)s” is not a plain identifier: use lower-case letters, digits and _.",
                                  key=params.get("key", "")),
        "question_key_twice": lambda: _("The key “%(key)s” is used twice.", key=params.get("key", "")),
        "question_type": lambda: _("The type must be text, choice, multiple or yes_no."),
        "feedback_type": lambda: _("The type must be text, choice, multiple, yes_no or rating."),
        "choices": lambda: _("A choice or multiple question needs its choices; the others have none."),
        "questions": lambda: _("Write a list of questions in YAML, as in an events file."),
    }
    return messages.get(error.code, lambda: _("Please check this field."))()


def _show_error(form: EventForm, error: EventValueError) -> None:
    name, _dot, language = error.field.partition(".")
    if name in ("questions", "feedback"):
        field = form[name]
        field.errors = list(field.errors) + [f"{error.field}: {_error_message(error)}"]
        return
    name = f"{name}_{language}" if language else _FORM_FIELDS.get(name, name)
    field = getattr(form, name, None) or form.slug
    field.errors = list(field.errors) + [_error_message(error)]


@bp.get("/")
def index():
    return redirect(url_for("organizer.events"))


@bp.get("/events")
def events():
    return render_template("organizer/events.html", events=events_for_organizers(visible_event_ids()))


@bp.route("/events/new", methods=["GET", "POST"])
def new_event():
    form = EventForm()
    if request.method == "GET":
        form.reminder_offsets.data = describe_offsets(DEFAULT_REMINDER_OFFSETS, _language())
    return _save_event_form(
        form, None, event_admin.create_event,
        _("The event is saved as a draft. Publish it when it is ready."),
    )


@bp.route("/events/<slug>/edit", methods=["GET", "POST"])
def edit_event(slug: str):
    event = load_event(slug)
    form = EventForm() if request.method == "POST" else _form_for(event)
    event_id = event.id
    return _save_event_form(
        form, event, lambda data: event_admin.update_event(event_id, data), _("The event is saved.")
    )


def _save_event_form(form: EventForm, event, save, saved_message: str):
    """Save a submitted event form with ``save``; show the form again with what went wrong."""
    if form.validate_on_submit():
        try:
            saved = save(validate_event(_record_from(form)))
        except EventValueError as error:
            _show_error(form, error)
        else:
            flash(saved_message, "info")
            return redirect(url_for("organizer.dashboard", slug=saved.slug))
    return render_template("organizer/event_form.html", form=form, event=event,
                           zones=event_admin.SUGGESTED_ZONES)


@bp.post("/events/<slug>/publish")
def publish_event(slug: str):
    event = load_event(slug)
    if ActionForm().validate_on_submit():
        event_admin.publish_event(event.id)
        flash(_("The event is published."), "info")
    return redirect(url_for("organizer.dashboard", slug=slug))


@bp.post("/events/<slug>/unpublish")
def unpublish_event(slug: str):
    event = load_event(slug)
    if ActionForm().validate_on_submit():
        event_admin.unpublish_event(event.id)
        flash(_("The event is hidden from the public again."), "info")
    return redirect(url_for("organizer.dashboard", slug=slug))


@bp.post("/events/<slug>/invite")
def invite_event(slug: str):
    """Invite every address whose owner confirmed they want to hear about follow-up events."""
    event = load_event(slug)
    if ActionForm().validate_on_submit():
        flash(_("%(count)d invitations are on their way.", count=follow_up.invite(event.id)), "info")
    return redirect(url_for("organizer.dashboard", slug=slug))


@bp.post("/events/<slug>/copy")
def copy_event(slug: str):
    """A new draft with this event's texts and settings, opened for editing."""
    event = load_event(slug)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("organizer.dashboard", slug=slug))
    copy = event_admin.copy_event(event.id)
    flash(_("This is a copy, saved as a draft: set its address name and dates, then publish it."), "info")
    return redirect(url_for("organizer.edit_event", slug=copy.slug))


@bp.route("/events/<slug>/cancel", methods=["GET", "POST"])
def cancel_event(slug: str):
    """Cancelling asks first: it mails every registrant and cannot be undone."""
    event = load_event(slug)
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit() and event.status != EventStatus.CANCELLED:
        mailed = event_admin.cancel_event(event.id)
        flash(_("The event is cancelled; %(count)d registrants will be told.", count=mailed), "info")
        return redirect(url_for("organizer.dashboard", slug=slug))
    counts = dashboard.event_counts(event)
    return render_template("organizer/cancel.html", event=event, form=form, counts=counts)


@bp.get("/events/<slug>", endpoint="dashboard")
def dashboard_view(slug: str):
    event = load_event(slug)
    counts = dashboard.event_counts(event)
    chart = dashboard.registrations_chart(dashboard.registrations_per_day(event),
                                          _("Registrations per day"))
    door = door_stats.live_figures(event)
    arrivals = door_stats.arrivals_chart(door, event.zone, _("Arrivals per five minutes"))
    return render_template("organizer/dashboard.html", event=event, counts=counts, chart=chart,
                           downloads=dashboard.report_downloads(event), action_form=ActionForm(),
                           feedback=feedback.summary(event) if event.feedback else [],
                           door=door, arrivals_chart=arrivals)

