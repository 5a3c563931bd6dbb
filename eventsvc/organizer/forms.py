"""Forms of the organizer pages (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from flask_babel import LazyString, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateTimeLocalField, EmailField, HiddenField, IntegerField,
                     PasswordField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..models.message import AUDIENCES
from ..services.durations import DurationError, parse_reminder_offsets
from ..services.aftercare import MAX_PARAGRAPH
from ..services.messages import MAX_BODY, MAX_SUBJECT
from ..services.event_values import (LANGUAGE_PAIRS, MAX_CAPACITY, MAX_CITY, MAX_NOTES, MAX_SLUG,
                                     MAX_ZONE, SLUG, TEXT_LIMITS, valid_zone)

LOCAL_TIME_FORMAT = "%Y-%m-%dT%H:%M"
#: The mail languages as the organizer reads them ("Chinese + English", "Chinesisch + Englisch").
_LANGUAGE_WORDS = {"en": _l("English"), "zh": _l("Chinese"), "de": _l("German")}


def _pair_label(pair) -> LazyString:
    return LazyString(lambda: " + ".join(str(_LANGUAGE_WORDS[language]) for language in pair))


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=TEXT_LIMITS["venue"])])
    #: A solved proof-of-work challenge (``static/altcha.js``), asked for only after many failed
    #: logins from browsers the account does not know (``login_guard.py``).
    altcha = HiddenField()


def _new_password_rules():
    return [DataRequired(), Length(min=10, max=200, message=_l("Choose at least 10 characters."))]


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(_l("New password"), validators=_new_password_rules(),
                                 description=_l("At least 10 characters."))
    confirm_password = PasswordField(_l("New password again"), validators=[DataRequired(), Length(max=200)])

    def validate_confirm_password(self, field) -> None:
        if field.data != self.new_password.data:
            raise ValidationError(_l("The two new passwords differ."))


class SecondFactorForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("The 6-digit code of your authenticator app, or one of your recovery codes."))


class TotpConfirmForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("The 6-digit code your app shows now."))


class PasswordConfirmForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=200)])


class PasswordResetRequestForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])


class PasswordResetForm(FlaskForm):
    new_password = PasswordField(_l("New password"), validators=_new_password_rules(),
                                 description=_l("At least 10 characters."))
    confirm_password = PasswordField(_l("New password again"), validators=[DataRequired(), Length(max=200)])

    def validate_confirm_password(self, field) -> None:
        if field.data != self.new_password.data:
            raise ValidationError(_l("The two new passwords differ."))


class ActionForm(FlaskForm):
    """An empty form: a button that POSTs with a CSRF token (logout, publish, retry, …)."""


class WebhookForm(FlaskForm):
    """A new webhook endpoint (choices are set by the view)."""

    url = StringField(_l("Endpoint URL"), validators=[DataRequired(), Length(max=2000)])
    event = SelectField(_l("Event"), choices=[], validate_choice=True)
    types = SelectMultipleField(_l("Event types (none chosen: all)"), choices=[], validate_choice=True)


class CheckinForm(FlaskForm):
    code = StringField(_l("Check-in code"), validators=[DataRequired(), Length(max=500)])


class TokenForm(FlaskForm):
    name = StringField(_l("What the token is for"), validators=[DataRequired(), Length(max=100)])
    #: Choices are the events the organizer may see, filled in by the view; "" is all of them.
    event = SelectField(_l("Event"), choices=[], default="")
    days = IntegerField(_l("Valid for (days)"), default=365,
                        validators=[Optional(), NumberRange(min=1, max=5 * 365)])
    #: Choices (read, write, checkin in the reader's words) are filled in by the view.
    scope = SelectField(_l("What the token may do"), choices=[], description=_l(
        "Read: what the API shows of your events. Write: also changing events and cancelling registrations. "
        "Check-in: only the door's routes (check-in list, scans, search), for a scanning device; a check-in "
        "account's tokens always have this one."))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[SelectChoice(role, role) for role in ("admin", "organizer", "checkin")])


class GrantForm(FlaskForm):
    #: Choices are every event's slug, filled in by the view.
    slug = SelectField(_l("Event"), choices=[])


def _zone(form, field) -> None:
    if not valid_zone(field.data or ""):
        raise ValidationError(_l("Not a known time zone; use an IANA name such as Europe/Berlin."))


def _offsets(form, field) -> None:
    try:
        parse_reminder_offsets(field.data or "")
    except DurationError as error:
        raise ValidationError(
            _l("Cannot read “%(part)s”; write e.g. “7 days, 1 day, 3 hours”.", part=str(error))
        ) from error


class EventForm(FlaskForm):
    slug = StringField(_l("Address name (slug)"), validators=[DataRequired(), Length(max=MAX_SLUG)],
                       description=_l("Lower-case letters, digits and hyphens, e.g. berlin-2019."))
    title_en = StringField(_l("Title (English)"), validators=[DataRequired(), Length(max=TEXT_LIMITS["title"])])
    title_zh = StringField(_l("Title (Chinese)"), validators=[Optional(), Length(max=TEXT_LIMITS["title"])])
    title_de = StringField(_l("Title (German)"), validators=[Optional(), Length(max=TEXT_LIMITS["title"])])
    description_en = TextAreaField(_l("Description (English)"), validators=[Optional(), Length(max=TEXT_LIMITS["description"])])
    description_zh = TextAreaField(_l("Description (Chinese)"), validators=[Optional(), Length(max=TEXT_LIMITS["description"])])
    description_de = TextAreaField(_l("Description (German)"), validators=[Optional(), Length(max=TEXT_LIMITS["description"])])
    venue_en = TextAreaField(_l("Venue (English)"), validators=[Optional(), Length(max=TEXT_LIMITS["venue"])])
    venue_zh = TextAreaField(_l("Venue (Chinese)"), validators=[Optional(), Length(max=TEXT_LIMITS["venue"])])
    venue_de = TextAreaField(_l("Venue (German)"), validators=[Optional(), Length(max=TEXT_LIMITS["venue"])])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=MAX_CITY)])
    country = SelectField(_l("Country"), choices=[SelectChoice("DE", _l("Germany")), SelectChoice("CN", _l("China"))])
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), Length(max=MAX_ZONE), _zone],
                           default="Europe/Berlin")
    starts_at = DateTimeLocalField(_l("Starts (local time of the event)"), format=LOCAL_TIME_FORMAT,
                                   validators=[InputRequired()])
    ends_at = DateTimeLocalField(_l("Ends (local time of the event)"), format=LOCAL_TIME_FORMAT,
                                 validators=[InputRequired()])
    capacity = IntegerField(_l("Seats (empty: unlimited)"),
                            validators=[Optional(), NumberRange(min=0, max=MAX_CAPACITY)])
    waitlist_enabled = BooleanField(_l("Waiting list when full"), default=True)
    reminder_offsets = StringField(_l("Reminders before the start"), default="7 days, 1 day",
                                   validators=[Optional(), Length(max=200), _offsets])
    languages = SelectField(_l("Languages of every mail"),
                            choices=[SelectChoice(",".join(pair), _pair_label(pair)) for pair in LANGUAGE_PAIRS])
    registration_opens_at = DateTimeLocalField(_l("Registration opens (empty: now)"),
                                               format=LOCAL_TIME_FORMAT, validators=[Optional()])
    registration_closes_at = DateTimeLocalField(_l("Registration closes (empty: at the start)"),
                                                format=LOCAL_TIME_FORMAT, validators=[Optional()])
    questions = TextAreaField(
        _l("Your own questions on the registration form (YAML)"), validators=[Optional(), Length(max=50_000)],
        description=_l("A list, as in an events file: key, type (text, choice, multiple, yes_no), "
                       "required, label and choices, each label in en, zh and de."))
    feedback = TextAreaField(
        _l("Feedback questions after the event (YAML)"), validators=[Optional(), Length(max=50_000)],
        description=_l("The same shape as the questions above, plus the type rating (1 to 5 stars). Guests "
                       "answer them from their own page once the event has started."))
    notes = TextAreaField(_l("Notes for organizers"), validators=[Optional(), Length(max=MAX_NOTES)])

    def validate_ends_at(self, field) -> None:
        if self.starts_at.data and field.data and field.data < self.starts_at.data:
            raise ValidationError(_l("The end must not be before the start."))

    def validate_slug(self, field) -> None:
        if not SLUG.match(field.data or ""):
            raise ValidationError(_l("Use lower-case letters, digits and single hyphens only."))


class MessageForm(FlaskForm):
    """A message to attendees: subject and text per language of the event's mail, the audience."""

    subject_en = StringField(_l("Subject (English)"), validators=[Optional(), Length(max=MAX_SUBJECT)])
    body_en = TextAreaField(_l("Text (English)"), validators=[Optional(), Length(max=MAX_BODY)],
                            description=_l("Plain text or Markdown: blank lines between paragraphs, links as they are."))
    subject_zh = StringField(_l("Subject (Chinese)"), validators=[Optional(), Length(max=MAX_SUBJECT)])
    body_zh = TextAreaField(_l("Text (Chinese)"), validators=[Optional(), Length(max=MAX_BODY)])
    subject_de = StringField(_l("Subject (German)"), validators=[Optional(), Length(max=MAX_SUBJECT)])
    body_de = TextAreaField(_l("Text (German)"), validators=[Optional(), Length(max=MAX_BODY)])
    audience = SelectField(_l("Who gets it"), choices=[SelectChoice(a, a) for a in AUDIENCES], default="all")
    preview_as = StringField(_l("Preview as"), validators=[Optional(), Length(max=64)])
    draft_token = HiddenField(validators=[DataRequired(), Length(max=64)])
    send = StringField(validators=[Optional(), Length(max=20)])

    def __init__(self, *args, languages=("en",), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.languages = list(languages)


def _at_most():
    return Length(max=MAX_PARAGRAPH, message=_l("Please use at most %(max)d characters."))


class FollowUpForm(FlaskForm):
    """The organizer's paragraph per language for the thank-you and missed-you mails."""

    text_en = TextAreaField(_l("Your paragraph (English)"), validators=[Optional(), _at_most()],
                            description=_l("Optional. Shown in both mails, after the greeting; blank lines "
                                           "between paragraphs."))
    text_zh = TextAreaField(_l("Your paragraph (Chinese)"), validators=[Optional(), _at_most()])
    text_de = TextAreaField(_l("Your paragraph (German)"), validators=[Optional(), _at_most()])
    #: "send" sends after saving; anything else saves and previews.
    action = StringField(validators=[Optional(), Length(max=20)])
