"""Reminder offsets: how long before an event a reminder goes out.

One parser for every place that reads them (the events file, the organizer form, the reminder
run). An offset is stored as an ISO 8601 duration of days, hours and minutes (``P7D``,
``PT3H``, ``P1DT12H``); weeks are read (``P2W``) and stored as days (``P14D``). The form also
takes words, in the units of any of the service's languages, as the form shows them to the
organizer: "7 days, 1 day, 3 hours", "7 Tage, 1 Tag, 3 Stunden", "7天、1天、3小时". The unit words
are tables here rather than catalog entries because the parser must know every one of them.
"""

from __future__ import annotations

import re
from datetime import timedelta

#: An ISO 8601 duration of weeks, days, hours and minutes.
_ISO = re.compile(r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?)?$")
#: "7 days", "3 h", "90 Minuten", "1天12小时": an amount and a unit, one or more times.
_WORDS = re.compile(r"^(?:\s*\d{1,4}\s*[^\W\d_]+)+\s*$")
_WORD = re.compile(r"(\d{1,4})\s*([^\W\d_]+)")
_UNITS = {
    "w": "weeks", "week": "weeks", "weeks": "weeks",
    "d": "days", "day": "days", "days": "days",
    "h": "hours", "hour": "hours", "hours": "hours",
    "m": "minutes", "min": "minutes", "minute": "minutes", "minutes": "minutes",
    # German
    "woche": "weeks", "wochen": "weeks", "tag": "days", "tage": "days", "tagen": "days",
    "std": "hours", "stunde": "hours", "stunden": "hours", "minuten": "minutes",
    # Chinese
    "周": "weeks", "星期": "weeks", "天": "days", "日": "days", "小时": "hours", "个小时": "hours",
    "分钟": "minutes", "分": "minutes",
}
#: How the form writes a unit: (one, several) per language.
_UNIT_WORDS = {
    "en": {"days": (" day", " days"), "hours": (" hour", " hours"), "minutes": (" minute", " minutes")},
    "de": {"days": (" Tag", " Tage"), "hours": (" Stunde", " Stunden"), "minutes": (" Minute", " Minuten")},
    "zh": {"days": ("天", "天"), "hours": ("小时", "小时"), "minutes": ("分钟", "分钟")},
}
#: What separates two offsets in the form: the enumeration comma in Chinese.
_SEPARATORS = {"zh": "、"}
#: The longest offset accepted: a reminder more than a year ahead is a typo.
LONGEST = timedelta(days=365)


class DurationError(ValueError):
    """The text is not an offset this service reads; the message is the part at fault."""


def parse_duration(text: str) -> timedelta:
    """``"P2W"``, ``"PT3H"`` or ``"7 days"`` as a positive timedelta of at most a year."""
    text = (text or "").strip()
    iso = _ISO.match(text.upper())
    if iso and text.upper() not in ("P", "PT") and any(iso.groups()):
        parts = {unit: int(amount) for unit, amount in iso.groupdict().items() if amount}
    else:
        if not _WORDS.match(text.lower()):
            raise DurationError(text)
        parts: dict[str, int] = {}
        for amount, unit in _WORD.findall(text.lower()):
            if unit not in _UNITS:
                raise DurationError(text)
            parts[_UNITS[unit]] = parts.get(_UNITS[unit], 0) + int(amount)
    delta = timedelta(**parts)
    if delta <= timedelta(0) or delta > LONGEST:
        raise DurationError(text)
    return delta


def iso_duration(delta: timedelta) -> str:
    """A positive timedelta as the stored ISO 8601 form of days, hours and minutes (``P1DT2H``)."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    time_part = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return "P" + (f"{days}D" if days else "") + (f"T{time_part}" if time_part else "")


def parse_reminder_offsets(values: str | list) -> list[str]:
    """Offsets as a list or as text separated by commas or semicolons, stored form, longest first.

    ``"1 day, 7 days"`` -> ``["P7D", "P1D"]``; ``["P2W"]`` -> ``["P14D"]``. Duplicates are
    dropped. Raises :class:`DurationError` naming the first part it cannot read.
    """
    parts = re.split(r"[,;，；、]", values) if isinstance(values, str) else values
    offsets: dict[str, timedelta] = {}
    for part in parts:
        if not isinstance(part, str):
            raise DurationError(repr(part))
        if not part.strip():
            continue
        delta = parse_duration(part)
        offsets[iso_duration(delta)] = delta
    return sorted(offsets, key=offsets.get, reverse=True)


def describe_duration(iso: str, language: str = "en") -> str:
    """``P7D`` -> "7 days", "7 Tage", "7天", for the form's text field (the parser reads it back)."""
    try:
        delta = parse_duration(iso)
    except DurationError:
        return iso
    units = _UNIT_WORDS.get(language, _UNIT_WORDS["en"])
    days, rest = delta.days, delta.seconds // 60
    words = []
    for amount, unit in ((days, "days"), (rest // 60, "hours"), (rest % 60, "minutes")):
        if amount:
            one, several = units[unit]
            words.append(f"{amount}{one if amount == 1 else several}")
    return ("" if language == "zh" else " ").join(words)


def describe_offsets(offsets: list[str], language: str = "en") -> str:
    """Stored offsets as the form shows them: "7 Tage, 1 Tag", "7天、1天"."""
    return _SEPARATORS.get(language, ", ").join(describe_duration(o, language) for o in offsets)
