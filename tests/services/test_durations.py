"""Reminder offsets: one parser for the events file, the organizer form and the reminder run."""

from datetime import timedelta

import pytest

from eventsvc.services.durations import (DurationError, describe_duration, describe_offsets, parse_duration,
                                         parse_reminder_offsets)


@pytest.mark.parametrize("text, expected", [
    ("P7D", timedelta(days=7)),
    ("PT3H", timedelta(hours=3)),
    ("P1DT12H", timedelta(days=1, hours=12)),
    ("P2W", timedelta(weeks=2)),
    ("p1d", timedelta(days=1)),
    ("7 days", timedelta(days=7)),
    ("90 minutes", timedelta(minutes=90)),
    ("2 weeks", timedelta(weeks=2)),
])
def test_durations_are_read_in_iso_and_in_words(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "P0D", "seven days", "7 fortnights", "P400D", "-1 day", "P1Y"])
def test_what_is_no_offset_is_refused_naming_the_part(text):
    with pytest.raises(DurationError) as error:
        parse_duration(text)
    assert str(error.value) == text.strip()


def test_offsets_are_stored_in_one_form_longest_first():
    assert parse_reminder_offsets(["P2W", "P1D"]) == ["P14D", "P1D"]
    assert parse_reminder_offsets("1 day, 7 days; 1 week") == ["P7D", "P1D"]
    assert parse_reminder_offsets("") == []


def test_a_stored_offset_is_shown_in_words_the_parser_reads_back():
    for stored in ("P7D", "PT3H", "P1DT2H30M", "P14D"):
        assert parse_reminder_offsets(describe_duration(stored)) == [stored]
    assert describe_duration("P1D") == "1 day"


@pytest.mark.parametrize("language, shown", [
    ("en", "7 days, 1 day, 3 hours"),
    ("de", "7 Tage, 1 Tag, 3 Stunden"),
    ("zh", "7天、1天、3小时"),
])
def test_the_form_shows_offsets_in_the_organizers_language_and_reads_them_back(language, shown):
    stored = ["P7D", "P1D", "PT3H"]
    assert describe_offsets(stored, language) == shown
    assert parse_reminder_offsets(shown) == stored


@pytest.mark.parametrize("text, expected", [
    ("2 Wochen", timedelta(weeks=2)), ("1 Tag 12 Stunden", timedelta(days=1, hours=12)),
    ("90 Minuten", timedelta(minutes=90)), ("1天12小时", timedelta(days=1, hours=12)),
    ("2周", timedelta(weeks=2)), ("30分钟", timedelta(minutes=30)),
])
def test_german_and_chinese_units_are_read(text, expected):
    assert parse_duration(text) == expected
