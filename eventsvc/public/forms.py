"""Forms of the registrant's own pages (the registration form is :mod:`eventsvc.forms`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from ..forms import LANGUAGE_CHOICES


class LanguageForm(FlaskForm):
    """The registrant's choice of language for their page and future mail."""

    language = SelectField(_l("Language for your mail"), choices=LANGUAGE_CHOICES)


class ConfirmForm(FlaskForm):
    """A button with a CSRF token: cancel, leave the waiting list."""
