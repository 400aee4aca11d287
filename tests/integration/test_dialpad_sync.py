"""dialpad-sync end to end: HTTP entry point → Dialpad fake → DuckDB warehouse."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.apis.dialpad import dialpad_fake
from sandbox.dialpad_wire import epoch_ms, numeric_int64
from sandbox.env import settings_env
from sandbox.recording import RecordedRequest
from sandbox.server import Sandbox
from sandbox.world import build_world
from shared import sqlfiles
from shared.phones import to_e164
from shared.warehouse import Warehouse, connect
from tools.invoke import invoke
from tools.pipeline import by_cloud_name

ANCHOR = dt.datetime(2026, 5, 4, tzinfo=dt.UTC)
SINCE = "2026-01-15"
LOOKBACK_MINUTES = 120
ENTRY = by_cloud_name("dialpad-sync")
TABLES = ("dialpad_calls", "dialpad_transcript_lines", "sync_state_log")


@pytest.fixture(name="dialpad")
def dialpad_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A sandbox over a fresh world (tests change it) with the fake's rate limits lifted, and the env that
    points dialpad-sync at it. The limits themselves are tested in tests/sandbox/test_sandbox_dialpad.py."""
    with Sandbox(build_world(seed=11, scale=1, anchor=ANCHOR)) as sandbox:
        dialpad_fake(sandbox.app).limits.enabled = False
        env = {**settings_env(sandbox), "WAREHOUSE": f"duckdb:///{tmp_path / 'wh.duckdb'}",
               "DIALPAD_WINDOW_DAYS": "45", "DIALPAD_LOOKBACK_MINUTES": str(LOOKBACK_MINUTES),
               "DIALPAD_LIST_RATE_PER_SECOND": "1000", "DIALPAD_TRANSCRIPT_RATE_PER_SECOND": "1000",
               "HTTP_BACKOFF_BASE": "0"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield sandbox


@pytest.fixture(name="wh")
def wh_fixture(dialpad: Sandbox, tmp_path: Path) -> Iterator[Warehouse]:
    warehouse = connect(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    warehouse.ensure_schema()
    yield warehouse
    warehouse.close()


def run(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return invoke(ENTRY, body)


def list_requests(sandbox: Sandbox) -> list[RecordedRequest]:
    return sandbox.log.matching("GET", "/api/v2/call")


def transcript_requests(sandbox: Sandbox) -> list[RecordedRequest]:
    return sandbox.log.matching("GET", "/api/v2/transcripts/")


def snapshot(warehouse: Warehouse) -> dict[str, list[dict[str, Any]]]:
    """Full contents of the tables dialpad-sync writes, ordered by key."""
    return {table: warehouse.query(f"select * from {table} order by {', '.join(sqlfiles.table_key(table))}")
            for table in TABLES}


def calls_by_id(wh: Warehouse) -> dict[str, dict[str, Any]]:
    return {row["call_id"]: row for row in wh.query("select * from dialpad_calls")}


def test_given_the_world_when_a_full_sync_runs_then_every_call_lands_once_with_seconds_and_transcripts(
        dialpad: Sandbox, wh: Warehouse) -> None:
    status, answer = run({"sync_type": "full", "started_after": SINCE})

    world = dialpad.world
    assert (status, answer["status"], answer["errors"]) == (200, "success", {})
    assert answer["counts"]["dialpad_calls"] == len(world.calls)
    rows = calls_by_id(wh)
    assert set(rows) == {call.call_id for call in world.calls}
    for call in world.calls:
        row = rows[call.call_id]
        assert row["duration_seconds"] == pytest.approx(call.duration_s)
        assert row["call_time"] == call.date_started and row["ended_at"] == call.date_ended
        assert row["has_transcript"] is (call.transcript is not None)
        assert (row["rep_user_id"], row["rep_email"]) == (call.rep_user_id, call.rep_email)
        assert (row["contact_id"], row["contact_name"]) == (call.contact["id"], call.contact["name"])
    lines = wh.query("select count(*) as n from dialpad_transcript_lines")[0]["n"]
    assert lines == answer["counts"]["dialpad_transcript_lines"] == sum(len(c.transcript or []) for c in world.calls)


def test_given_ids_as_strings_and_numbers_when_synced_then_both_kinds_are_stored_as_text(
        dialpad: Sandbox, wh: Warehouse) -> None:
    numeric = {call.call_id for call in dialpad.world.calls if numeric_int64(call)}
    assert 0 < len(numeric) < len(dialpad.world.calls)

    run({"sync_type": "full", "started_after": SINCE})

    rows = calls_by_id(wh)
    assert numeric <= set(rows)
    assert all(rows[call_id]["rep_user_id"] and rows[call_id]["call_time"] for call_id in numeric)


def test_given_full_sync_then_calls_are_listed_in_contiguous_windows_oldest_first(dialpad: Sandbox) -> None:
    run({"sync_type": "full", "started_after": SINCE})

    firsts = [r for r in list_requests(dialpad) if r.param("cursor") is None]
    bounds = [(int(r.param("started_after") or 0), int(r.param("started_before") or 0)) for r in firsts]
    assert bounds[0][0] == epoch_ms(dt.datetime.fromisoformat(SINCE).replace(tzinfo=dt.UTC))
    assert all(nxt[0] == prev[1] - 1 for prev, nxt in itertools.pairwise(bounds))
    assert all(after < before for after, before in bounds)
    paged = [r for r in list_requests(dialpad) if r.param("cursor")]
    assert paged, "the world has more calls than one page: cursor paging was used"


def test_given_national_format_numbers_then_phones_are_e164_and_from_to_follow_the_direction(
        dialpad: Sandbox, wh: Warehouse) -> None:
    run({"sync_type": "full", "started_after": SINCE})

    rows = calls_by_id(wh)
    national = [call for call in dialpad.world.calls if not call.external_number.startswith("+")]
    assert national, "the world has calls with national-format numbers"
    for call in national:
        assert rows[call.call_id]["external_number"] == call.contact["phone"]
        assert rows[call.call_id]["external_number_raw"] == call.external_number
    for call in dialpad.world.calls:
        row = rows[call.call_id]
        customer, rep = to_e164(call.external_number), call.internal_number
        assert (row["external_number"], row["internal_number"]) == (customer, rep)
        expected = (rep, customer) if call.direction == "outbound" else (customer, rep)
        assert (row["from_number"], row["to_number"]) == expected


def test_given_a_transcript_then_the_text_is_speaker_labelled_and_each_line_is_a_row(
        dialpad: Sandbox, wh: Warehouse) -> None:
    run({"sync_type": "full", "started_after": SINCE})

    call = next(c for c in dialpad.world.calls if c.transcript and any(x.kind == "moment" for x in c.transcript))
    assert call.transcript and call.date_connected
    row = calls_by_id(wh)[call.call_id]
    spoken = [line for line in call.transcript if line.kind == "transcript"]
    assert row["transcript_text"] == "\n".join(f"{line.speaker}: {line.text}" for line in spoken)
    lines = wh.query("select * from dialpad_transcript_lines where call_id = @id order by line_no",
                     {"id": call.call_id})
    assert [(r["line_no"], r["speaker"], r["text"], r["line_type"]) for r in lines] == [
        (n, line.speaker, line.text, line.kind) for n, line in enumerate(call.transcript, start=1)]
    assert [r["speaker_role"] for r in lines] == ["rep" if line.is_rep else "contact" for line in call.transcript]
    assert [r["offset_seconds"] for r in lines] == pytest.approx([line.offset_s for line in call.transcript])


def test_given_no_source_changes_when_run_again_then_nothing_is_written_and_tables_are_identical(
        dialpad: Sandbox, wh: Warehouse) -> None:
    run({"sync_type": "full", "started_after": SINCE})
    before = snapshot(wh)
    dialpad.log.clear()

    second_full = run({"sync_type": "full", "started_after": SINCE})
    incremental = run({"sync_type": "incremental"})

    unchanged = {"dialpad_calls": 0, "dialpad_transcript_lines": 0, "dialpad_calls_skipped": 0}
    assert second_full == (200, {**second_full[1], "status": "success", "counts": unchanged, "errors": {}})
    assert incremental[1]["counts"] == unchanged
    assert snapshot(wh) == before
    assert transcript_requests(dialpad) == [], "unchanged calls are not fetched again"


def test_given_a_new_call_when_incremental_runs_then_it_asks_from_cursor_minus_lookback_and_loads_it(
        dialpad: Sandbox, wh: Warehouse) -> None:
    run({"sync_type": "full", "started_after": SINCE})
    cursor = dt.datetime.fromisoformat(wh.query("select cursor_value from sync_state")[0]["cursor_value"])
    template = next(c for c in dialpad.world.calls if c.transcript)
    new_call = dataclasses.replace(template, call_id="4000000000000002", date_started=cursor + dt.timedelta(hours=2),
                                   date_connected=cursor + dt.timedelta(hours=2, seconds=5),
                                   date_ended=cursor + dt.timedelta(hours=2, minutes=30))
    with dialpad.state.lock:
        dialpad.world.calls.append(new_call)
    dialpad.log.clear()

    status, answer = run({"sync_type": "incremental"})

    assert (status, answer["counts"]["dialpad_calls"]) == (200, 1)
    first = list_requests(dialpad)[0]
    assert int(first.param("started_after") or 0) == epoch_ms(cursor) - LOOKBACK_MINUTES * 60_000
    assert calls_by_id(wh)["4000000000000002"]["has_transcript"] is True
    assert [r.path for r in transcript_requests(dialpad)] == ["/api/v2/transcripts/4000000000000002"]
    stored = wh.query("select cursor_value from sync_state")[0]["cursor_value"]
    assert dt.datetime.fromisoformat(stored) == new_call.date_started


def test_given_a_call_changed_at_the_source_when_incremental_runs_then_the_row_and_transcript_change(
        dialpad: Sandbox, wh: Warehouse) -> None:
    newest = max(dialpad.world.calls, key=lambda c: c.date_started)
    longest = max((c for c in dialpad.world.calls if c.transcript), key=lambda c: len(c.transcript or []))
    with dialpad.state.lock:
        newest.was_recorded, newest.transcript = True, longest.transcript
    run({"sync_type": "full", "started_after": SINCE})
    with dialpad.state.lock:
        newest.contact = {**newest.contact, "name": "Renamed Person"}
        newest.state = "transferred"
        newest.transcript = (longest.transcript or [])[:2]
    dialpad.log.clear()

    status, answer = run({"sync_type": "incremental"})

    row = calls_by_id(wh)[newest.call_id]
    assert (status, answer["counts"]["dialpad_calls"]) == (200, 1)
    assert (row["contact_name"], row["state"], row["transcript_line_count"]) == ("Renamed Person", "transferred", 2)
    assert [r.path for r in transcript_requests(dialpad)] == [f"/api/v2/transcripts/{newest.call_id}"]
    lines = wh.query("select line_no from dialpad_transcript_lines where call_id = @id order by line_no",
                     {"id": newest.call_id})
    assert [r["line_no"] for r in lines] == [1, 2], "lines of the longer, older transcript are removed"


def test_given_a_429_with_retry_after_on_the_list_then_the_page_is_retried_and_the_sync_completes(
        dialpad: Sandbox, wh: Warehouse) -> None:
    body = {"error": {"code": 429, "message": "Rate limit exceeded", "errors": [
        {"domain": "global", "reason": "rateLimitExceeded", "message": "Rate limit exceeded"}]}}
    dialpad.faults.add("/api/v2/call", status=429, retry_after=0, times=1, body=body)

    status, answer = run({"sync_type": "full", "started_after": SINCE})

    assert (status, answer["status"]) == (200, "success")
    first, second = list_requests(dialpad)[:2]
    assert (first.status, second.status) == (429, 200) and first.query == second.query
    assert len(calls_by_id(wh)) == len(dialpad.world.calls)
