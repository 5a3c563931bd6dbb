"""Which language a visitor reads: ``?lang=``, then the cookie, then the browser."""

from __future__ import annotations

from flask import Flask, current_app, g, request

LANGUAGE_COOKIE = "lang"
#: Babel catalog domains, one per part of the service, each in ``translations/<lang>/LC_MESSAGES``.
DOMAINS = ("messages", "public", "mail", "organizer")
LANGUAGE_NAMES = {"en": "English", "zh": "中文", "de": "Deutsch"}


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


def remember_language(response):
    """Keep a language picked with ``?lang=`` for the next visits."""
    chosen = g.get("chosen_language")
    if chosen and request.cookies.get(LANGUAGE_COOKIE) != chosen:
        response.set_cookie(
            LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def init_app(app: Flask) -> None:
    app.after_request(remember_language)
