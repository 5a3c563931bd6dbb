"""Dates, times and zones written the way each reader writes them."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from flask_babel import force_locale

from eventsvc.services.local_time import format_moment, format_when, zone_name

HAMBURG_START = datetime(2030, 3, 14, 17, 0, tzinfo=timezone.utc)
HAMBURG_END = datetime(2030, 3, 14, 20, 0, tzinfo=timezone.utc)
SHANGHAI_START = datetime(2030, 5, 20, 6, 0, tzinfo=timezone.utc)
SHANGHAI_END = datetime(2030, 5, 20, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("zone, language, name", [
    ("Asia/Shanghai", "zh", "北京时间"),
    ("Europe/Berlin", "zh", "德国时间"),
    ("Europe/Berlin", "de", "deutsche Zeit"),
    ("Asia/Shanghai", "de", "chinesische Zeit"),
    ("Asia/Shanghai", "en", "China time"),
    ("Europe/Berlin", "en", "German time"),
])
def test_zones_are_called_what_readers_call_them(app, zone, language, name):
    with force_locale(language):
        assert zone_name(zone) == name


@pytest.mark.parametrize("start, end, zone, language, written", [
    (SHANGHAI_START, SHANGHAI_END, "Asia/Shanghai", "zh", "2030年5月20日星期一 14:00–17:00（北京时间）"),
    (HAMBURG_START, HAMBURG_END, "Europe/Berlin", "zh", "2030年3月14日星期四 18:00–21:00（德国时间）"),
    (HAMBURG_START, HAMBURG_END, "Europe/Berlin", "de", "Donnerstag, 14. März 2030, 18:00–21:00 Uhr (deutsche Zeit)"),
    (SHANGHAI_START, SHANGHAI_END, "Asia/Shanghai", "de",
     "Montag, 20. Mai 2030, 14:00–17:00 Uhr (chinesische Zeit)"),
    (HAMBURG_START, HAMBURG_END, "Europe/Berlin", "en", "Thursday, March 14, 2030, 6:00\u202fPM–9:00\u202fPM (German time)"),
    (HAMBURG_START, datetime(2030, 3, 15, 11, 0, tzinfo=timezone.utc), "Europe/Berlin", "zh",
     "2030年3月14日星期四 18:00至2030年3月15日星期五 12:00（德国时间）"),
])
def test_an_events_time_reads_as_a_native_writes_it(app, start, end, zone, language, written):
    with force_locale(language):
        assert format_when(start, end, zone) == written


def test_the_zone_can_be_left_to_a_label_that_names_it(app):
    with force_locale("zh"):
        assert format_when(HAMBURG_START, HAMBURG_END, "Asia/Shanghai", with_zone=False) == \
            "2030年3月15日星期五 01:00–04:00"


@pytest.mark.parametrize("language, written", [
    ("en", "Mar 14, 2030, 6:00\u202fPM (German time)"),
    ("de", "14.03.2030, 18:00 (deutsche Zeit)"),
    ("zh", "2030年3月14日 18:00（德国时间）"),
])
def test_a_moment_in_the_organizer_area_has_no_seconds_and_names_its_zone(app, language, written):
    with force_locale(language):
        assert format_moment(HAMBURG_START, "Europe/Berlin") == written
        assert ":00:00" not in format_moment(HAMBURG_START, "Europe/Berlin")
