"""The translation catalogs, as a reader meets them."""

from pathlib import Path

import pytest
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
