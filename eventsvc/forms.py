"""The registration form, shared by the public page and the JSON API (which turns CSRF off),
and the limits on registration attempts that both apply."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import current_app, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from markupsafe import escape
from wtforms import (BooleanField, EmailField, HiddenField, RadioField, SelectField, SelectMultipleField,
                     StringField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (DataRequired, Email, InputRequired, Length, Optional,
                                StopValidation, ValidationError)
from wtforms.widgets import CheckboxInput, ListWidget

from .web_extensions import limiter
from .i18n import LANGUAGE_NAMES
from .models import Event
from .models.event import translated
from .services.kept import Kept
from .services.registration import RegistrationData

def registration_limit(scope: str):
    """The limit of ``scope`` (``client_event``, ``client``, ``address_event``) as the setting
    ``REGISTRATION_LIMITS`` has it (see ``config.DEFAULT_REGISTRATION_LIMITS``), read per request."""
    return lambda: current_app.extensions["eventsvc.registration_limits"][scope]

#: Field lengths, the same as the columns of :class:`eventsvc.models.Registration`.
MAX_EMAIL, MAX_NAME, MAX_ORGANIZATION = 254, 100, 200


#: The languages a registrant can read their pages and mail in, each named in itself.
LANGUAGE_CHOICES = [SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


#: Control characters have no place in a one-line field (and PostgreSQL refuses NUL outright).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def no_control_characters(form, field) -> None:
    """Refuse NUL, tabs, line breaks and other control characters with a clear message."""
    if isinstance(field.data, str) and _CONTROL.search(field.data):
        raise StopValidation(_l("Please use only ordinary text, without control characters."))


def _slug() -> str:
    return (request.view_args or {}).get("slug", "")


def _submitted_address() -> str:
    """The address a registration attempt names, from the form or the JSON body."""
    if request.is_json:
        body = request.get_json(silent=True)
        value = body.get("email") if isinstance(body, dict) else None
    else:
        value = request.form.get("email")
    return value.strip().lower()[:MAX_EMAIL] if isinstance(value, str) else ""


def _too_many_registrations() -> str:
    return _("You have sent many registrations in a short while. Please wait an hour and try "
             "again; if you are registering a group, we are glad to help by mail.")


def _too_many_for_address() -> str:
    return _("This address has been registered several times in a short while. Please check "
             "your mailbox for our confirmation, or wait an hour and try again.")


#: The limits on POST of the registration form and of the API's registrations, one count for both.
REGISTRATION_LIMITS = (
    limiter.shared_limit(registration_limit("client_event"), scope="registration-client-event",
                         key_func=lambda: f"{get_remote_address()}|{_slug()}", methods=["POST"],
                         error_message=_too_many_registrations),
    limiter.shared_limit(registration_limit("client"), scope="registration-client", methods=["POST"],
                         error_message=_too_many_registrations),
    limiter.shared_limit(registration_limit("address_event"), scope="registration-address-event",
                         key_func=lambda: f"{_submitted_address()}|{_slug()}", methods=["POST"],
                         exempt_when=lambda: not _submitted_address(), error_message=_too_many_for_address),
)


def limit_registrations(view):
    """Apply every registration limit to ``view`` (the form's POST, the API's registrations)."""
    for limit in REGISTRATION_LIMITS:
        view = limit(view)
    return view


#: A web address in a name is advertising, not a name ("WIN A PRIZE: visit http://…").
_LINK = re.compile(r"://|www\.", re.IGNORECASE)


def no_links(form, field) -> None:
    """Names, organization and job title carry no web addresses: we would mail them to whoever."""
    if isinstance(field.data, str) and _LINK.search(field.data):
        raise StopValidation(_l("Please enter no web addresses here."))


def _too_long():
    return _l("Please use at most %(max)d characters.")


class RegistrationForm(FlaskForm):
    """Who registers. Family name comes first, the order of Chinese names."""

    email = EmailField(_l("Email address"), filters=[_strip], validators=[
        InputRequired(_l("Please enter your email address.")), no_control_characters,
        Length(max=MAX_EMAIL, message=_too_long()),
        Email(_l("Please enter a valid email address, e.g. name@example.com."),
              check_deliverability=False),
    ])
    family_name = StringField(_l("Family name"), filters=[_strip], validators=[
        DataRequired(_l("Please enter your family name.")), no_control_characters, no_links, Length(max=MAX_NAME, message=_too_long()),
    ])
    given_name = StringField(_l("Given name"), filters=[_strip], validators=[
        DataRequired(_l("Please enter your given name.")), no_control_characters, no_links, Length(max=MAX_NAME, message=_too_long()),
    ])
    organization = StringField(_l("Organization"), filters=[_strip], validators=[
        Optional(), no_control_characters, no_links, Length(max=MAX_ORGANIZATION, message=_too_long()),
    ])
    job_title = StringField(_l("Job title"), filters=[_strip], validators=[
        Optional(), no_control_characters, no_links, Length(max=MAX_ORGANIZATION, message=_too_long()),
    ])
    language = SelectField(
        _l("Language for your mail"), choices=LANGUAGE_CHOICES,
        validate_choice=False,  # checked below with a message in the visitor's language
    )
    privacy_consent = BooleanField(_l("I have read the privacy notice and agree that my data is "
                                      "used to organize this event."),
                                   validators=[DataRequired(_l("Please accept the privacy notice to register."))])
    marketing_consent = BooleanField(_l("Yes, I would like to hear about follow-up events "
                                        "(optional; you can withdraw at any time)."))

    #: A honeypot: hidden from people (``static/site.css``), filled in by many bots. A form that
    #: carries it is answered like a success and stores nothing.
    website = StringField(_l("Leave this field empty"))
    #: The solved proof-of-work challenge (``static/altcha.js``), needed only from a client that
    #: registered several times in a short while (``proof_of_work.py``).
    altcha = HiddenField()

    def is_bot(self) -> bool:
        return bool((self.website.data or "").strip())

    def validate_language(self, field) -> None:
        if field.data not in LANGUAGE_NAMES:
            raise ValidationError(_l("Please choose English, Chinese or German."))

    #: The event's questions, by form field name (``q_<key>``); none on the plain form.
    questions: dict = {}

    def question_fields(self) -> list:
        return [self[name] for name in self.questions]

    def answers(self) -> dict:
        """The answers given, by question key: text, a choice key, or a list of them."""
        result = {}
        for name, question in self.questions.items():
            value = self[name].data
            if question["type"] == "multiple":
                value = [key for key in (value or []) if key]
            if value not in (None, "", []):
                result[question["key"]] = value
        return result

    def registration_data(self) -> RegistrationData:
        """The validated input, as the registration service takes it."""
        return RegistrationData(
            email=self.email.data, family_name=self.family_name.data, given_name=self.given_name.data,
            organization=self.organization.data or "", job_title=self.job_title.data or "",
            language=self.language.data, privacy_consent=bool(self.privacy_consent.data),
            marketing_consent=bool(self.marketing_consent.data), answers=self.answers(),
        )


class _InReadersLanguage(str):
    """A label of the organizer's, in the language of the page it is shown on."""

    def __new__(cls, texts: dict):
        value = super().__new__(cls, translated(texts, "en"))
        value.texts = texts
        return value

    def __str__(self) -> str:
        return translated(self.texts, str(get_locale() or "en"))

    def __html__(self) -> str:
        return str(escape(str(self)))


