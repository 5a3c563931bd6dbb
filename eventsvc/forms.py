"""The registration form, shared by the public page and the JSON API (which turns CSRF off),
and the limit on registration attempts that both apply."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (DataRequired, Email, InputRequired, Length, Optional,
                                StopValidation, ValidationError)

from .i18n import LANGUAGE_NAMES
from .services.registration import RegistrationData

#: Registration attempts per client address, on the form and the API alike. Generous: a whole
#: office may register from behind one address.
REGISTRATION_LIMIT = "60 per minute"

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
        DataRequired(_l("Please enter your family name.")), no_control_characters, Length(max=MAX_NAME, message=_too_long()),
    ])
    given_name = StringField(_l("Given name"), filters=[_strip], validators=[
        DataRequired(_l("Please enter your given name.")), no_control_characters, Length(max=MAX_NAME, message=_too_long()),
    ])
    organization = StringField(_l("Organization"), filters=[_strip], validators=[
        Optional(), no_control_characters, Length(max=MAX_ORGANIZATION, message=_too_long()),
    ])
    job_title = StringField(_l("Job title"), filters=[_strip], validators=[
        Optional(), no_control_characters, Length(max=MAX_ORGANIZATION, message=_too_long()),
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

    def validate_language(self, field) -> None:
        if field.data not in LANGUAGE_NAMES:
            raise ValidationError(_l("Please choose English, Chinese or German."))

    def registration_data(self) -> RegistrationData:
        """The validated input, as the registration service takes it."""
        return RegistrationData(
            email=self.email.data, family_name=self.family_name.data, given_name=self.given_name.data,
            organization=self.organization.data or "", job_title=self.job_title.data or "",
            language=self.language.data, privacy_consent=bool(self.privacy_consent.data),
            marketing_consent=bool(self.marketing_consent.data),
        )
