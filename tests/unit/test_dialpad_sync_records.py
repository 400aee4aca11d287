"""dialpad-sync parsers: ids, epoch-ms times, durations, phones by direction, transcripts, windows."""

from __future__ import annotations

import datetime as dt
import itertools
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functions" / "dialpad_sync"))

from dialpad_job import start_of_sync, windows
from dialpad_records import (
    MalformedCallError,
    call_row,
    from_epoch_ms,
    id_text,
    ms_to_seconds,
    to_epoch_ms,
    transcript_rows,
)
from dialpad_settings import DialpadParams, DialpadSettings

UTC = dt.UTC


def listed_call(**overrides: Any) -> dict[str, Any]:
    """The call from Dialpad's official list example (int64 values as strings)."""
    call: dict[str, Any] = {
        "call_id": "1002", "date_started": "1356998400000", "date_connected": "1356998400000",
        "date_ended": "1356998460000", "duration": 60000.0, "total_duration": 62500.0, "direction": "inbound",
        "state": "hangup", "external_number": "+14155557777", "internal_number": "+14155551001",
        "group_id": "Office:124", "is_transferred": False, "was_recorded": True,
        "contact": {"id": "1001", "type": "local", "name": "(415) 555-7777", "phone": "+14155557777", "email": ""},
        "target": {"id": "2", "type": "user", "name": "Test Bot", "phone": "+14155551001", "email": "Bot@Acme.com"},
    }
    return {**call, **overrides}


@pytest.mark.parametrize(("value", "expected"), [
    ("1002", "1002"), (1002, "1002"), (1002.0, "1002"), (" 77 ", "77"), ("ag5kZXY", "ag5kZXY"), (None, None),
    ("", None), (6519017403503137, "6519017403503137"),
])
def test_an_id_as_string_or_number_reads_as_the_same_text(value: Any, expected: str | None) -> None:
    assert id_text(value) == expected


@pytest.mark.parametrize("value", [True, 1.5])
def test_a_value_that_is_no_id_is_rejected(value: Any) -> None:
    with pytest.raises(ValueError, match="not an id"):
        id_text(value)


def test_epoch_ms_as_string_or_number_is_the_same_utc_instant() -> None:
    expected = dt.datetime(2013, 1, 1, tzinfo=UTC)
    assert from_epoch_ms("1356998400000") == from_epoch_ms(1356998400000) == expected
    assert from_epoch_ms(1356998400000.0) == expected and from_epoch_ms(None) is None
    assert to_epoch_ms(expected) == 1356998400000


@pytest.mark.parametrize(("milliseconds", "seconds"), [
    (60000.0, 60.0), ("1500", 1.5), (236000, 236.0), (0.0, 0.0), (None, None),
])
def test_dialpad_durations_in_milliseconds_become_seconds(milliseconds: Any, seconds: float | None) -> None:
    assert ms_to_seconds(milliseconds) == seconds


def test_a_listed_call_becomes_a_row_with_seconds_and_utc_times() -> None:
    row = call_row(listed_call(), "US")
    assert row["call_id"] == "1002" and row["duration_seconds"] == 60.0 and row["total_duration_seconds"] == 62.5
    assert row["call_time"] == dt.datetime(2013, 1, 1, tzinfo=UTC)
    assert row["ended_at"] == dt.datetime(2013, 1, 1, 0, 1, tzinfo=UTC)
    assert (row["rep_user_id"], row["rep_email"], row["rep_name"]) == ("2", "bot@acme.com", "Test Bot")
    assert (row["contact_id"], row["contact_type"], row["contact_email"]) == ("1001", "local", None)
    assert row["was_recorded"] is True


def test_int64_values_as_numbers_give_the_same_row_and_fingerprint() -> None:
    as_strings = call_row(listed_call(), "US")
    as_numbers = call_row(listed_call(call_id=1002, date_started=1356998400000, date_connected=1356998400000,
                                      date_ended=1356998460000, contact={**listed_call()["contact"], "id": 1001},
                                      target={**listed_call()["target"], "id": 2}), "US")
    assert as_numbers == as_strings


@pytest.mark.parametrize(("direction", "from_number", "to_number"), [
    ("inbound", "+14155557777", "+14155551001"),
    ("outbound", "+14155551001", "+14155557777"),
])
def test_external_is_the_customer_whatever_the_direction_and_from_to_follow_it(
        direction: str, from_number: str, to_number: str) -> None:
    row = call_row(listed_call(direction=direction), "US")
    assert (row["external_number"], row["internal_number"]) == ("+14155557777", "+14155551001")
    assert (row["from_number"], row["to_number"]) == (from_number, to_number)


@pytest.mark.parametrize(("raw", "region", "e164"), [
    ("(415) 555-0123", "US", "+14155550123"),
    ("415.555.0123 x12", "US", "+14155550123"),
    ("1-415-555-0123", "US", "+14155550123"),
    ("020 7946 0123", "GB", "+442079460123"),
    ("+44 (0)20 7946 0123", "US", "+442079460123"),
])
def test_national_and_typed_numbers_become_e164_with_the_default_region(raw: str, region: str, e164: str) -> None:
    row = call_row(listed_call(external_number=raw), region)
    assert row["external_number"] == e164
    assert row["external_number_raw"] == raw


