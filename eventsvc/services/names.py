"""How a person's name is written, the one rule for pages, mail, calendar files and exports.

A name written in Chinese (or other East Asian) characters is family name first with no space:
王丽. A name in Latin letters is given name first, in every language's text, Chinese text too:
Anna Schmidt, also inside "尊敬的Anna Schmidt：". Writing "Schmidt Anna" would turn a German
name around that its bearer never turns around. A name that mixes the scripts keeps the family
name first, with a space so that the two parts stay apart.
"""

from __future__ import annotations

import re

#: Han, kana and Hangul: names written in them put the family name first, unspaced.
_EAST_ASIAN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def _clean(part: str | None) -> str:
    """One line, single spaces: a name never breaks a header or a calendar field."""
    return " ".join(str(part or "").split())


def full_name(family_name: str | None, given_name: str | None) -> str:
    """``family_name`` and ``given_name`` in the order their bearer writes them."""
    family, given = _clean(family_name), _clean(given_name)
    if not family or not given:
        return family or given
    family_east, given_east = bool(_EAST_ASIAN.search(family)), bool(_EAST_ASIAN.search(given))
    if family_east and given_east:
        return f"{family}{given}"
    if family_east or given_east:
        return f"{family} {given}"
    return f"{given} {family}"
