"""Dates, times and zones written the way each reader writes them."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask_babel import force_locale

from eventsvc.services import local_time
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


# --- the three languages' calendar words, without CLDR's data in the process ----------------------

EVERY_DAY = [datetime(2019, 1, 1, 12, tzinfo=timezone.utc) + timedelta(days=n) for n in range(14 * 366)]
EVERY_MINUTE = [datetime(2030, 3, 14, tzinfo=timezone.utc) + timedelta(minutes=n) for n in range(24 * 60)]


@pytest.mark.parametrize("language", ["en", "zh", "de"])
@pytest.mark.parametrize("width", ["full", "long", "medium"])
def test_every_day_of_fourteen_years_is_written_as_babel_writes_it(language, width):
    from babel.dates import format_date as babels

    assert [local_time.date_text(day, width, language) for day in EVERY_DAY] == \
        [babels(day, width, locale=language) for day in EVERY_DAY]


@pytest.mark.parametrize("language", ["en", "zh", "de"])
def test_every_minute_of_a_day_is_written_as_babel_writes_it(language):
    from babel.dates import format_time as babels

    assert [local_time.time_text(moment, language) for moment in EVERY_MINUTE] == \
        [babels(moment, "short", locale=language) for moment in EVERY_MINUTE]


def test_another_language_is_left_to_babel(app):
    assert local_time.date_text(HAMBURG_START, "full", "fr") == "jeudi 14 mars 2030"
    assert local_time.time_text(HAMBURG_START, "fr") == "17:00"


WRITE_DATES_IN_A_FRESH_PROCESS = """
import json, sys
from datetime import datetime, timezone
import babel.core, babel.localedata
from flask_babel import force_locale
from eventsvc import create_app
from eventsvc.services.local_time import format_day, format_moment, format_when

app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                  "CELERY": {"broker_url": "memory://", "task_ignore_result": True}})
start, end = datetime(2030, 3, 14, 17, tzinfo=timezone.utc), datetime(2030, 3, 14, 20, tzinfo=timezone.utc)
texts = []
with app.app_context():
    for language in ("en", "zh", "de"):
        with force_locale(language):
            texts += [format_when(start, end, "Europe/Berlin"), format_moment(start, "Asia/Shanghai"),
                      format_day(start, "Europe/Berlin")]
print(json.dumps({"texts": texts, "locales_loaded": sorted(babel.localedata._cache),
                  "global_data_loaded": babel.core._global_data is not None}))
"""


def test_writing_dates_in_our_languages_loads_none_of_cldrs_data():
    """Babel's data for one language is 1 to 1.5 MB in memory, its global data 2.6 MB: in each web
    worker and each mail worker process (docs/benchmarks.md, "bench memory")."""
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", WRITE_DATES_IN_A_FRESH_PROCESS], cwd=root,
                            capture_output=True, text=True, timeout=60, check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["texts"][0] == "Thursday, March 14, 2030, 6:00\u202fPM–9:00\u202fPM (German time)"
    assert report["texts"][3] == "2030年3月14日星期四 18:00–21:00（德国时间）"
    assert report["texts"][8] == "14. März 2030"
    assert report["locales_loaded"] == []
    assert report["global_data_loaded"] is False
