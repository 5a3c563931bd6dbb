"""Finding a guest at the door by what a volunteer hears: "Wang Li", "Mueller", "Siemens".

Each registration gets *search keys*: its name in both orders, the organization and the e-mail
address, each in the *search form* (lower case, no accents, no spaces or punctuation), and for
Chinese characters also in toneless pinyin, for German umlauts also with ``ae oe ue``. A query
matches when its search form is a substring of a key. The door app does the same on the device
with the keys of the check-in list (docs/architecture.md, "The door"), so the rule lives in one
place per side and the keys are made here only.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import product

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "ae", "Ö": "oe", "Ü": "ue"})
#: A family name of Chinese characters with several readings (曾 zeng/ceng) gives at most this
#: many pinyin spellings.
_MAX_READINGS = 4


def search_form(text: str | None) -> str:
    """``"Wang Li"`` → ``wangli``, ``"Müller"`` → ``muller``: what queries and keys are compared in."""
    text = (text or "").lower().replace("ß", "ss")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _NOT_LETTER_OR_DIGIT.sub("", text)


def _spellings(text: str, all_readings: bool = False) -> list[str]:
    """Spellings of ``text`` in search form: as written, with umlauts as ``ae oe ue``, and in
    toneless pinyin for Chinese characters (with ``all_readings``, the other readings too)."""
    text = text or ""
    forms = [search_form(text), search_form(text.translate(_UMLAUTS))]
    if _HAN.search(text):
        # pypinyin's dictionaries weigh 55 MB: loaded by the first Chinese name, not by every process
        from pypinyin import Style, lazy_pinyin, pinyin

        forms.append(search_form("".join(lazy_pinyin(text))))
        if all_readings:
            readings = [syllables[:_MAX_READINGS] for syllables in pinyin(text, style=Style.NORMAL, heteronym=True)]
            forms += [search_form("".join(combo)) for combo in list(product(*readings))[:_MAX_READINGS]]
    return list(dict.fromkeys(form for form in forms if form))


@lru_cache(maxsize=50_000)
def search_keys(family_name: str, given_name: str, organization: str, email: str) -> str:
    """The keys of one registration, space-separated (cached: the door asks for them often)."""
    keys: dict[str, None] = {}  # an ordered set: the same keys in the same order every time
    family, given = family_name or "", given_name or ""
    # The name as written and as umlauts are typed, in both orders ...
    pairs = list(product(_spellings(family)[:2] or [""], _spellings(given)[:2] or [""]))
    # ... and in pinyin: each reading of the family name with the given name's.
    if _HAN.search(family + given):
        from pypinyin import lazy_pinyin  # see _spellings

        family_readings = _spellings(family, all_readings=True)[1:] if _HAN.search(family) else [search_form(family)]
        given_reading = search_form("".join(lazy_pinyin(given)))
        pairs += [(reading, given_reading) for reading in family_readings]
    for first, second in pairs:
        keys[first + second] = None
        keys[second + first] = None
    for key in _spellings(organization):
        keys[key] = None
    if email:
        keys[search_form(email)] = None
    keys.pop("", None)
    return " ".join(keys)


def matches(query_form: str, keys: str) -> bool:
    """Whether a query (already in search form) is found in the keys."""
    return bool(query_form) and query_form in keys


def rank(query_form: str, keys: str) -> int:
    """0 when a key starts with the query (a name typed from its start), else 1."""
    return 0 if any(key.startswith(query_form) for key in keys.split(" ")) else 1
