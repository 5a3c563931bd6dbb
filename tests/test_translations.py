"""The translation catalogs, as a reader meets them."""

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from eventsvc.i18n import DOMAINS

TRANSLATIONS = Path(__file__).resolve().parent.parent / "eventsvc" / "translations"


def _catalog(language: str, domain: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / f"{domain}.po", "rb") as po:
        return read_po(po)


@pytest.mark.parametrize("language", ["zh", "de"])
def test_every_string_is_translated(language):
    """No page or mail falls back to English in the middle of a Chinese or German text.

    A text counts as translated when any catalog translates it (the catalogs are merged).
    """
    translated, wanted = set(), set()
    for domain in DOMAINS:
        for message in _catalog(language, domain):
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            wanted.add(key)
            strings = [message.string] if isinstance(message.string, str) else list(message.string)
            if all(strings) and not message.fuzzy:
                translated.add(key)
    assert sorted(wanted - translated) == []


@pytest.mark.parametrize("language", ["zh", "de"])
def test_one_english_text_has_one_translation_across_catalogs(language):
    """Flask-Babel merges the catalogs, so the last one would silently win on a page of another part.

    A context (``pgettext``) makes another text: a cancelled registration is "storniert", a
    cancelled event "abgesagt".
    """
    seen: dict[tuple, tuple[str, str]] = {}
    clashes = []
    for domain in DOMAINS:
        for message in _catalog(language, domain):
            if not message.id or not message.string:
                continue
            key = (message.context, message.id if isinstance(message.id, str) else message.id[0])
            text = message.string if isinstance(message.string, str) else message.string[0]
            earlier = seen.setdefault(key, (domain, text))
            if earlier[1] != text:
                clashes.append(f"{key!r}: {earlier} vs {(domain, text)}")
    assert clashes == []


PROJECT_ROOT = TRANSLATIONS.parent.parent
#: The keywords `make translations-extract` passes to pybabel, on top of Babel's defaults.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}


def _extracted(method_map, options_map=None) -> dict[tuple, str]:
    """Every translatable text the code and the templates hold: {(context, text): where}."""
    found = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(PROJECT_ROOT), method_map, options_map or {}, keywords=KEYWORDS):
        found.setdefault((context, message if isinstance(message, str) else message[0]), f"{filename}:{lineno}")
    return found


def _translated_keys(language: str, domain: str) -> set[tuple]:
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in _catalog(language, domain)
            if m.id and not m.fuzzy and all([m.string] if isinstance(m.string, str) else m.string)}


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_text_of_the_code_and_templates_is_in_its_catalog(domain):
    """Extracted as `make translations-extract` does (babel/<domain>.cfg), every text is in the
    domain's zh and de catalogs, translated: a new English text that nobody extracted would
    otherwise show in English on a Chinese page, and the catalog tests above would not notice."""
    from babel.messages.frontend import parse_mapping_cfg

    with open(PROJECT_ROOT / "babel" / f"{domain}.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = _extracted(method_map, options_map)
    assert found, f"nothing extracted for {domain}: is babel/{domain}.cfg right?"
    for language in ("zh", "de"):
        have = _translated_keys(language, domain)
        assert sorted(f"{text!r} ({where})" for (context, text), where in found.items()
                      if (context, text) not in have) == [], language


def test_no_translatable_text_lives_where_no_catalog_looks():
    """Any module or template, mapped by a babel/*.cfg or not: its texts are in some catalog."""
    found = _extracted([("eventsvc/**.py", "python"), ("templates/**.html", "jinja2"),
                        ("templates/**.txt", "jinja2")])
    assert ("Preview for %(name)s" in {text for _, text in found})  # templates are read too
    for language in ("zh", "de"):
        have = set().union(*(_translated_keys(language, domain) for domain in DOMAINS))
        assert sorted(f"{text!r} ({where})" for (context, text), where in found.items()
                      if (context, text) not in have) == [], language


def test_wtforms_messages_follow_the_language_in_force_and_are_read_once(app, monkeypatch):
    from babel import support
    from flask import request
    from flask_babel import force_locale

    from eventsvc import i18n

    i18n.wtforms_catalog.cache_clear()
    loads = []
    real_load = support.Translations.load
    monkeypatch.setattr(support.Translations, "load",
                        lambda *args, **kwargs: loads.append(args) or real_load(*args, **kwargs))
    for _ in range(2):
        with app.test_request_context("/?lang=de"):
            assert request.wtforms_translations.gettext("Not a valid choice.") == "Keine gültige Auswahl."
            with force_locale("zh"):
                assert request.wtforms_translations.gettext("Not a valid choice.") == "不是有效的选择。"
    assert len(loads) == 2  # German and Chinese, each once
