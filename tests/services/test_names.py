"""One way to write a person's name, in the reader's order, wherever a name is shown."""

from __future__ import annotations

import pytest

from eventsvc.services.names import full_name


@pytest.mark.parametrize("family, given, shown", [
    ("王", "丽", "王丽"),                        # Chinese: family name first, no space
    ("欧阳", "娜娜", "欧阳娜娜"),                  # two-character family name
    ("Schmidt", "Anna", "Anna Schmidt"),        # German: given name first
    ("Müller-Lüdenscheidt", "Jan Peter", "Jan Peter Müller-Lüdenscheidt"),
    ("Wang", "Li", "Li Wang"),                  # a Chinese name in Latin letters reads as written in Latin text
    ("王", "Lisa", "王 Lisa"),                   # mixed scripts: family first, a space between
    ("Schmidt", "安娜", "Schmidt 安娜"),
    ("山田", "太郎", "山田太郎"),                  # Japanese, kanji
    ("王", "", "王"),                            # single name
    ("", "Madonna", "Madonna"),
    ("  Schmidt ", " Anna\r\n", "Anna Schmidt"),  # stray whitespace and line breaks
])
def test_a_name_is_written_in_its_own_order(family, given, shown):
    assert full_name(family, given) == shown


def test_the_order_does_not_depend_on_the_readers_language():
    """A Latin name keeps given name first inside Chinese text too: no "Schmidt Anna"."""
    assert full_name("Schmidt", "Anna") == "Anna Schmidt"
