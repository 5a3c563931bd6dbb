"""Dates, times and zones written the way the reader writes them: the one place for pages,
mail and the organizer area.

Readers name a zone after a country, not after a city or a standard: a Chinese reader says
北京时间 for every event in China's zone, a German reader "deutsche Zeit" (Babel's own names
would give 中国（上海）时间 and "Deutschland (Berlin) (Ortszeit)"). Chinese text takes
full-width brackets and no comma between date and time; German adds "Uhr" to a time span.
Every function writes in the language of the current Babel locale (``force_locale`` in a mail).

Days and times in our three languages come from :data:`CALENDAR_WORDS`, CLDR's patterns and
names as Babel writes them; Babel itself would load the language's whole CLDR data and its
global data, 4 to 6 MB, into every web and mail worker process for those few words.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask_babel import get_locale, lazy_gettext as _l

#: CLDR's date patterns (the widths we write) and its short time pattern, with the names they
#: use, for our three languages: exactly what Babel writes (tests/services/test_local_time.py
#: compares every day of fourteen years and every minute of a day with Babel, so a Babel whose
#: CLDR writes otherwise fails there). Fields: ``{weekday}``, ``{month}``, ``{mon}`` (the
#: abbreviated month), ``{d}`` and ``{dd}``, ``{M}`` and ``{MM}`` (the second of each with two
#: digits), ``{y}``; for the time ``{h}`` (12-hour), ``{HH}``, ``{mm}``, ``{period}``.
CALENDAR_WORDS = {
    "en": {
        "days": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        "months": ("January", "February", "March", "April", "May", "June", "July", "August",
                   "September", "October", "November", "December"),
        "short months": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        "periods": ("AM", "PM"),
        "full": "{weekday}, {month} {d}, {y}", "long": "{month} {d}, {y}", "medium": "{mon} {d}, {y}",
        "time": "{h}:{mm}\u202f{period}",
    },
    "zh": {
        "days": ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"),
        "full": "{y}年{M}月{d}日{weekday}", "long": "{y}年{M}月{d}日", "medium": "{y}年{M}月{d}日",
        "time": "{HH}:{mm}",
    },
    "de": {
        "days": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
        "months": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
                   "Oktober", "November", "Dezember"),
        "full": "{weekday}, {d}. {month} {y}", "long": "{d}. {month} {y}", "medium": "{dd}.{MM}.{y}",
        "time": "{HH}:{mm}",
    },
}


def date_text(value: date, width: str, language: str) -> str:
    """``value`` (a date, or a datetime already in its zone) as CLDR's ``width`` ("full",
    "long", "medium") writes it in ``language``; Babel's own for a language not ours."""
    words = CALENDAR_WORDS.get(language)
    if words is None:
        from babel.dates import format_date

        return format_date(value, width, locale=language)
    months = words.get("months", ())
    return words[width].format(
        weekday=words["days"][value.weekday()], month=months[value.month - 1] if months else "",
        mon=words["short months"][value.month - 1] if "short months" in words else "",
        d=value.day, dd=f"{value.day:02}", M=value.month, MM=f"{value.month:02}", y=value.year)


def time_text(value: datetime, language: str) -> str:
    """The hour and minute of ``value`` (already in its zone) in CLDR's short time pattern."""
    words = CALENDAR_WORDS.get(language)
    if words is None:
        from babel.dates import format_time

        return format_time(value, "short", locale=language)
    return words["time"].format(h=value.hour % 12 or 12, HH=f"{value.hour:02}", mm=f"{value.minute:02}",
                                period=words.get("periods", ("", ""))[value.hour >= 12])

#: What readers call the zones of the report's events; any other zone gets Babel's name.
ZONE_NAMES = {
    "Asia/Shanghai": _l("China time"), "Asia/Chongqing": _l("China time"),
    "Asia/Harbin": _l("China time"), "Asia/Urumqi": _l("China time"),
    "Europe/Berlin": _l("German time"),
}


#: The zone a reader from the other side of the report thinks in: Beijing time for Chinese
#: readers of a German event, German time for German readers of a Chinese event.
OTHER_SIDE_ZONES = {("zh", "DE"): "Asia/Shanghai", ("de", "CN"): "Europe/Berlin"}


def other_side_zone(language: str, country: str) -> str | None:
    """The reader's home zone when it differs from the event's country, else ``None``."""
    return OTHER_SIDE_ZONES.get((language, country))


def _language() -> str:
    locale = get_locale()
    return locale.language if locale else "en"


def zone_name(zone: str) -> str:
    """``北京时间``, ``deutsche Zeit``, ``German time``: the zone as the reader names it."""
    if zone in ZONE_NAMES:
        return str(ZONE_NAMES[zone])
    if zone == "UTC":
        return "UTC"
    from babel.dates import get_timezone_location  # a zone we have no name for: CLDR's

    return get_timezone_location(ZoneInfo(zone), locale=_language())


def zone_label(zone: str) -> str:
    """The zone's name as the head of a line ("Deutsche Zeit: …")."""
    name = zone_name(zone)
    return name[:1].upper() + name[1:]


def _with_zone(text: str, zone: str, language: str) -> str:
    if language == "zh":
        return f"{text}（{zone_name(zone)}）"
    return f"{text} ({zone_name(zone)})"


def format_when(start: datetime, end: datetime, zone: str, with_zone: bool = True) -> str:
    """An event's time span in ``zone``: ``2030年5月20日星期一 14:00–17:00（北京时间）``,
    ``Montag, 20. Mai 2030, 14:00–17:00 Uhr (chinesische Zeit)``.

    ``with_zone=False`` leaves the zone to a label before the text ("北京时间：…").
    """
    return _format_when(start, end, zone, with_zone, _language())


@lru_cache(maxsize=1024)
def _format_when(start: datetime, end: datetime, zone: str, with_zone: bool, language: str) -> str:
    """Cached: a batch of mail about one event writes the same times hundreds of times."""
    tz = ZoneInfo(zone)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    start_day = date_text(local_start, "full", language)
    start_time = time_text(local_start, language)
    end_time = time_text(local_end, language)
    same_day = local_end.date() == local_start.date()
    if language == "zh":
        if same_day:
            text = f"{start_day} {start_time}–{end_time}"
        else:
            text = f"{start_day} {start_time}至{date_text(local_end, 'full', language)} {end_time}"
    elif language == "de":
        if same_day:
            text = f"{start_day}, {start_time}–{end_time} Uhr"
        else:
            text = f"{start_day}, {start_time} Uhr – {date_text(local_end, 'full', language)}, {end_time} Uhr"
    else:
        if same_day:
            text = f"{start_day}, {start_time}–{end_time}"
        else:
            text = f"{start_day}, {start_time} – {date_text(local_end, 'full', language)}, {end_time}"
    return _with_zone(text, zone, language) if with_zone else text


def format_moment(value: datetime | None, zone: str, with_zone: bool = True) -> str:
    """A point in time for the organizer area: short date, minutes, the zone.

    ``14.03.2030, 18:00 (deutsche Zeit)``, ``2030年3月14日 18:00（德国时间）``; empty for None.
    """
    if value is None:
        return ""
    language = _language()
    local = value.astimezone(ZoneInfo(zone))
    day = date_text(local, "medium", language)
    time = time_text(local, language)
    text = f"{day} {time}" if language == "zh" else f"{day}, {time}"
    return _with_zone(text, zone, language) if with_zone else text


def format_day(value: datetime, zone: str) -> str:
    """A day in ``zone``, written the reader's way: ``2030年3月28日``, ``28. März 2030``."""
    return date_text(value.astimezone(ZoneInfo(zone)), "long", _language())
