"""Which language a visitor reads (``?lang=``, then the cookie, then the browser), and the
template helpers that write dates, zones and cities the reader's way.

Everything here is app-wide and registered by :func:`init_app` from ``create_app``.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from babel import support
from flask import Flask, Request, current_app, g, has_request_context, request
from flask_babel import get_locale, refresh
from flask_babel import lazy_gettext as _l

from .models import Event
from .services.local_time import format_moment, format_when, other_side_zone, zone_label
from .services.names import full_name
from .services.organization import organization
from .services.reports import edition_name

LANGUAGE_COOKIE = "lang"
#: Babel catalog domains, one per part of the service, each in ``translations/<lang>/LC_MESSAGES``.
DOMAINS = ("messages", "public", "mail", "organizer")
LANGUAGE_NAMES = {"en": "English", "zh": "中文", "de": "Deutsch"}

#: City names as the visitor writes them; the model keeps the English name.
CITY_NAMES = {
    "Hamburg": _l("Hamburg"), "Berlin": _l("Berlin"), "Munich": _l("Munich"),
    "Shanghai": _l("Shanghai"), "Beijing": _l("Beijing"),
}


def select_locale() -> str:
    """Flask-Babel's locale selector; outside a request the default (English)."""
    if not request:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang")
    if chosen in languages:
        g.chosen_language = chosen
        return chosen
    remembered = request.cookies.get(LANGUAGE_COOKIE)
    if remembered in languages:
        return remembered
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def choose_language_afresh() -> None:
    """Pick the language per request.

    Flask-Babel caches the locale on the app context, and a request reuses an app context that
    is already pushed (tests, scripts), so without this one request's language leaks into the next.
    """
    g.pop("chosen_language", None)
    refresh()


def remember_language(response):
    """Keep a language picked with ``?lang=`` for the next visits."""
    chosen = g.get("chosen_language")
    if chosen and request.cookies.get(LANGUAGE_COOKIE) != chosen:
        response.set_cookie(
            LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def this_path() -> str:
    """The path of this page, safe to put in a link on it (the language switcher).

    A path such as ``/\\evil.example/x`` (a 404) would be read by a browser as
    ``//evil.example/x``, another site: backslashes and control characters are percent-encoded
    and leading slashes collapse to one.
    """
    path = quote(request.path, safe="/:@!$&'()*+,;=-._~")
    return "/" + path.lstrip("/")


def language_context() -> dict:
    """``current_language``, the switcher's languages and this page's path, for every template."""
    return {"current_language": str(get_locale() or "en"), "language_names": LANGUAGE_NAMES,
            "this_path": this_path() if has_request_context() else "/"}


def city_name(city: str) -> str:
    return str(CITY_NAMES.get(city, city))


def event_when(event: Event) -> str:
    """Date and time of an event in its own zone, written the visitor's way (as in the mail)."""
    return format_when(event.starts_at, event.ends_at, event.timezone)


def other_side_when(event: Event) -> tuple[str, str] | None:
    """``(zone label, time)`` in the visitor's home zone when the event is on the other side."""
    locale = str(get_locale() or "en")
    zone = other_side_zone(locale, event.country)
    if zone is None:
        return None
    return zone_label(zone), format_when(event.starts_at, event.ends_at, zone, with_zone=False)


@lru_cache(maxsize=None)
def wtforms_catalog(language: str) -> support.Translations:
    """WTForms' own messages in ``language``, read from disk once per process."""
    from wtforms.i18n import messages_path  # a page's form: a worker never imports WTForms

    return support.Translations.load(messages_path(), [language], domain="wtforms")


class CatalogRequest(Request):
    """Flask's request, with WTForms' messages kept per process rather than read per request.

    Flask-WTF looks for the catalog on ``request.wtforms_translations`` and, finding none, reads
    it from disk and stores it there, once per request with a form. Here the attribute answers the
    kept catalog of the language in force at that moment (a page in the registrant's language
    under ``force_locale`` included); what Flask-WTF stores is not needed.
    """

    @property
    def wtforms_translations(self) -> support.Translations:
        return wtforms_catalog(str(get_locale() or "en"))

    @wtforms_translations.setter
    def wtforms_translations(self, _catalog) -> None:
        pass


def init_app(app: Flask) -> None:
    app.request_class = CatalogRequest
    app.before_request(choose_language_afresh)
    app.after_request(remember_language)
    app.context_processor(language_context)
    app.add_template_filter(city_name, "city_name")
    app.add_template_filter(event_when, "event_when")
    app.add_template_filter(other_side_when, "other_side_when")
    app.add_template_global(full_name, "full_name")
    app.add_template_global(format_moment, "format_moment")
    app.add_template_global(organization, "organization")
    app.add_template_global(edition_name, "edition_name")