def test_a_changed_field_changes_the_fingerprint() -> None:
    assert call_row(listed_call(), "US")["source_hash"] != call_row(listed_call(state="missed"), "US")["source_hash"]


def test_a_call_without_id_or_start_is_rejected() -> None:
    with pytest.raises(MalformedCallError, match="call_id is missing"):
        call_row(listed_call(call_id=None), "US")
    with pytest.raises(MalformedCallError, match="date_started is missing"):
        call_row(listed_call(date_started=None), "US")


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"date_started": "abc"}, "date_started is unreadable: 'abc'"),
    ({"date_started": "nan"}, "date_started is unreadable: 'nan'"),
    ({"date_started": 1e400}, "date_started is unreadable: inf"),
    ({"date_started": "-1"}, "date_started is out of range: '-1'"),
    ({"date_started": 0}, "date_started is out of range: 0"),
    ({"date_started": "253402300800000"}, "date_started is unreadable: '253402300800000'"),
    ({"date_started": "1767225600000"}, "date_started is out of range: '1767225600000'"),
    ({"date_ended": "later"}, "date_ended is unreadable: 'later'"),
    ({"duration": "long"}, "duration is unreadable: 'long'"),
    ({"target": {"id": True, "type": "user"}}, "target.id is unreadable: True"),
])
def test_a_call_with_an_unreadable_or_implausible_field_is_rejected_with_its_reason(
        overrides: dict[str, Any], reason: str) -> None:
    latest = dt.datetime(2025, 6, 1, tzinfo=UTC)
    with pytest.raises(MalformedCallError) as caught:
        call_row(listed_call(**overrides), "US", latest)
    assert str(caught.value) == reason
    assert call_row(listed_call(), "US", latest)["call_time"] == dt.datetime(2013, 1, 1, tzinfo=UTC)


def test_a_transcript_is_speaker_labelled_text_plus_one_row_per_line() -> None:
    connected = dt.datetime(2018, 5, 8, 21, 33, 10, tzinfo=UTC)
    body = {"call_id": "1001", "lines": [
        {"user_id": 2, "name": "Test Bot", "content": "hi", "time": "2018-05-08T21:33:19.300000",
         "type": "transcript"},
        {"contact_id": "ag5k", "name": "(415) 555-6666", "content": "hello", "time": "2018-05-08T21:33:21",
         "type": "transcript"},
        {"user_id": "2", "name": "Test Bot", "content": "price_inquiry", "time": "2018-05-08T21:33:21",
         "type": "moment"},
    ]}
    result = transcript_rows("1001", body, connected, connected)

    assert result.columns == {"has_transcript": True, "transcript_text": "Test Bot: hi\n(415) 555-6666: hello",
                              "transcript_line_count": 3}
    assert [(r["line_no"], r["speaker_role"], r["speaker_id"], r["line_type"]) for r in result.lines] == [
        (1, "rep", "2", "transcript"), (2, "contact", "ag5k", "transcript"), (3, "rep", "2", "moment")]
    assert result.lines[0]["offset_seconds"] == 9.3
    assert result.lines[0]["spoken_at"] == dt.datetime(2018, 5, 8, 21, 33, 19, 300000, tzinfo=UTC)


def test_a_transcript_without_lines_counts_as_none() -> None:
    assert transcript_rows("1", {"call_id": "1"}, None, None).columns["has_transcript"] is False


def test_windows_cover_the_range_once_with_exclusive_bounds() -> None:
    start, end = dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2026, 1, 20, 6, tzinfo=UTC)
    spans = list(windows(start, end, 7))
    assert len(spans) == 3
    assert spans[0][0] == to_epoch_ms(start) and spans[-1][1] == to_epoch_ms(end) + 1
    assert all(after_next == before - 1 for (_, before), (after_next, _) in itertools.pairwise(spans))
    assert list(windows(end, start, 7)) == []


def settings(**env: Any) -> DialpadSettings:
    return DialpadSettings.load(dialpad_api_key="fake-key", **env)


def test_the_sync_starts_at_cursor_minus_lookback_or_the_backfill_horizon() -> None:
    now, cursor = dt.datetime(2026, 5, 4, 12, tzinfo=UTC), dt.datetime(2026, 5, 3, 9, tzinfo=UTC)
    config = settings(dialpad_lookback_minutes=90, dialpad_backfill_days=30)
    incremental, full = DialpadParams(), DialpadParams(sync_type="full")
    assert start_of_sync(incremental, cursor, config, now) == cursor - dt.timedelta(minutes=90)
    assert start_of_sync(incremental, None, config, now) == now - dt.timedelta(days=30)
    assert start_of_sync(full, cursor, config, now) == now - dt.timedelta(days=30)
    since = DialpadParams(sync_type="full", started_after=dt.datetime(2026, 1, 1))
    assert start_of_sync(since, cursor, config, now) == dt.datetime(2026, 1, 1, tzinfo=UTC)


def test_an_unknown_default_region_is_refused() -> None:
    with pytest.raises(ValueError, match="DIALPAD_DEFAULT_REGION"):
        settings(dialpad_default_region="XX")
    assert settings(dialpad_default_region="gb").dialpad_default_region == "GB"
