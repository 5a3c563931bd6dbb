"""Reminder offsets: how long before an event a reminder goes out.

One parser for every place that reads them (the events file, the organizer form, the reminder
run). An offset is stored as an ISO 8601 duration of days, hours and minutes (``P7D``,
``PT3H``, ``P1DT12H``); weeks are read (``P2W``) and stored as days (``P14D``). The form also
takes words: "7 days, 1 day, 3 hours" (English units, as the form shows them).
"""

from __future__ import annotations

import re
from datetime import timedelta

#: An ISO 8601 duration of weeks, days, hours and minutes.
_ISO = re.compile(r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?)?$")
#: "7 days", "3 h", "90 minutes", "1 day 2 hours": an amount and a unit, one or more times.
_WORDS = re.compile(r"^(?:\s*\d{1,4}\s*[a-z]+)+\s*$")
_WORD = re.compile(r"(\d{1,4})\s*([a-z]+)")
_UNITS = {
    "w": "weeks", "week": "weeks", "weeks": "weeks",
    "d": "days", "day": "days", "days": "days",
    "h": "hours", "hour": "hours", "hours": "hours",
    "m": "minutes", "min": "minutes", "minute": "minutes", "minutes": "minutes",
}
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
    parts = re.split(r"[,;]", values) if isinstance(values, str) else values
    offsets: dict[str, timedelta] = {}
    for part in parts:
        if not isinstance(part, str):
            raise DurationError(repr(part))
        if not part.strip():
            continue
        delta = parse_duration(part)
        offsets[iso_duration(delta)] = delta
    return sorted(offsets, key=offsets.get, reverse=True)


def describe_duration(iso: str) -> str:
    """``P7D`` -> "7 days", for the form's text field (English units, which the parser reads)."""
    try:
        delta = parse_duration(iso)
    except DurationError:
        return iso
    days, rest = delta.days, delta.seconds // 60
    words = []
    for amount, unit in ((days, "day"), (rest // 60, "hour"), (rest % 60, "minute")):
        if amount:
            words.append(f"{amount} {unit}{'' if amount == 1 else 's'}")
    return " ".join(words)