def _answer_check(question: dict):
    """Required answers are there; choices are among the question's choices."""
    keys = {choice["key"] for choice in question.get("choices", [])} or {"yes", "no"}

    def check(form, field) -> None:
        values = field.data if isinstance(field.data, list) else [field.data]
        values = [value for value in values if value not in (None, "")]
        if not values:
            if question.get("required"):
                raise StopValidation(_l("Please answer this question."))
            field.errors[:] = []
            raise StopValidation()
        if question["type"] != "text" and any(value not in keys for value in values):
            raise StopValidation(_l("Please choose one of the answers offered."))
    if question.get("required"):
        check.field_flags = {"required": True}  # the form marks the field with its star
    return check


def _question_field(question: dict):
    label = _InReadersLanguage(question["label"])
    check = _answer_check(question)
    if question["type"] == "text":
        return StringField(label, filters=[_strip], validators=[
            check, no_control_characters, Length(max=MAX_ORGANIZATION * 2, message=_too_long())])
    if question["type"] == "yes_no":
        return RadioField(label, choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
                          validate_choice=False, validators=[check])
    choices = [SelectChoice(choice["key"], _InReadersLanguage(choice["label"])) for choice in question["choices"]]
    if question["type"] == "choice":
        return RadioField(label, choices=choices, validate_choice=False, validators=[check])
    return SelectMultipleField(label, choices=choices, validate_choice=False, validators=[check],
                               widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


#: The form classes of events, by (event id, time of its last change): a class is built once per
#: version of an event, not once per request.
_EVENT_FORMS: Kept[type[RegistrationForm]] = Kept(256)


def registration_form_for(event, whole: Callable[[], Event] | None = None) -> type[RegistrationForm]:
    """The registration form of ``event``: the fixed fields, then its own questions (``q_<key>``).

    An edited event has a new ``updated_at``, so its questions are read afresh; a kept version is
    not read at all. ``event`` may then be an :class:`~eventsvc.services.events.EventStamp`, with
    ``whole`` loading the event for a version not kept yet.
    """
    if event.id is None:  # not stored yet: nothing names this version
        return _build_registration_form(event.questions)
    key = (event.id, event.updated_at)
    form_class = _EVENT_FORMS.get(key)
    if form_class is None:
        form_class = _build_registration_form((whole() if whole else event).questions)
        _EVENT_FORMS.put(key, form_class)
    return form_class


def _build_registration_form(event_questions) -> type[RegistrationForm]:
    if not event_questions:
        return RegistrationForm
    fields = {f"q_{question['key']}": _question_field(question) for question in event_questions}
    questions = {f"q_{question['key']}": question for question in event_questions}
    return type("EventRegistrationForm", (RegistrationForm,), {**fields, "questions": questions})


def _rating_field(question: dict):
    """A rating from 1 to 5, offered as five radio buttons."""
    check = _answer_check({**question, "choices": [{"key": str(n)} for n in range(1, 6)]})
    return RadioField(_InReadersLanguage(question["label"]), choices=[SelectChoice(str(n), str(n)) for n in range(1, 6)],
                      validate_choice=False, validators=[check])


class FeedbackForm(FlaskForm):
    """The event's feedback questions (fields ``q_<key>``), asked after the event."""

    questions: dict = {}

    def question_fields(self) -> list:
        return [self[name] for name in self.questions]

    answers = RegistrationForm.answers


def feedback_form_for(event) -> type[FeedbackForm]:
    """The feedback form of ``event``: a field ``q_<key>`` per feedback question."""
    fields = {f"q_{question['key']}": (_rating_field(question) if question["type"] == "rating"
                                       else _question_field(question)) for question in event.feedback or []}
    questions = {f"q_{question['key']}": question for question in event.feedback or []}
    return type("EventFeedbackForm", (FeedbackForm,), {**fields, "questions": questions})
